/**
 * Text to the document tree (tree-node.ts). Files in the layout sops and this codec write go through the
 * fast reader (canonical.ts); anything else through the `yaml` package's failsafe schema (every scalar
 * a string plus its style), then typed like go-yaml v3.
 */
import type { Document, Node } from 'yaml'
import { CliError } from '../errors.ts'
import { readCanonicalYaml } from './canonical.ts'
import { SopsFormatError } from './errors.ts'
import { loadYaml } from './plain-yaml.ts'
import { isTreeMap, type TreeMap, type TreeNode } from './tree-node.ts'
import type { SopsScalar } from './values.ts'
import { resolvePlainJson, resolvePlainYaml } from './yaml-types.ts'

type Resolve = (text: string) => SopsScalar

function commentLines(...texts: Array<string | null | undefined>): string[] {
  return texts.flatMap((text) => (text ? text.split('\n') : []))
}

/** The `yaml` package, loaded for the first file the fast reader does not take (most runs never load it). */
type YamlPackage = typeof import('yaml')

function toTree(
  yaml: YamlPackage,
  node: Node | null | undefined,
  doc: Document,
  resolve: Resolve,
  depth = 0,
): TreeNode {
  const { isAlias, isMap, isScalar, isSeq, Scalar } = yaml
  if (depth > 200) throw new SopsFormatError('The document nests deeper than 200 levels.')
  if (node === null || node === undefined) return null
  if (isAlias(node)) return toTree(yaml, node.resolve(doc) as Node | undefined, doc, resolve, depth + 1)
  if (isMap(node)) {
    const entries: Array<[string, TreeNode]> = []
    const comments = new Map<string, string[]>()
    const seen = new Set<string>()
    for (const [index, pair] of node.items.entries()) {
      const key = isScalar(pair.key) ? pair.key : undefined
      if (
        key === undefined ||
        typeof key.value !== 'string' ||
        (key.type === Scalar.PLAIN && resolve(key.value) === null)
      )
        throw new SopsFormatError(
          'The document has a mapping key that is not a string; sops requires string keys.',
        )
      // Checked here with a Set: the yaml package's own uniqueKeys check is quadratic in the size of a map.
      if (seen.has(key.value))
        throw new SopsFormatError(
          `The document has the key "${key.value}" twice in one mapping; sops refuses duplicate keys.`,
        )
      seen.add(key.value)
      entries.push([key.value, toTree(yaml, pair.value as Node | null, doc, resolve, depth + 1)])
      // The `yaml` package hangs comments before a mapping's first key on the mapping (or the document).
      const lines = commentLines(
        index === 0 && depth === 0 ? doc.commentBefore : undefined,
        index === 0 ? node.commentBefore : undefined,
        key.commentBefore,
      )
      if (lines.length > 0) comments.set(key.value, lines)
    }
    return { kind: 'map', entries, comments }
  }
  if (isSeq(node))
    return {
      kind: 'seq',
      items: node.items.map((item) => toTree(yaml, item as Node, doc, resolve, depth + 1)),
    }
  if (isScalar(node)) {
    const text = String(node.value)
    if (node.tag === 'tag:yaml.org,2002:str' || node.type !== Scalar.PLAIN) return text
    return resolve(text)
  }
  throw new SopsFormatError('The document contains a YAML node sops cannot represent.')
}

/**
 * Parse a YAML stream or a JSON document into one tree per document; throws SopsFormatError when it is
 * not valid. A YAML file in the layout sops and this codec write is read by the fast reader.
 */
export async function parseTree(text: string, format: 'yaml' | 'json'): Promise<TreeMap[]> {
  const canonical = format === 'yaml' ? readCanonicalYaml(text) : undefined
  return canonical ? [canonical] : parseFullYaml(await loadYaml(), text, format)
}

/** Parse with the `yaml` package (passed in: see YamlPackage): any YAML (or JSON) stream, comments, anchors and all. */
export function parseFullYaml(yaml: YamlPackage, text: string, format: 'yaml' | 'json'): TreeMap[] {
  let docs: Document[]
  try {
    const parsed = yaml.parseAllDocuments(text, { schema: 'failsafe', uniqueKeys: false, strict: true })
    docs = Array.isArray(parsed) ? parsed : []
  } catch (error) {
    throw new SopsFormatError(`The file is not valid ${format.toUpperCase()}.`, error)
  }
  const resolve = format === 'json' ? resolvePlainJson : resolvePlainYaml
  return docs.map((doc, index) => {
    const first = doc.errors[0]
    if (first)
      throw new SopsFormatError(
        `The file is not valid ${format.toUpperCase()} (corrupt or truncated): ${first.message.split('\n')[0]}`,
        first,
      )
    let tree: TreeNode
    try {
      tree = toTree(yaml, doc.contents as Node | null, doc, resolve)
    } catch (error) {
      if (error instanceof CliError) throw error
      throw new SopsFormatError(`The file is not valid ${format.toUpperCase()}.`, error)
    }
    if (!isTreeMap(tree))
      throw new SopsFormatError(
        `Document ${index + 1} is not a mapping; sops files are mappings at the top level.`,
      )
    return tree
  })
}
