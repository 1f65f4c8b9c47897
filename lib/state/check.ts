/**
 * A small hand-written validator: every check records a problem naming the dotted path of the bad value,
 * so one pass reports everything wrong with a document instead of the first error only.
 */

export type Plain = Record<string, unknown>

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
  if (typeof value === 'object') return 'a map'
  return String(value)
}

/** True for a plain map (not a list, not null). */
export function isPlainObject(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export class Checker {
  readonly problems: string[] = []

  fail(path: string, expected: string, value: unknown): void {
    this.problems.push(`${path}: expected ${expected}, got ${describe(value)}`)
  }

  /** A map with exactly the listed keys (missing and unknown keys are both problems). */
  record(value: unknown, path: string, keys: readonly string[]): Plain {
    if (!isPlainObject(value)) {
      this.fail(path, 'a map', value)
      return {}
    }
    for (const key of keys) if (!(key in value)) this.problems.push(`${path}.${key}: missing`)
    for (const key of Object.keys(value))
      if (!keys.includes(key))
        this.problems.push(`${path}.${key}: unknown field (allowed: ${keys.join(', ')})`)
    return value
  }

  /** A map of arbitrary keys matching `keyPattern`; returns its entries. */
  map(value: unknown, path: string, keyPattern: RegExp, keyRule: string): [string, unknown][] {
    if (!isPlainObject(value)) {
      this.fail(path, 'a map', value)
      return []
    }
    const entries = Object.entries(value)
    for (const [key] of entries)
      if (!keyPattern.test(key)) this.problems.push(`${path}.${key}: key not allowed (${keyRule})`)
    return entries
  }

  /** A map of anything (free-form data such as Terraform outputs). */
  plainMap(value: unknown, path: string): Plain {
    if (isPlainObject(value)) return value
    this.fail(path, 'a map', value)
    return {}
  }

  string(value: unknown, path: string): string {
    if (typeof value !== 'string') this.fail(path, 'a string', value)
    return typeof value === 'string' ? value : ''
  }

  /** A string that is a secret: a bad value is described by its type only, never echoed. */
  secretString(value: unknown, path: string): string {
    if (typeof value !== 'string')
      this.problems.push(`${path}: expected a string, got ${value === null ? 'null' : typeof value}`)
    return typeof value === 'string' ? value : ''
  }

  nullableString(value: unknown, path: string): string | null {
    return value === null ? null : this.string(value, path)
  }

  /** An ISO-8601 timestamp string. */
  time(value: unknown, path: string): string {
    if (typeof value !== 'string' || Number.isNaN(Date.parse(value)))
      this.fail(path, 'an ISO-8601 time like 2025-01-31T12:00:00Z', value)
    return typeof value === 'string' ? value : ''
  }

  nullableTime(value: unknown, path: string): string | null {
    return value === null ? null : this.time(value, path)
  }

  integer(value: unknown, path: string, min: number, max: number): number {
    const ok = typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max
    if (!ok) this.fail(path, `an integer from ${min} to ${max}`, value)
    return ok ? value : min
  }

  oneOf<T extends string>(value: unknown, path: string, allowed: readonly T[]): T {
    if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T
    this.fail(path, `one of ${allowed.join(', ')}`, value)
    return allowed[0]!
  }

  list(value: unknown, path: string): unknown[] {
    if (!Array.isArray(value)) {
      this.fail(path, 'a list', value)
      return []
    }
    return value
  }

  stringList(value: unknown, path: string): string[] {
    return this.list(value, path).map((item, i) => this.string(item, `${path}[${i}]`))
  }

  stringRecord(value: unknown, path: string): Record<string, string> {
    const out: Record<string, string> = {}
    if (!isPlainObject(value)) this.fail(path, 'a map of strings', value)
    else for (const [key, item] of Object.entries(value)) out[key] = this.string(item, `${path}.${key}`)
    return out
  }

  url(value: unknown, path: string): string {
    const text = this.string(value, path)
    if (text !== '' && !URL.canParse(text)) this.fail(path, 'a URL like http://127.0.0.1:8080', value)
    return text
  }
}
