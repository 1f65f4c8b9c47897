/**
 * The operator state document as one table of fields (lib/state/fields.ts): the types, the validator that names
 * every bad path, the secret paths and the redaction all come from it. Also the migrations table (files from a
 * newer version are refused) and the stored form of sessions.
 */
import { PROVIDERS, type ProviderName } from '../providers/names.ts'
import { Checker, isPlainObject, type Plain } from './check.ts'
import { StateSchemaError } from './errors.ts'
import {
  collectSecrets,
  type Infer,
  integer,
  list,
  map,
  nullable,
  nullableString,
  nullableTime,
  oneOf,
  plainMap,
  record,
  redactSecrets,
  secret,
  secretPaths,
  string,
  stringList,
  stringRecord,
  time,
  url,
} from './fields.ts'

export { REDACTED } from './fields.ts'

export const CURRENT_SCHEMA_VERSION = 4
export const STACK_STATUSES = [
  'planned',
  'applying',
  'ready',
  'failed',
  'interrupted',
  'destroying',
  'destroyed',
] as const

export type Provider = ProviderName
export type StackStatus = (typeof STACK_STATUSES)[number]

/** Stack names end up in paths and resource names: lower-case slugs. */
export const STACK_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/
export const SESSION_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/
/** Provider credentials are named like the environment variables they replace (HCLOUD_TOKEN, CNTB_…). */
export const CREDENTIAL_NAME = /^[A-Z][A-Z0-9_]{0,63}$/

const SSH = record({
  user: string,
  port: integer(1, 65535),
  hostKeyPublic: string,
  hostKeyFingerprint: string,
  hostKeyPrivate: secret,
  knownHosts: string,
})

/** A port the app publishes on its Docker host: `[ip:]external:internal[/protocol]`. */
const PORT = record({
  ip: string,
  external: integer(1, 65535),
  internal: integer(1, 65535),
  protocol: oneOf(['tcp', 'udp'] as const),
})

const STACK = record({
  provider: oneOf(PROVIDERS),
  env: string,
  status: oneOf(STACK_STATUSES),
  createdAt: time,
  updatedAt: time,
  image: string,
  /** What up asked for, so destroy and day two plan against exactly what was applied. */
  ports: list(PORT),
  size: nullableString,
  location: nullableString,
  address: nullableString,
  ssh: nullable(SSH),
  dockerHost: nullableString,
  endpoints: list(record({ name: string, url })),
  tokens: record({ api: secret, runner: secret }),
  providerIds: stringRecord,
  outputs: plainMap,
  /** The passphrase of the stack's encrypted Terraform state. */
  terraform: record({ statePassphrase: secret }),
  lastError: nullable(record({ message: string, at: time, diagnostics: stringList })),
  releasedAt: nullableTime,
})

/** A session's fields besides its id and stack. */
const SESSION_LINE_FIELDS = {
  label: nullableString,
  note: nullableString,
  createdAt: time,
  pinnedAt: time,
  movedFrom: nullableString,
}
/** A session from version 4 on: one line under its stack (sessionLines). */
const SESSION_LINE = record({ id: string, ...SESSION_LINE_FIELDS })
/** The fields of a session keyed by its id, as versions 1 to 3 stored it. */
const SESSION = record({ stack: string, ...SESSION_LINE_FIELDS })
const SESSION_FIELDS = Object.keys(SESSION.inner ?? {})
const LINE_KEYS = Object.keys(SESSION_LINE.inner ?? {})

export type SshRecord = Infer<typeof SSH>
export type PortMapping = Infer<typeof PORT>
export type StackRecord = Infer<typeof STACK>
export type SessionRecord = { id: string } & Infer<typeof SESSION>

/** The secret-bearing part of the document (sessions hold none). */
const SECRET_BEARING = record({
  stacks: map(STACK_NAME, 'lower-case letters, digits and dashes', STACK),
  /** The operator's provider credentials (`npm run credentials`), handed to Terraform only as TF_VAR_*. */
  credentials: map(CREDENTIAL_NAME, 'upper-case letters, digits and "_"', secret),
})

