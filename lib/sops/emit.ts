/**
 * A YAML emitter that lays out documents byte for byte as sops's go-yaml v3 encoder does with
 * indent 4: sequences indented under their key, `- ` items whose mappings continue two columns in,
 * literal blocks for multi-line strings, and go-yaml's choice of plain, single or double quotes.
 */
import { formatYamlFloat, SopsFloat, type SopsScalar } from './values.ts'
import { isOldBoolOrBase60, isPlainSafeString, resolvePlainYaml, resolvesToString } from './yaml-types.ts'

export type EmitNode =
  /** `comments[i]`: comment lines (text after `#`) written before entry i. */
  | { kind: 'map'; entries: Array<[string, EmitNode]>; comments?: string[][] }
  | { kind: 'seq'; items: EmitNode[] }
  | { kind: 'scalar'; text: string }
  | { kind: 'literal'; text: string }

const INDENT = 4
const PRINTABLE = /^[\n\x20-\x7e\u0085\u00a0-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]*$/u

/** go-yaml's next indentation level: the next multiple of the indent width. */
export function nextIndent(indent: number): number {
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

/**
 * The shape of a sops encrypted value (base64 parts): always a plain scalar for go-yaml (no space,
 * quote, `#` or leading indicator, and it reads back as a string), so the general checks are skipped.
 */
const ENC_SHAPE =
  /^ENC\[AES256_GCM,data:[A-Za-z0-9+/=]*,iv:[A-Za-z0-9+/=]*,tag:[A-Za-z0-9+/=]*,type:[a-z]+\]$/

/**
 * A letter, then letters, digits, `_` and `-` (most keys, ids, names): plain for go-yaml unless it reads
 * as a bool or null (`true`, `yes`, `Null`…); the general checks below agree on every such string.
 */
const WORD = /^[A-Za-z][A-Za-z0-9_-]*$/

/** A string scalar in the style go-yaml v3 picks for it. */
export function buildStringNode(text: string): EmitNode {
  if (ENC_SHAPE.test(text)) return { kind: 'scalar', text }
  if (WORD.test(text) && resolvePlainYaml(text) === text && !isOldBoolOrBase60(text))
    return { kind: 'scalar', text }
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

/** A mapping key as go-yaml v3 writes it (always on one line). */
export function formatKey(key: string): string {
  const node = buildStringNode(key)
  return node.kind === 'scalar' ? node.text : doubleQuote(key)
}

/** The `|` header of a literal block: an indentation indicator when the text starts with a space or newline, and its chomping. */
export function literalHeader(text: string): string {
  const indicator = /^[ \n]/.test(text) ? String(INDENT) : ''
  const chomp = !text.endsWith('\n') ? '-' : text.endsWith('\n\n') || text === '\n' ? '+' : ''
  return `|${indicator}${chomp}`
}

/** The lines of a literal block whose content sits at column `indent`. */
export function literalBody(text: string, indent: number): string[] {
  const body = text.endsWith('\n') ? text.slice(0, -1) : text
  return body.split('\n').map((line) => (line === '' ? '' : ' '.repeat(indent) + line))
}

function emptyCollection(node: EmitNode): string | undefined {
  if (node.kind === 'map' && node.entries.length === 0) return '{}'
  if (node.kind === 'seq' && node.items.length === 0) return '[]'
  return undefined
}

/** The text written so far; key styles are looked up once per emit (a state file repeats its field names). */
interface Emitter {
  text: string
  keys: Map<string, string>
}

function keyText(key: string, em: Emitter): string {
  let text = em.keys.get(key)
  if (text === undefined) {
    text = formatKey(key)
    em.keys.set(key, text)
  }
  return text
}

/** Lines for `node` written after `prefix` (a key with its colon, or a `-`) that sits at column `indent`. */
function emitAfter(prefix: string, node: EmitNode, indent: number, inSeqItem: boolean, em: Emitter): void {
  const empty = emptyCollection(node)
  const childIndent = inSeqItem ? indent + 2 : nextIndent(indent)
  if (empty !== undefined) em.text += `${prefix} ${empty}\n`
  else if (node.kind === 'scalar') em.text += `${prefix} ${node.text}\n`
  else if (node.kind === 'literal')
    em.text += `${prefix} ${literalHeader(node.text)}\n${literalBody(node.text, childIndent).join('\n')}\n`
  // A collection in a list item starts on the item's own line, after the `- `.
  else if (inSeqItem) emitBlock(node, indent + 2, em, `${prefix} `)
  else {
    em.text += `${prefix}\n`
    emitBlock(node, childIndent, em)
  }
}

/**
 * The lines of a collection at column `indent`. With `lead`, the first line continues a list item's
 * `- ` line instead of being indented; comments before that first key then have no line of their own
 * and are dropped.
 */
function emitBlock(node: EmitNode, indent: number, em: Emitter, lead?: string): void {
  const pad = ' '.repeat(indent)
  if (node.kind === 'map') {
    const { entries, comments } = node
    for (let i = 0; i < entries.length; i++) {
      const [key, value] = entries[i] as [string, EmitNode]
      const first = i === 0 && lead !== undefined
      const lines = comments?.[i]
      if (!first && lines) for (const line of lines) em.text += `${pad}#${line}\n`
      emitAfter(`${first ? lead : pad}${keyText(key, em)}:`, value, indent, false, em)
    }
  } else if (node.kind === 'seq') {
    for (let i = 0; i < node.items.length; i++)
      emitAfter(`${i === 0 && lead !== undefined ? lead : pad}-`, node.items[i] as EmitNode, indent, true, em)
  } else {
    throw new Error('emit: a document must be a mapping')
  }
}

/** The YAML text of one document whose root is a mapping. */
export function emitYaml(root: EmitNode): string {
  const em: Emitter = { text: '', keys: new Map() }
  emitBlock(root, 0, em)
  // An empty mapping has no lines: the text is then one empty line, as a join of no lines would give.
  return em.text === '' ? '\n' : em.text
}
