/**
 * Scalars as sops (Go) sees them: which YAML plain scalars are ints, floats, bools, timestamps or null
 * (go-yaml v3's resolver, not YAML 1.2 core), and the exact bytes Go writes for each type.
 */
import { SopsUnsupportedError } from './errors.ts'

/** A float that must stay a float although it is integral (`3.0`, JSON numbers); `toJSON` gives the number. */
export class SopsFloat {
  constructor(readonly value: number) {}
  toJSON(): number {
    return this.value
  }
}

/** A scalar value of the plain data model. */
export type SopsScalar = string | number | boolean | null | SopsFloat

/** The `type:` names sops writes into `ENC[...]`. */
export type SopsValueType = 'str' | 'int' | 'float' | 'bool' | 'time' | 'comment' | 'bytes'

/** True for values written as floats (`type:float`). */
export function isFloat(value: unknown): value is number | SopsFloat {
  return value instanceof SopsFloat || (typeof value === 'number' && !Number.isInteger(value))
}

/** Go `strconv.FormatFloat(v, 'f', -1, 64)`: shortest round-trip digits, never an exponent. */
export function formatGoFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN'
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf'
  if (Object.is(v, -0)) return '-0'
  const text = String(v)
  const match = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(text)
  if (!match) return text
  const [, sign, lead, rest = '', exp] = match
  const digits = lead + rest
  const point = 1 + Number(exp)
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`
  if (point >= digits.length) return sign + digits + '0'.repeat(point - digits.length)
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`
}

/** go-yaml v3's float emitter (`FormatFloat(v, 'g', -1, 64)`, `.inf`, `.nan`) for unencrypted floats. */
export function formatYamlFloat(v: number): string {
  if (Number.isNaN(v)) return '.nan'
  if (!Number.isFinite(v)) return v > 0 ? '.inf' : '-.inf'
  const [mantissa = '', expText = '0'] = v.toExponential().split('e')
  const exp = Number(expText)
  // Go's shortest 'g' switches to an exponent from 1e6 up and below 1e-4.
  if (exp < -4 || exp >= 6) {
    const e = Math.abs(exp)
    return `${mantissa}e${exp < 0 ? '-' : '+'}${e < 10 ? `0${e}` : e}`
  }
  return formatGoFloat(v)
}

/** The bytes sops hashes into the MAC and encrypts for a value (`ToBytes` in sops.go). */
export function toGoText(value: SopsScalar): string {
  if (value === null) return ''
  if (value instanceof SopsFloat) return formatGoFloat(value.value)
  if (typeof value === 'boolean') return value ? 'True' : 'False'
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : formatGoFloat(value)
  return value
}

/** The `type:` sops uses for a plain value. */
export function typeOf(value: Exclude<SopsScalar, null>): SopsValueType {
  if (typeof value === 'string') return 'str'
  if (typeof value === 'boolean') return 'bool'
  return isFloat(value) ? 'float' : 'int'
}

/** Go `strconv.ParseBool`. */
function parseGoBool(text: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false
  return undefined
}

/**
 * Go `strconv.ParseInt(text, 0, 64)` (prefixes 0x, 0o, 0b and a leading-zero octal). Integers beyond
 * 2^53 cannot be held exactly in a JS number: refused rather than silently rounded.
 */
export function parseGoInt(text: string): number | undefined {
  const match = /^([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(text)
  if (!match) return undefined
  const [, sign, body = ''] = match
  let magnitude: bigint
  if (/^0[oO]/.test(body)) magnitude = BigInt(`0o${body.slice(2)}`)
  else if (/^0[0-7]+$/.test(body)) magnitude = BigInt(`0o${body.slice(1)}`)
  else magnitude = BigInt(body)
  const value = sign === '-' ? -magnitude : magnitude
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER))
    throw new SopsUnsupportedError(
      `The integer ${text} is beyond 2^53, which this tool cannot represent exactly.`,
    )
  return Number(value)
}

/** Parse decrypted plaintext by its `type:`, as sops's `Cipher.Decrypt` does. */
export function parseTyped(text: string, type: SopsValueType): SopsScalar {
  switch (type) {
    case 'str':
    case 'comment':
    case 'time':
    case 'bytes':
      return text
    case 'int': {
      const n = parseGoInt(text.replace(/^\+/, ''))
      if (n === undefined || !/^[-+]?\d+$/.test(text)) throw new Error(`invalid int ${JSON.stringify(text)}`)
      return n
    }
    case 'float': {
      const n = /^[-+]?(inf|infinity)$/i.test(text)
        ? text.startsWith('-')
          ? -Infinity
          : Infinity
        : /^nan$/i.test(text)
          ? Number.NaN
          : Number(text)
      if (text.trim() === '' || (Number.isNaN(n) && !/^nan$/i.test(text))) throw new Error('invalid float')
      return Number.isInteger(n) ? new SopsFloat(n) : n
    }
    case 'bool': {
      const b = parseGoBool(text)
      if (b === undefined) throw new Error(`invalid bool ${JSON.stringify(text)}`)
      return b
    }
  }
}