/** A type alias (not an interface) so it is assignable to the codec's plain-data parameter. */
export type StateDocument = {
  schemaVersion: typeof CURRENT_SCHEMA_VERSION
  operator: string
  sessions: Record<string, SessionRecord>
} & Infer<typeof SECRET_BEARING>

/** Dotted paths of every secret value (`*` = any key of a map). */
export const SECRET_PATHS: readonly string[] = secretPaths(SECRET_BEARING)

/** Turns a version-n document into a version-(n+1) document; throws StateSchemaError for what it cannot carry. */
export type Migration = (doc: Plain, file: string) => Plain

/** The `keys` of `value` in that order, a missing one as null (a loop: a write stores 10,000 session lines). */
function pickFields(value: Plain, keys: readonly string[]): Plain {
  const picked: Plain = {}
  for (const k of keys) picked[k] = value[k] ?? null
  return picked
}

/** One session as versions 2 and 3 stored it: a single JSON string under its id. */
function compactSession(session: Plain): string {
  return JSON.stringify(pickFields(session, SESSION_FIELDS))
}

/** What cloud:up published before version 3 recorded the ports: the app's output, else the default. */
function recordedPorts(stack: Plain): unknown {
  const app = isPlainObject(stack.outputs) ? stack.outputs.app : undefined
  const published = isPlainObject(app) ? app.published_ports : undefined
  return Array.isArray(published)
    ? published
    : [{ ip: '127.0.0.1', external: 8080, internal: 8080, protocol: 'tcp' }]
}

/**
 * The sessions of a document as stored from version 4 on: one string per stack, one JSON line per session
 * (`{"id":…,"label":…,…}`, sorted by id), so 10,000 sessions over 200 hosts are 200 values to decrypt, not
 * 10,000, and a person editing with `sops edit` still sees one line per session.
 */
function sessionLines(sessions: Iterable<Plain & { id: string; stack: string }>): Record<string, string> {
  const byStack = new Map<string, (Plain & { id: string })[]>()
  for (const s of sessions) {
    const list = byStack.get(s.stack)
    if (list) list.push(s)
    else byStack.set(s.stack, [s])
  }
  const stored: Record<string, string> = {}
  for (const stack of [...byStack.keys()].sort()) {
    const lines = byStack
      .get(stack)!
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((s) => JSON.stringify(pickFields(s, LINE_KEYS)))
    stored[stack] = `${lines.join('\n')}\n`
  }
  return stored
}

/**
 * The last text of each stack's session lines that this process validated, with its sessions: a write
 * validates the whole document again, and a pin changes the lines of one stack in 200 (validating all 200
 * again was 30–45 ms of a pin at 10,000 sessions, docs/testing.md). The sessions are reused for the same
 * text only, copied out, never handed out, so nothing can change them. (The text itself is not reused for a
 * write: telling whether a read text is in sessionLines's layout, not a hand edit's, cost more than writing.)
 */
const validatedLines = new Map<string, { text: string; records: readonly SessionRecord[] }>()

/**
 * 3 → 4: sessions keyed by id (a compact string, or a map after a hand edit) regrouped under their stacks. A
 * session that names no stack cannot be placed: the file is refused with its path, as the validator would.
 */
function groupSessionsByStack(sessions: unknown, file: string): unknown {
  if (!isPlainObject(sessions)) return sessions
  const problems: string[] = []
  const placed: (Plain & { id: string; stack: string })[] = []
  for (const [id, value] of Object.entries(sessions)) {
    const c = new Checker()
    const fields = decodeSession(c, value, `sessions.${id}`)
    if (isPlainObject(fields) && typeof fields.stack === 'string')
      placed.push({ ...fields, id, stack: fields.stack })
    else
      problems.push(
        ...c.problems,
        ...(c.problems.length > 0 ? [] : [`sessions.${id}.stack: expected a string`]),
      )
  }
  if (problems.length > 0) throw new StateSchemaError(file, problems)
  return sessionLines(placed)
}

/** Apply `fn` to every entry of the map `value` (anything else is left for the validator to report). */
function mapEntries(value: unknown, fn: (v: unknown) => unknown): unknown {
  return isPlainObject(value) ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fn(v)])) : value
}

