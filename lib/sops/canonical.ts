/**
 * A fast reader for the one YAML layout that sops's go-yaml encoder writes, and so our emitter and
 * `sops edit`: block mappings and sequences at that indentation, plain, single- and double-quoted
 * scalars, literal blocks, `{}`/`[]`, and comment lines before mapping keys. It reads the lines in one
 * pass and checks, line by line and token by token, that our emitter (emit.ts) would write exactly
 * that line for what it read, so only text the emitter writes byte for byte is accepted. Anything else
 * (hand edits, flow style, anchors, tags, other indentation, blank lines, several documents) gives
 * undefined, and the caller uses the full YAML parser.
 */
import { OUTSIDE, readKey, readScalarAsEmitted } from './canonical-scalars.ts'
import { buildScalarNode, formatKey, literalBody, literalHeader, nextIndent } from './emit.ts'
import { isTreeMap, type TreeMap, type TreeNode, type TreeSeq } from './tree-node.ts'

/** The full parser refuses deeper documents with its own error. */
const MAX_DEPTH = 200

/** Comment text the emitter writes back verbatim and both readers read alike: printable, not empty, no BOM. */
const COMMENT_TEXT = /^[\t\x20-\x7e\u00a0-\ud7ff\ue000-\ufefe\uff00-\ufffd\u{10000}-\u{10ffff}]+$/u

function indentOf(line: string): number {
  let n = 0
  while (line.charCodeAt(n) === 32) n++
  return n
}

class Reader {
  private i = 0
  /** The column where the current line continues after a `- ` (a collection in a list item); -1 when it does not. */
  private inline = -1
  /** Each key's style as the emitter writes it (a state file repeats its field names). */
  private readonly keyStyles = new Map<string, string>()

  constructor(private readonly lines: string[]) {}

  document(): TreeMap {
    const root = this.collection(0, 0)
    if (this.i !== this.lines.length || !isTreeMap(root)) throw OUTSIDE
    return root
  }

  /** The current line's column where its content starts, or -1 past the end. */
  private column(): number {
    const line = this.lines[this.i]
    if (line === undefined) return -1
    if (this.inline >= 0) return this.inline
    const indent = indentOf(line)
    // A blank or space-only line is never written by the emitter.
    if (indent === line.length) throw OUTSIDE
    return indent
  }

  private collection(col: number, depth: number): TreeMap | TreeSeq {
    if (depth > MAX_DEPTH) throw OUTSIDE
    return this.lines[this.i]?.startsWith('- ', col) ? this.seq(col, depth) : this.map(col, depth)
  }

  private map(col: number, depth: number): TreeMap {
    const node: TreeMap = { kind: 'map', entries: [], comments: new Map() }
    const seen = new Set<string>()
    let comments: string[] = []
    for (let at = this.column(); at === col; at = this.column()) {
      const line = this.lines[this.i] as string
      if (line[col] === '#' && this.inline === -1) {
        const comment = line.slice(col + 1)
        // The `yaml` package reads an empty comment as " " and ends one at a CR: the full parser decides.
        if (!COMMENT_TEXT.test(comment)) throw OUTSIDE
        comments.push(comment)
        this.i++
        continue
      }
      const found = readKey(line, col)
      if (found === undefined || seen.has(found.key)) throw OUTSIDE
      const style = this.keyStyle(found.key)
      if (col + style.length !== found.colon || !line.startsWith(style, col)) throw OUTSIDE
      seen.add(found.key)
      this.inline = -1
      node.entries.push([found.key, this.value(line, found.colon + 1, col, depth, false)])
      if (comments.length > 0) node.comments.set(found.key, comments)
      comments = []
    }
    if (this.column() > col || comments.length > 0 || node.entries.length === 0) throw OUTSIDE
    return node
  }

  private keyStyle(key: string): string {
    let style = this.keyStyles.get(key)
    if (style === undefined) {
      style = formatKey(key)
      this.keyStyles.set(key, style)
    }
    return style
  }

  private seq(col: number, depth: number): TreeSeq {
    const node: TreeSeq = { kind: 'seq', items: [] }
    for (let at = this.column(); at === col; at = this.column()) {
      const line = this.lines[this.i] as string
      if (!line.startsWith('- ', col)) throw OUTSIDE
      this.inline = -1
      node.items.push(this.value(line, col + 1, col, depth, true))
    }
    if (this.column() > col) throw OUTSIDE
    return node
  }

  /** The value after a key's `:` or an item's `-` (at `from`, which must be followed by a space or the end). */
  private value(line: string, from: number, col: number, depth: number, inItem: boolean): TreeNode {
    if (from === line.length) {
      if (inItem) throw OUTSIDE
      this.i++
      if (this.column() !== nextIndent(col)) throw OUTSIDE
      return this.collection(nextIndent(col), depth + 1)
    }
    const rest = line.slice(from + 1)
    if (rest === '{}' || rest === '[]') {
      this.i++
      return rest === '{}' ? { kind: 'map', entries: [], comments: new Map() } : { kind: 'seq', items: [] }
    }
    if (rest[0] === '|') return this.literal(rest, col, inItem ? col + 2 : nextIndent(col))
    if (inItem && (rest.startsWith('- ') || readKey(rest, 0) !== undefined)) {
      this.inline = from + 1
      return this.collection(from + 1, depth + 1)
    }
    this.i++
    return readScalarAsEmitted(rest)
  }

  /**
   * A literal block (`|`, `|-`, `|+`) whose lines are indented deeper than `col`, read as YAML reads it,
   * then checked against the lines the emitter writes for that text at column `indent`.
   */
  private literal(header: string, col: number, indent: number): string {
    const chomp = header.slice(1)
    if (chomp !== '' && chomp !== '-' && chomp !== '+') throw OUTSIDE
    const start = ++this.i
    const first = this.lines[start]
    if (first === undefined || indentOf(first) <= col || first.trim() === '') throw OUTSIDE
    const content = indentOf(first)
    const body: string[] = []
    for (let line: string | undefined = first; line !== undefined; line = this.lines[++this.i]) {
      if (line === '') body.push('')
      else if (line.trim() === '') throw OUTSIDE
      else if (indentOf(line) >= content) body.push(line.slice(content))
      else break
    }
    let end = body.length
    if (chomp !== '+') while (end > 0 && body[end - 1] === '') end--
    const text = chomp === '-' ? body.slice(0, end).join('\n') : `${body.slice(0, end).join('\n')}\n`
    const emitted = literalBody(text, indent)
    if (buildScalarNode(text).kind !== 'literal' || literalHeader(text) !== header) throw OUTSIDE
    if (emitted.length !== this.i - start || emitted.some((line, k) => line !== this.lines[start + k]))
      throw OUTSIDE
    return text
  }
}

/** The tree of `text` when it is exactly what our emitter writes for it; undefined otherwise. */
export function readCanonicalYaml(text: string): TreeMap | undefined {
  if (!text.endsWith('\n') || text.startsWith('\ufeff')) return undefined
  try {
    return new Reader(text.slice(0, -1).split('\n')).document()
  } catch {
    return undefined
  }
}
