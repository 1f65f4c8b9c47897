/**
 * Seeded random documents for the codec's tests: tricky scalars (strings that look like numbers,
 * booleans, null or dates, quotes, indicators, multi-line, unicode), numbers, floats, nesting and empty
 * collections; and hand-edit-like mutations of a YAML text (indentation, comments, blank lines,
 * inline comments, anchors, tags, CRLF, swapped lines, a BOM).
 */
import { SopsFloat } from '../../lib/sops/index.ts'

/** mulberry32: a seeded generator, so every run checks the same documents and mutations. */
export function seeded(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const STRINGS = [
  ...['', 'plain', 'two words', 'true', 'True', 'yes', 'No', 'off', 'null', 'Null', '~', 'y'],
  ...['123', '0755', '0x1f', '1_000', '-1', '+1', '1.5', '.5', '5.', '1e3', '.inf', '-.Inf', '.nan'],
  ...['2024-01-01', '2024-01-01T12:00:00Z', '1:30', '12:30:45', 'a: b', 'a:b', 'a #b', 'a#b', '#x'],
  ...['- x', '-', '? x', ': x', "it's", '"q"', "'q'", '  lead', 'trail  ', 'tab\there', '[a, b]'],
  ...['{a: b}', '&a', '*a', '!tag', '|', '>', '%x', '@x', '`x', '---', '...', '<<', '\\', 'C:\\p'],
  ...['http://h:8080/p?q=1#f', 'multi\nline', 'multi\nline\n', 'trailing\n\n', 'x\n\n\n', '\nlead'],
  ...[' space first\nx', 'indented\n  inner\nout', 'héllo ✓ 日本 😀', '\u2028sep', '\u00a0nbsp'],
  ...[
    '\ufeffbom',
    '\u0085nel',
    'cr\r\nlf',
    '\x01ctrl',
    'del\x7f',
    'ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]',
  ],
  'x'.repeat(300),
  `${'long line '.repeat(40)}\n${'second '.repeat(30)}`,
]
const KEYS = ['a', 'key', '2024', '0', 'true', 'null', 'a b', 'a: b', '#k', "it's", 'ünï', '-k', 'x_y', '']
const NUMBERS = [0, 1, -5, 8080, 2 ** 53 - 1, 1.5, -0.25, 1e-7, 1234567.5]
const FLOATS = [3, 0, -2, 1e6, 1e21, Number.POSITIVE_INFINITY, Number.NaN].map((v) => new SopsFloat(v))

function pick<T>(rand: () => number, list: readonly T[]): T {
  return list[Math.floor(rand() * list.length)] as T
}

function randomValue(rand: () => number, depth: number): unknown {
  const roll = rand()
  if (depth < 4 && roll < 0.2) {
    const map: Record<string, unknown> = {}
    const n = Math.floor(rand() * 4)
    for (let i = 0; i < n; i++) map[`${pick(rand, KEYS)}${i}`] = randomValue(rand, depth + 1)
    if (rand() < 0.3) map[pick(rand, KEYS)] = randomValue(rand, depth + 1)
    return map
  }
  if (depth < 4 && roll < 0.35)
    return Array.from({ length: Math.floor(rand() * 4) }, () => randomValue(rand, depth + 1))
  if (roll < 0.75) return pick(rand, STRINGS)
  if (roll < 0.85) return pick(rand, NUMBERS)
  if (roll < 0.9) return pick(rand, FLOATS)
  if (roll < 0.96) return rand() < 0.5
  return null
}

/** The same random subtree encrypted and, under an `_unencrypted` key, as plain YAML scalars. */
export function randomDocument(rand: () => number): Record<string, unknown> {
  const doc: Record<string, unknown> = {}
  for (let i = 0; i < 1 + Math.floor(rand() * 4); i++) {
    const value = randomValue(rand, 0)
    doc[`${pick(rand, KEYS)}${i}`] = value
    doc[`${pick(rand, KEYS)}${i}_unencrypted`] = value
  }
  return doc
}

/** One hand edit each, at line `at`. */
const MUTATIONS: Array<(lines: string[], at: number, rand: () => number) => void> = [
  (lines, at) => lines.splice(at, 1),
  (lines, at) => lines.splice(at, 0, lines[at] ?? ''),
  (lines, at) => lines.splice(at, 1, ` ${lines[at]}`),
  (lines, at) => lines.splice(at, 1, `  ${lines[at]}`),
  (lines, at) => lines.splice(at, 1, (lines[at] ?? '').replace(/^ /, '')),
  (lines, at) => lines.splice(at, 0, `${/^ */.exec(lines[at] ?? '')?.[0]}#c`),
  (lines, at) => lines.splice(at, 0, `${/^ */.exec(lines[at] ?? '')?.[0]}# comment  `),
  (lines, at) => lines.splice(at, 0, '#'),
  (lines, at, rand) =>
    lines.splice(
      at,
      0,
      `${/^ */.exec(lines[at] ?? '')?.[0]}#${pick(rand, ['\t', '\r', '\u2028', '\u0085', '\ufeff', '\0', '\x7f', ' ✓'])}x`,
    ),
  (lines, at) => lines.splice(at, 0, ''),
  (lines, at) => lines.splice(at, 0, '    '),
  (lines, at) => lines.splice(at, 1, `${lines[at]} # inline`),
  (lines, at) => lines.splice(at, 1, `${lines[at]} `),
  (lines, at) => lines.splice(at, 1, `${lines[at]}\r`),
  (lines, at) => lines.splice(at, 1, (lines[at] ?? '').replace(': ', ':  ')),
  (lines, at) => lines.splice(at, 1, (lines[at] ?? '').replace('- ', '-  ')),
  (lines, at) => lines.splice(at, 1, (lines[at] ?? '').replace(/: (\S)/, ': &a $1')),
  (lines, at) => lines.splice(at, 1, (lines[at] ?? '').replace(/: (\S)/, ': !!str $1')),
  (lines, at) => lines.splice(at, 1, (lines[at] ?? '').replace(/"/g, "'")),
  (lines, at) => lines.splice(at, 1, (lines[at] ?? '').replace(/\|(?=[-+]?$)/, '|2')),
  (lines, at) => lines.splice(at, 1, (lines[at] ?? '').replace(/\|(?=[-+]?$)/, '>')),
  (lines, at) => lines.splice(at, 1, (lines[at] ?? '').replace(/\\/, '\\/')),
  (lines, at) => lines.splice(at, 1, (lines[at] ?? '').replace(/ {4}/, '\t')),
  (lines, at) => lines.splice(at, 0, '---'),
  (lines, at, rand) => {
    const other = Math.floor(rand() * lines.length)
    ;[lines[at], lines[other]] = [lines[other] as string, lines[at] as string]
  },
  (lines, at) => lines.splice(at, 1, (lines[at] ?? '').replace(/^( *)(\S)/, '$1\ufeff$2')),
]

/** One or two hand edits of `text`, sometimes with CRLF line ends. */
export function mutate(text: string, rand: () => number): string {
  const lines = text.split('\n')
  for (let n = 1 + Math.floor(rand() * 2); n > 0; n--)
    pick(rand, MUTATIONS)(lines, Math.floor(rand() * lines.length), rand)
  return rand() < 0.1 ? lines.join('\r\n') : lines.join('\n')
}
