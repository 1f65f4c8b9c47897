/**
 * The tokens of one line of the canonical layout (canonical.ts): mapping keys, and scalars that fill
 * the rest of a line, plain, single- or double-quoted (with the escapes go-yaml writes).
 */
import { buildScalarNode } from './emit.ts'
import type { SopsScalar } from './values.ts'
import { resolvePlainYaml } from './yaml-types.ts'

/** Thrown (and caught in `readCanonicalYaml`) where the text leaves the layout. */
export const OUTSIDE = new Error('not in the canonical sops YAML layout')

/** YAML limits implicit keys to 1024 characters; longer ones are the full parser's to judge. */
const MAX_KEY = 1024

const ESCAPES: Record<string, string> = {
  '0': '\0',
  a: '\x07',
  b: '\b',
  t: '\t',
  n: '\n',
  v: '\v',
  f: '\f',
  r: '\r',
  e: '\x1b',
  '"': '"',
  '\\': '\\',
  N: '\u0085',
  _: '\u00a0',
  L: '\u2028',
  P: '\u2029',
}
const HEX_ESCAPES: Record<string, number> = { x: 2, u: 4, U: 8 }

/** A quoted scalar and the index just after its closing quote. */
interface Quoted {
  value: string
  end: number
}

/** A double-quoted scalar on one line, with the escapes go-yaml writes. */
function readDoubleQuoted(line: string, start: number): Quoted {
  let value = ''
  let from = start + 1
  for (;;) {
    const quote = line.indexOf('"', from)
    const backslash = line.indexOf('\\', from)
    if (quote === -1) throw OUTSIDE
    if (backslash === -1 || backslash > quote)
      return { value: value + line.slice(from, quote), end: quote + 1 }
    value += line.slice(from, backslash)
    const code = line[backslash + 1] ?? ''
    const digits = HEX_ESCAPES[code]
    if (digits !== undefined) {
      const hex = line.slice(backslash + 2, backslash + 2 + digits)
      if (!/^[0-9A-Fa-f]+$/.test(hex) || hex.length !== digits) throw OUTSIDE
      value += String.fromCodePoint(Number.parseInt(hex, 16))
      from = backslash + 2 + digits
    } else {
      const char = ESCAPES[code]
      if (char === undefined) throw OUTSIDE
      value += char
      from = backslash + 2
    }
  }
}

/** A single-quoted scalar on one line (`''` is a quote). */
function readSingleQuoted(line: string, start: number): Quoted {
  let value = ''
  let from = start + 1
  for (;;) {
    const quote = line.indexOf("'", from)
    if (quote === -1) throw OUTSIDE
    value += line.slice(from, quote)
    if (line[quote + 1] !== "'") return { value, end: quote + 1 }
    value += "'"
    from = quote + 2
  }
}

/** The mapping key starting at `start` and the index of its `:`, or undefined when the text there is no key. */
export function readKey(line: string, start: number): { key: string; colon: number } | undefined {
  const first = line[start]
  if (first === '"' || first === "'") {
    const { value, end } = first === '"' ? readDoubleQuoted(line, start) : readSingleQuoted(line, start)
    if (line[end] !== ':') return undefined
    if (end + 1 < line.length && line[end + 1] !== ' ') throw OUTSIDE
    return { key: value, colon: end }
  }
  for (let colon = line.indexOf(':', start); colon !== -1; colon = line.indexOf(':', colon + 1)) {
    if (colon + 1 < line.length && line[colon + 1] !== ' ') continue
    if (colon === start || colon - start > MAX_KEY) throw OUTSIDE
    return { key: line.slice(start, colon), colon }
  }
  return undefined
}

/** A scalar that fills the rest of its line. */
function readScalar(text: string): SopsScalar {
  if (text[0] !== '"' && text[0] !== "'") return resolvePlainYaml(text)
  const { value, end } = text[0] === '"' ? readDoubleQuoted(text, 0) : readSingleQuoted(text, 0)
  if (end !== text.length) throw OUTSIDE
  return value
}

/** The value the emitter writes as exactly `text` after a key or `- `; throws OUTSIDE for any other text. */
export function readScalarAsEmitted(text: string): SopsScalar {
  const value = readScalar(text)
  const node = buildScalarNode(value)
  if (node.kind !== 'scalar' || node.text !== text) throw OUTSIDE
  return value
}
