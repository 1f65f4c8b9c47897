/**
 * Our plain (unencrypted) YAML files, profile.yaml and .sops.yaml: written in the layout of the sops emitter
 * (emit.ts), so that the fast reader (canonical.ts) reads them back; anything else, such as a hand edit in
 * another layout, goes to the `yaml` package, which is loaded only then. A read command that meets no such file
 * loads no YAML library: compiling and starting it, then its first parse, were about a fifth of a `cloud:status`
 * on an empty state (docs/testing.md, "Benchmarks").
 */
import { readCanonicalYaml } from './canonical.ts'
import { buildScalarNode, type EmitNode, emitYaml } from './emit.ts'
import type { TreeNode } from './tree-node.ts'
import { SopsFloat, type SopsScalar } from './values.ts'

/** A JSON-like value: what these files hold. */
export type PlainValue = SopsScalar | PlainValue[] | { [key: string]: PlainValue }

function toPlain(node: TreeNode): unknown {
  if (node instanceof SopsFloat) return node.value
  if (node === null || typeof node !== 'object') return node
  // Object.fromEntries defines own properties: a `__proto__` key stays a key.
  if (node.kind === 'map') return Object.fromEntries(node.entries.map(([k, v]) => [k, toPlain(v)]))
  return node.items.map(toPlain)
}

function toEmitNode(value: PlainValue): EmitNode {
  if (Array.isArray(value)) return { kind: 'seq', items: value.map(toEmitNode) }
  if (value !== null && typeof value === 'object' && !(value instanceof SopsFloat))
    return { kind: 'map', entries: Object.entries(value).map(([k, v]) => [k, toEmitNode(v)]) }
  return buildScalarNode(value)
}

/**
 * The `yaml` package, loaded on first use. It is CommonJS: in the precompiled bundle a dynamic import gives its
 * exports only as `default`; node's own import (tsx) gives them under both.
 */
export async function loadYaml(): Promise<typeof import('yaml')> {
  const loaded = (await import('yaml')) as typeof import('yaml') & { default?: typeof import('yaml') }
  return loaded.default ?? loaded
}

/** Parse a plain YAML file (any YAML; ours without the `yaml` package). */
export async function parsePlainYaml(text: string): Promise<unknown> {
  const tree = readCanonicalYaml(text)
  if (tree) return toPlain(tree)
  return (await loadYaml()).parse(text) as unknown
}

/** The YAML text of a mapping, with `header` lines as a comment before its first key. */
export function stringifyPlainYaml(value: { [key: string]: PlainValue }, header: string[] = []): string {
  const root = toEmitNode(value)
  if (root.kind === 'map' && header.length > 0) root.comments = [header.map((line) => ` ${line}`)]
  return emitYaml(root)
}
