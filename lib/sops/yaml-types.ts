/**
 * go-yaml v3's view of plain scalars, which decides the bytes sops hashes and encrypts: what a plain
 * YAML scalar resolves to (not YAML 1.2 core: `0755` is 493, `yes` a string, dates are timestamps),
 * and which strings it must quote when it writes them.
 */
import { parseGoInt, SopsFloat, type SopsScalar } from './values.ts'

const GO_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/
const YAML_DATE = /^\d{4}-\d{1,2}-\d{1,2}$/
const YAML_DATETIME =
  /^\d{4}-\d{1,2}-\d{1,2}(?:[Tt]\d{1,2}:\d{1,2}:\d{1,2}(?:\.\d+)?(?:Z|[+-]\d{1,2}:\d{2})|[ ]\d{1,2}:\d{1,2}:\d{1,2}(?:\.\d+)?)$/

/** Go `time.MarshalText` (RFC3339Nano) of a YAML timestamp, or undefined when `text` is not one. */
export function goTimestampText(text: string): string | undefined {
  // Every timestamp starts `dddd-`: anything else is told apart without the patterns below, whose first use
  // compiles them (most of a millisecond of a `cloud:status`, whose few scalars are versions and numbers).
  if (text.charCodeAt(4) !== 0x2d /* - */ || !(YAML_DATE.test(text) || YAML_DATETIME.test(text)))
    return undefined
  const [date = '', time = '00:00:00Z'] = text.split(/[Tt ]/)
  const [y, mo, d] = date.split('-')
  const zone = /(Z|[+-]\d{1,2}:\d{2})$/.exec(time)?.[1] ?? 'Z'
  const clock = time.slice(0, time.length - (time.endsWith(zone) ? zone.length : 0))
  const [hms = '', fraction = ''] = clock.split('.')
  const pad = (s: string | undefined) => (s ?? '').padStart(2, '0')
  const [h, mi, s] = hms.split(':')
  const frac = fraction.replace(/0+$/, '')
  return `${y}-${pad(mo)}-${pad(d)}T${pad(h)}:${pad(mi)}:${pad(s)}${frac ? `.${frac}` : ''}${zone === '+00:00' ? 'Z' : zone}`
}

const NULLS = new Set(['', '~', 'null', 'Null', 'NULL'])
const TRUES = new Set(['true', 'True', 'TRUE'])
const FALSES = new Set(['false', 'False', 'FALSE'])
const INFINITIES = new Set(['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF'])
const MINUS_INFINITIES = new Set(['-.inf', '-.Inf', '-.INF'])
const NANS = new Set(['.nan', '.NaN', '.NAN'])

/** The longest text in the sets above: anything longer is no null, bool, infinity or NaN. */
const LONGEST_WORD = Math.max(
  ...[NULLS, TRUES, FALSES, INFINITIES, MINUS_INFINITIES, NANS].flatMap((words) =>
    [...words].map((w) => w.length),
  ),
)

/** A plain (unquoted) YAML scalar resolved the way go-yaml v3 does; timestamps become their RFC3339Nano text. */
export function resolvePlainYaml(text: string): SopsScalar {
  // Most plain scalars of a state are long `ENC[…]` strings: a set lookup would hash every one of them whole.
  if (text.length > LONGEST_WORD) return resolvePlainNumber(text)
  if (NULLS.has(text)) return null
  if (TRUES.has(text)) return true
  if (FALSES.has(text)) return false
  if (INFINITIES.has(text)) return new SopsFloat(Infinity)
  if (MINUS_INFINITIES.has(text)) return new SopsFloat(-Infinity)
  if (NANS.has(text)) return new SopsFloat(Number.NaN)
  return resolvePlainNumber(text)
}

/** A plain scalar that is no word: a timestamp, an int, a float, or the string itself. */
function resolvePlainNumber(text: string): SopsScalar {
  if (!/^[-+.0-9]/.test(text)) return text
  const timestamp = goTimestampText(text)
  if (timestamp !== undefined) return timestamp
  const plain = text.replaceAll('_', '')
  const int = parseGoInt(plain)
  if (int !== undefined) return int
  if (GO_FLOAT.test(plain)) return new SopsFloat(Number(plain))
  return text
}

/** A plain JSON scalar (true/false/null/number) as Go's encoding/json decodes it: every number is a float64. */
export function resolvePlainJson(text: string): SopsScalar {
  if (text === 'null') return null
  if (text === 'true' || text === 'false') return text === 'true'
  const n = Number(text)
  if (text.trim() === '' || Number.isNaN(n)) throw new Error(`not a JSON scalar: ${text.slice(0, 20)}`)
  return new SopsFloat(n)
}

/** YAML 1.1 booleans, which go-yaml v3 double-quotes. */
const OLD_BOOLS = new Set([
  ...['y', 'Y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON'],
  ...['n', 'N', 'no', 'No', 'NO', 'off', 'Off', 'OFF'],
])

/** go-yaml v3 double-quotes strings that YAML 1.1 would read as bools or sexagesimal floats. */
export function isOldBoolOrBase60(text: string): boolean {
  return OLD_BOOLS.has(text) || /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/.test(text)
}

/** True when go-yaml v3 reads `text`, written plain, as that same string (not null, number, bool or timestamp). */
export function resolvesToString(text: string): boolean {
  return (
    text !== '' && text !== '<<' && resolvePlainYaml(text) === text && goTimestampText(text) === undefined
  )
}

/** True when go-yaml v3 would write `text` as a plain scalar that reads back as the same string. */
export function isPlainSafeString(text: string): boolean {
  if (!resolvesToString(text) || isOldBoolOrBase60(text)) return false
  if (
    /^[\s]|[\s]$/.test(text) ||
    /[\n\r\t]/.test(text) ||
    /[^\x20-\x7e\u00a0-\ud7ff\ue000-\ufffd]/u.test(text)
  )
    return false
  if (/^[?:-](?:\s|$)/.test(text) || /^[,[\]{}#&*!|>'"%@`]/.test(text)) return false
  if (/: |:$| #/.test(text) || text === '---' || text === '...') return false
  return true
}
