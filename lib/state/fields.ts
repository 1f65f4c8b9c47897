/**
 * The field kinds the state schema is written in. A schema is a table of fields; from that one table come the
 * TypeScript types (`Infer`), the validator (every problem named by its dotted path), the list of secret paths,
 * the secrets of a value (for the redactor) and the redacted copy. A new secret field is one line in the table.
 */
import { type Checker, isPlainObject, type Plain } from './check.ts'

export interface Field<T> {
  /** Validate `value` at `path`, recording problems in `c`; returns the typed value (a placeholder when bad). */
  check(c: Checker, value: unknown, path: string): T
  /** A secret leaf: never echoed in a problem, collected for redaction, replaced by `REDACTED` in a copy. */
  readonly secret?: true
  /** The fields inside: a record's by key, a map's or nullable's under `*` / `?`. */
  readonly inner?: Readonly<Record<string, Field<unknown>>>
  readonly kind: 'leaf' | 'record' | 'map' | 'nullable'
}

export type Infer<F> = F extends Field<infer T> ? T : never
type Fields = Record<string, Field<unknown>>
type InferRecord<R extends Fields> = { -readonly [K in keyof R]: Infer<R[K]> }

export const REDACTED = '<redacted>'

/** `path.key`, or `key` at the top (path ''). */
function at(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`
}

function leaf<T>(check: (c: Checker, value: unknown, path: string) => T): Field<T> {
  return { check, kind: 'leaf' }
}

export const string = leaf((c, v, p) => c.string(v, p))
export const nullableString = leaf((c, v, p) => c.nullableString(v, p))
export const time = leaf((c, v, p) => c.time(v, p))
export const nullableTime = leaf((c, v, p) => c.nullableTime(v, p))
export const url = leaf((c, v, p) => c.url(v, p))
export const stringList = leaf((c, v, p) => c.stringList(v, p))
export const stringRecord = leaf((c, v, p) => c.stringRecord(v, p))
/** Free-form data (Terraform outputs): any map. */
export const plainMap = leaf((c, v, p) => c.plainMap(v, p))
/** A secret string: its problems name the type only, never the value. */
export const secret: Field<string> = { ...leaf((c, v, p) => c.secretString(v, p)), secret: true }

/** A whole number from `min` to `max`. */
export function integer(min: number, max: number): Field<number> {
  return leaf((c, v, p) => c.integer(v, p, min, max))
}

/** One of a fixed list of strings. */
export function oneOf<T extends string>(allowed: readonly T[]): Field<T> {
  return leaf((c, v, p) => c.oneOf(v, p, allowed))
}

/** A list whose items are each `item` (secrets inside lists are not supported: they would have no stable path). */
export function list<T>(item: Field<T>): Field<T[]> {
  return leaf((c, v, p) => c.list(v, p).map((x, i) => item.check(c, x, `${p}[${i}]`)))
}

/** A map with exactly these keys. */
export function record<R extends Fields>(fields: R): Field<InferRecord<R>> {
  const keys = Object.keys(fields)
  return {
    kind: 'record',
    inner: fields,
    check(c, value, path) {
      const raw = c.record(value, path, keys)
      const out: Plain = {}
      for (const k of keys) out[k] = fields[k]!.check(c, raw[k], at(path, k))
      return out as InferRecord<R>
    },
  }
}

/** null, or `inner`. */
export function nullable<T>(inner: Field<T>): Field<T | null> {
  return {
    kind: 'nullable',
    inner: { '?': inner },
    check: (c, value, path) => (value === null ? null : inner.check(c, value, path)),
  }
}

/** A map of any keys matching `keys` (described by `rule` in problems) to `value`. */
export function map<T>(keys: RegExp, rule: string, value: Field<T>): Field<Record<string, T>> {
  return {
    kind: 'map',
    inner: { '*': value },
    check(c, raw, path) {
      const out: Record<string, T> = {}
      for (const [key, item] of c.map(raw, path, keys, rule)) out[key] = value.check(c, item, at(path, key))
      return out
    },
  }
}

/** Dotted paths of every secret under `field` (`*` = any key of a map), e.g. `stacks.*.tokens.api`. */
export function secretPaths(field: Field<unknown>, prefix = ''): string[] {
  if (field.secret) return [prefix]
  return Object.entries(field.inner ?? {}).flatMap(([key, inner]) =>
    secretPaths(inner, key === '?' ? prefix : at(prefix, key)),
  )
}

/** Visit every secret leaf of `value` as laid out by `field`; the visitor's result replaces the leaf. */
function walkSecrets(field: Field<unknown>, value: unknown, visit: (secret: string) => unknown): unknown {
  if (field.secret) return typeof value === 'string' && value !== '' ? visit(value) : value
  if (field.kind === 'nullable') return value === null ? null : walkSecrets(field.inner!['?']!, value, visit)
  if (!isPlainObject(value) || field.kind === 'leaf') return value
  const inner = field.inner!
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => {
      const child = field.kind === 'map' ? inner['*'] : inner[k]
      return [k, child ? walkSecrets(child, v, visit) : v]
    }),
  )
}

/** Every non-empty secret string inside `value` (to register with the redactor before anything prints). */
export function collectSecrets<T>(field: Field<T>, value: T): string[] {
  const found: string[] = []
  walkSecrets(field, value, (s) => {
    found.push(s)
    return s
  })
  return found
}

/** A copy of `value` with every non-empty secret replaced by `REDACTED`. */
export function redactSecrets<T>(field: Field<T>, value: T): T {
  return walkSecrets(field, value, () => REDACTED) as T
}