/**
 * Migration from version n is at key n.
 * 1 → 2: each session, a map of seven values, becomes one JSON string (7× fewer YAML nodes and ciphertexts).
 * 2 → 3: each stack records the ports it publishes; provider credentials can be kept in the state; the file is
 * sealed (lib/state/seal.ts), which the store adds on the next write.
 * 3 → 4: sessions are grouped by stack, one string of JSON lines per stack (sessionLines).
 */
export const MIGRATIONS: Readonly<Record<number, Migration>> = {
  1: (doc) => ({
    ...doc,
    sessions: mapEntries(doc.sessions, (v) => (isPlainObject(v) ? compactSession(v) : v)),
  }),
  2: (doc) => ({
    ...doc,
    stacks: mapEntries(doc.stacks, (v) => (isPlainObject(v) ? { ...v, ports: recordedPorts(v) } : v)),
    credentials: {},
  }),
  3: (doc, file) => ({ ...doc, sessions: groupSessionsByStack(doc.sessions, file) }),
}

/** The document as written to the file: sessions as JSON lines under their stacks (sessionLines). */
export function serializeState(doc: StateDocument): Plain {
  return { ...doc, sessions: sessionLines(Object.values(doc.sessions)) }
}

/** A fresh, empty document for `operator`. */
export function buildEmptyState(operator: string): StateDocument {
  return { schemaVersion: CURRENT_SCHEMA_VERSION, operator, stacks: {}, credentials: {}, sessions: {} }
}

/** Bring an older document up to the current version; refuse versions from the future or without a path. */
export function migrateState(
  raw: unknown,
  file: string,
  migrations = MIGRATIONS,
  current: number = CURRENT_SCHEMA_VERSION,
): Plain {
  if (!isPlainObject(raw)) throw new StateSchemaError(file, ['(top level): expected a map'])
  let doc = raw
  const version = doc.schemaVersion
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1)
    throw new StateSchemaError(file, [`schemaVersion: expected a positive integer, got ${String(version)}`])
  if (version > current)
    throw new StateSchemaError(
      file,
      [`schemaVersion ${version} is newer than this debug-cloud understands (${current})`],
      'The file was written by a newer debug-cloud: update this checkout (git pull) and run again. It was left untouched.',
    )
  for (let v = version; v < current; v++) {
    const step = migrations[v]
    if (!step) throw new StateSchemaError(file, [`schemaVersion ${v}: no migration to version ${v + 1}`])
    doc = { ...step(doc, file), schemaVersion: v + 1 }
  }
  return doc
}

/** A session of versions 2 and 3: its JSON string (or, after a hand edit, a map) decoded, or a problem recorded. */
function decodeSession(c: Checker, value: unknown, p: string): unknown {
  if (typeof value !== 'string') return value
  try {
    return JSON.parse(value) as unknown
  } catch {
    c.problems.push(
      `${p}: expected a JSON session record like {"stack":"…","label":null,…}, got ${JSON.stringify(value.slice(0, 40))}`,
    )
    return undefined
  }
}

/**
 * The sessions of a version-4 document (see sessionLines): each key a stack of the document, each line a JSON
 * session with a unique id. Problems are named `sessions.<stack>.<id>.<field>`, or by line number when the line
 * has no usable id. Blank lines are allowed (a hand edit).
 */
