/**
 * The ordered document tree sops works on: mappings keep key order and the comment lines before each
 * key, sequences keep item order (sequence comments written by sops as `- ENC[…,type:comment]` items
 * stay in place as items). Both YAML readers (tree.ts, canonical.ts) produce it; decode and metadata read it.
 */
import type { SopsScalar } from './values.ts'

export type TreeNode = TreeMap | TreeSeq | SopsScalar
export interface TreeMap {
  kind: 'map'
  entries: Array<[string, TreeNode]>
  /** Comment lines (text after `#`) written before a key, by key. */
  comments: Map<string, string[]>
}
export interface TreeSeq {
  kind: 'seq'
  items: TreeNode[]
}

/** True for a mapping node. */
export function isTreeMap(node: TreeNode): node is TreeMap {
  return typeof node === 'object' && node !== null && 'kind' in node && node.kind === 'map'
}

/** True for a sequence node. */
export function isTreeSeq(node: TreeNode): node is TreeSeq {
  return typeof node === 'object' && node !== null && 'kind' in node && node.kind === 'seq'
}
