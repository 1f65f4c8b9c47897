/**
 * A YAML emitter that lays out documents byte for byte as sops's go-yaml v3 encoder does with
 * indent 4: sequences indented under their key, `- ` items whose mappings continue two columns in,
 * literal blocks for multi-line strings, and go-yaml's choice of plain, single or double quotes.
 */
import { formatYamlFloat, SopsFloat, type SopsScalar } from './values.ts'
import { isOldBoolOrBase60, isPlainSafeString, resolvesToString } from './yaml-types.ts'

export type EmitNode =
  /** `comments[i]`: comment lines (text after `#`) written before entry i. */
  | { kind: 'map'; entries: Array<[string, EmitNode]>; comments?: string[][] }
  | { kind: 'seq'; items: EmitNode[] }
  | { kind: 'scalar'; text: string }
  | { kind: 'literal'; text: string }

const INDENT = 4
const PRINTABLE = /^[\n\x20-\x7e\u0085\u00a0-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]*$/u

/** go-yaml's next indentation level: the next multiple of the indent width. */
function nextIndent(indent: number): number {
  return INDENT * Math.floor((indent + INDENT) / INDENT)
}

const ESCAPES: Record<string, string> = {
  '\0': '\\0',
  '\x07': '\\a',
  '\b': '\\b',
  '\t': '\\t',
  '\n': '\\n',
  '\v': '\\v',
  '\f': '\\f',
  '\r': '\\r',
  '\x1b': '\\e',
  '"': '\\"',
  '\\': '\\\\',
  '\u0085': '\\N',
  '\u00a0': '\\_',
  '\u2028': '\\L',
  '\u2029': '\\P',
}

function doubleQuote(text: string): string {
  let out = '"'
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0
    const escaped = ESCAPES[ch]
    if (escaped) out += escaped
    else if (PRINTABLE.test(ch) && ch !== '\n') out += ch
    else if (cp <= 0xff) out += `\\x${cp.toString(16).toUpperCase().padStart(2, '0')}`
    else if (cp <= 0xffff) out += `\\u${cp.toString(16).toUpperCase().padStart(4, '0')}`
    else out += `\\U${cp.toString(16).toUpperCase().padStart(8, '0')}`
  }
  return `${out}"`
}

/** A string scalar in the style go-yaml v3 picks for it. */
export function buildStringNode(text: string): EmitNode {
  const printable = PRINTABLE.test(text) && !text.includes('\r')
  if (text.includes('\n'))
    return printable ? { kind: 'literal', text } : { kind: 'scalar', text: doubleQuote(text) }
  if (!resolvesToString(text) || isOldBoolOrBase60(text) || !printable)
    return { kind: 'scalar', text: doubleQuote(text) }
  if (isPlainSafeString(text)) return { kind: 'scalar', text }
  // Printable, one line, reads back as a string, but not plain: go-yaml then picks single quotes.
  return { kind: 'scalar', text: `'${text.replaceAll("'", "''")}'` }
}

/** Any plain scalar as go-yaml v3 writes it. */
export function buildScalarNode(value: SopsScalar): EmitNode {
  if (value === null) return { kind: 'scalar', text: 'null' }
  if (typeof value === 'string') return buildStringNode(value)
  if (typeof value === 'boolean') return { kind: 'scalar', text: String(value) }
  if (value instanceof SopsFloat) return { kind: 'scalar', text: formatYamlFloat(value.value) }
  return { kind: 'scalar', text: Number.isInteger(value) ? String(value) : formatYamlFloat(value) }
}

function formatKey(key: string): string {
  const node = buildStringNode(key)
  return node.kind === 'scalar' ? node.text : doubleQuote(key)
}

function literalHeader(text: string): string {
  const indicator = /^[ \n]/.test(text) ? String(INDENT) : ''
  const chomp = !text.endsWith('\n') ? '-' : text.endsWith('\n\n') || text === '\n' ? '+' : ''
  return `|${indicator}${chomp}`
}

function literalBody(text: string, indent: number): string[] {
  const body = text.endsWith('\n') ? text.slice(0, -1) : text
  return body.split('\n').map((line) => (line === '' ? '' : ' '.repeat(indent) + line))
}

function emptyCollection(node: EmitNode): string | undefined {
  if (node.kind === 'map' && node.entries.length === 0) return '{}'
  if (node.kind === 'seq' && node.items.length === 0) return '[]'
  return undefined
}

/** Lines for `node` written after `prefix` (a key with its colon, or a `- `) that sits at column `indent`. */
function emitAfter(prefix: string, node: EmitNode, indent: number, inSeqItem: boolean, out: string[]): void {
  const empty = emptyCollection(node)
  const childIndent = inSeqItem ? indent + 2 : nextIndent(indent)
  if (empty !== undefined) out.push(`${prefix} ${empty}`)
  else if (node.kind === 'scalar') out.push(`${prefix} ${node.text}`)
  else if (node.kind === 'literal')
    out.push(`${prefix} ${literalHeader(node.text)}`, ...literalBody(node.text, childIndent))
  else if (inSeqItem) emitInline(prefix, node, indent + 2, out)
  else {
    out.push(prefix)
    emitBlock(node, childIndent, out)
  }
}

/** A collection whose first line continues after `prefix` (a `- `), the rest at column `indent`. */
function emitInline(prefix: string, node: EmitNode, indent: number, out: string[]): void {
  const lines: string[] = []
  // Comments before the first key of a mapping in a list item have no line of their own: dropped.
  const head = node.kind === 'map' ? { ...node, comments: [[], ...(node.comments?.slice(1) ?? [])] } : node
  emitBlock(head, indent, lines)
  const [first = '', ...rest] = lines
  out.push(`${prefix} ${first.slice(indent)}`, ...rest)
}

function emitBlock(node: EmitNode, indent: number, out: string[]): void {
  const pad = ' '.repeat(indent)
  if (node.kind === 'map') {
    for (const [i, [key, value]] of node.entries.entries()) {
      for (const line of node.comments?.[i] ?? []) out.push(`${pad}#${line}`)
      emitAfter(`${pad}${formatKey(key)}:`, value, indent, false, out)
    }
  } else if (node.kind === 'seq') {
    for (const item of node.items) emitAfter(`${pad}-`, item, indent, true, out)
  } else {
    throw new Error('emit: a document must be a mapping')
  }
}

/** The YAML text of one document whose root is a mapping. */
export function emitYaml(root: EmitNode): string {
  const out: string[] = []
  emitBlock(root, 0, out)
  return `${out.join('\n')}\n`
}