function parseSessions(c: Checker, value: unknown, stacks: object): Record<string, SessionRecord> {
  const sessions: Record<string, SessionRecord> = {}
  for (const [stack, text] of c.map(value, 'sessions', STACK_NAME, 'a stack name')) {
    const at = `sessions.${stack}`
    if (!(stack in stacks)) c.problems.push(`${at}: no stack named "${stack}" in stacks`)
    if (typeof text !== 'string') {
      c.fail(at, 'a string with one JSON session per line', text)
      continue
    }
    const known = validatedLines.get(stack)
    if (known?.text === text) {
      for (const session of known.records) place(c, sessions, copyFlat(session))
      continue
    }
    const problems = c.problems.length
    const records: SessionRecord[] = []
    const lines = text.split('\n')
    for (let n = 0; n < lines.length; n++) {
      const line = lines[n]!.trim()
      if (line === '') continue
      const where = `${at} line ${n + 1}`
      let fields: unknown
      try {
        fields = JSON.parse(line) as unknown
      } catch {
        c.problems.push(
          `${where}: expected a JSON session like {"id":"…","label":null,…}, got ${JSON.stringify(line.slice(0, 40))}`,
        )
        continue
      }
      if (!isPlainObject(fields)) {
        c.fail(where, 'a JSON session like {"id":"…","label":null,…}', fields)
        continue
      }
      const id = fields.id
      if (typeof id !== 'string' || !SESSION_ID.test(id)) {
        c.problems.push(
          `${where}.id: expected a session id (letters, digits, ".", "_" and "-"), got ${JSON.stringify(id)}`,
        )
        continue
      }
      // Spelled out, not spread: 10,000 sessions are read on every command that lists them.
      const { label, note, createdAt, pinnedAt, movedFrom } = SESSION_LINE.check(c, fields, `${at}.${id}`)
      const session = { id, stack, label, note, createdAt, pinnedAt, movedFrom }
      records.push(copyFlat(session))
      place(c, sessions, session)
    }
    if (c.problems.length === problems) validatedLines.set(stack, { text, records })
  }
  return sessions
}

/** Add `session` to `sessions`, or name the stack it is pinned to already. */
function place(c: Checker, sessions: Record<string, SessionRecord>, session: SessionRecord): void {
  const other = sessions[session.id]
  if (other)
    c.problems.push(
      `sessions.${session.stack}.${session.id}: session "${session.id}" is also pinned to ${other.stack}`,
    )
  else sessions[session.id] = session
}

/** Migrate and validate a decrypted document; throws StateSchemaError listing every problem with its path. */
export function parseState(raw: unknown, file: string, expectedOperator?: string): StateDocument {
  const c = new Checker()
  const d = c.record(migrateState(raw, file), '(top level)', [
    'schemaVersion',
    'operator',
    'stacks',
    'credentials',
    'sessions',
  ])
  const operator = string.check(c, d.operator, 'operator')
  if (expectedOperator !== undefined && typeof d.operator === 'string' && operator !== expectedOperator)
    c.problems.push(`operator: the file belongs to "${operator}", not "${expectedOperator}"`)
  const { stacks, credentials } = SECRET_BEARING.check(
    c,
    { stacks: d.stacks, credentials: d.credentials },
    '',
  )
  const sessions = parseSessions(c, d.sessions, stacks)
  if (c.problems.length > 0) throw new StateSchemaError(file, c.problems)
  return { schemaVersion: CURRENT_SCHEMA_VERSION, operator, stacks, credentials, sessions }
}

/** A record whose fields are all primitives: a spread copies it whole. */
type Flat<T> = { [K in keyof T]: string | number | boolean | null }

/** A copy of a flat record (the type refuses a record with a nested field, which a spread would share). */
function copyFlat<T extends Flat<T>>(record: T): T {
  return { ...record }
}

/**
 * A deep copy of `doc`, for a change to work on. The sessions are flat records copied by a spread: the
 * structured clone of 10,000 of them took 21 ms, a sixth of a pin's write.
 */
export function copyState(doc: StateDocument): StateDocument {
  const sessions: Record<string, SessionRecord> = {}
  for (const [id, session] of Object.entries(doc.sessions)) sessions[id] = copyFlat(session)
  return { ...structuredClone({ ...doc, sessions: {} }), sessions }
}

/** A deep copy of `doc` with every non-empty secret replaced by "<redacted>". */
export function redactState(doc: StateDocument): StateDocument {
  const { stacks, credentials } = doc
  return { ...copyState(doc), ...redactSecrets(SECRET_BEARING, { stacks, credentials }) }
}

/** Every secret of one stack record, for the redactor. */
export function stackSecrets(stack: StackRecord): string[] {
  return collectSecrets(STACK, stack)
}
