/**
 * The operator state document (schema version 1): its types, a hand-written validator that names every bad
 * path, the migrations table (files from a newer version are refused), the secret paths, and redaction.
 */
import { Checker, isPlainObject, type Plain } from './check.ts'
import { StateSchemaError } from './errors.ts'

export const CURRENT_SCHEMA_VERSION = 2
export const PROVIDERS = ['hetzner', 'contabo', 'local'] as const
export const STACK_STATUSES = [
  'planned',
  'applying',
  'ready',
  'failed',
  'interrupted',
  'destroying',
  'destroyed',
] as const

export type Provider = (typeof PROVIDERS)[number]
export type StackStatus = (typeof STACK_STATUSES)[number]

export interface SshRecord {
  user: string
  port: number
  hostKeyPublic: string
  hostKeyFingerprint: string
  /** SECRET */
  hostKeyPrivate: string
  knownHosts: string
}

export interface StackRecord {
  provider: Provider
  env: string
  status: StackStatus
  createdAt: string
  updatedAt: string
  image: string
  size: string | null
  location: string | null
  address: string | null
  ssh: SshRecord | null
  dockerHost: string | null
  endpoints: { name: string; url: string }[]
  /** SECRET: both tokens. */
  tokens: { api: string; runner: string }
  providerIds: Record<string, string>
  outputs: Record<string, unknown>
  /** SECRET: the passphrase of the encrypted Terraform state. */
  terraform: { statePassphrase: string }
  lastError: { message: string; at: string; diagnostics: string[] } | null
  releasedAt: string | null
}

export interface SessionRecord {
  id: string
  stack: string
  label: string | null
  note: string | null
  createdAt: string
  pinnedAt: string
  movedFrom: string | null
}

/** A type alias (not an interface) so it is assignable to the codec's plain-data parameter. */
export type StateDocument = {
  schemaVersion: typeof CURRENT_SCHEMA_VERSION
  operator: string
  stacks: Record<string, StackRecord>
  sessions: Record<string, SessionRecord>
}

/** Stack names end up in paths and resource names: lower-case slugs. */
export const STACK_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/
export const SESSION_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

/** Dotted paths of every secret value (`*` = any key of a map). */
export const SECRET_PATHS = [
  'stacks.*.ssh.hostKeyPrivate',
  'stacks.*.tokens.api',
  'stacks.*.tokens.runner',
  'stacks.*.terraform.statePassphrase',
] as const

export const REDACTED = '<redacted>'

/** Turns a version-n document into a version-(n+1) document. */
export type Migration = (doc: Plain) => Plain

/** The fields of a session as stored in the file (the id is its key). */
const SESSION_FIELDS = ['stack', 'label', 'note', 'createdAt', 'pinnedAt', 'movedFrom'] as const

/** One session as stored from version 2 on: a single JSON string, so 10,000 sessions stay quick to read. */
function compactSession(session: Plain): string {
  return JSON.stringify(Object.fromEntries(SESSION_FIELDS.map((k) => [k, session[k] ?? null])))
}

/**
 * Migration from version n is at key n.
 * 1 → 2: each session, a map of seven values, becomes one JSON string (7× fewer YAML nodes and ciphertexts).
 */
export const MIGRATIONS: Readonly<Record<number, Migration>> = {
  1: (doc) => ({
    ...doc,
    sessions: isPlainObject(doc.sessions)
      ? Object.fromEntries(
          Object.entries(doc.sessions).map(([id, v]) => [id, isPlainObject(v) ? compactSession(v) : v]),
        )
      : doc.sessions,
  }),
}

/** The document as written to the file: sessions as compact JSON strings. */
export function serializeState(doc: StateDocument): Plain {
  return {
    ...doc,
    sessions: Object.fromEntries(
      Object.entries(doc.sessions).map(([id, s]) => [id, compactSession({ ...s })]),
    ),
  }
}

/** A fresh, empty document for `operator`. */
export function buildEmptyState(operator: string): StateDocument {
  return { schemaVersion: CURRENT_SCHEMA_VERSION, operator, stacks: {}, sessions: {} }
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
    doc = { ...step(doc), schemaVersion: v + 1 }
  }
  return doc
}

function checkStack(c: Checker, value: unknown, p: string): StackRecord {
  const s = c.record(value, p, [
    'provider',
    'env',
    'status',
    'createdAt',
    'updatedAt',
    'image',
    'size',
    'location',
    'address',
    'ssh',
    'dockerHost',
    'endpoints',
    'tokens',
    'providerIds',
    'outputs',
    'terraform',
    'lastError',
    'releasedAt',
  ])
  const sshKeys = ['user', 'port', 'hostKeyPublic', 'hostKeyFingerprint', 'hostKeyPrivate', 'knownHosts']
  const ssh = s.ssh === null ? null : c.record(s.ssh, `${p}.ssh`, sshKeys)
  const tokens = c.record(s.tokens, `${p}.tokens`, ['api', 'runner'])
  const terraform = c.record(s.terraform, `${p}.terraform`, ['statePassphrase'])
  const lastError =
    s.lastError === null ? null : c.record(s.lastError, `${p}.lastError`, ['message', 'at', 'diagnostics'])
  return {
    provider: c.oneOf(s.provider, `${p}.provider`, PROVIDERS),
    env: c.string(s.env, `${p}.env`),
    status: c.oneOf(s.status, `${p}.status`, STACK_STATUSES),
    createdAt: c.time(s.createdAt, `${p}.createdAt`),
    updatedAt: c.time(s.updatedAt, `${p}.updatedAt`),
    image: c.string(s.image, `${p}.image`),
    size: c.nullableString(s.size, `${p}.size`),
    location: c.nullableString(s.location, `${p}.location`),
    address: c.nullableString(s.address, `${p}.address`),
    ssh: ssh && {
      user: c.string(ssh.user, `${p}.ssh.user`),
      port: c.integer(ssh.port, `${p}.ssh.port`, 1, 65535),
      hostKeyPublic: c.string(ssh.hostKeyPublic, `${p}.ssh.hostKeyPublic`),
      hostKeyFingerprint: c.string(ssh.hostKeyFingerprint, `${p}.ssh.hostKeyFingerprint`),
      hostKeyPrivate: c.secretString(ssh.hostKeyPrivate, `${p}.ssh.hostKeyPrivate`),
      knownHosts: c.string(ssh.knownHosts, `${p}.ssh.knownHosts`),
    },
    dockerHost: c.nullableString(s.dockerHost, `${p}.dockerHost`),
    endpoints: c.list(s.endpoints, `${p}.endpoints`).map((item, i) => {
      const e = c.record(item, `${p}.endpoints[${i}]`, ['name', 'url'])
      return {
        name: c.string(e.name, `${p}.endpoints[${i}].name`),
        url: c.url(e.url, `${p}.endpoints[${i}].url`),
      }
    }),
    tokens: {
      api: c.secretString(tokens.api, `${p}.tokens.api`),
      runner: c.secretString(tokens.runner, `${p}.tokens.runner`),
    },
    providerIds: c.stringRecord(s.providerIds, `${p}.providerIds`),
    outputs: c.plainMap(s.outputs, `${p}.outputs`),
    terraform: {
      statePassphrase: c.secretString(terraform.statePassphrase, `${p}.terraform.statePassphrase`),
    },
    lastError: lastError && {
      message: c.string(lastError.message, `${p}.lastError.message`),
      at: c.time(lastError.at, `${p}.lastError.at`),
      diagnostics: c.stringList(lastError.diagnostics, `${p}.lastError.diagnostics`),
    },
    releasedAt: c.nullableTime(s.releasedAt, `${p}.releasedAt`),
  }
}

/** A stored session: its JSON string (or, after a hand edit, a map) decoded, or a problem recorded. */
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

function checkSession(c: Checker, value: unknown, p: string, id: string, stacks: object): SessionRecord {
  let fields = decodeSession(c, value, p)
  // An `id` is optional inside the record (the key is the id), but must agree when given.
  if (isPlainObject(fields) && 'id' in fields) {
    const { id: given, ...rest } = fields
    if (given !== id) c.problems.push(`${p}.id: ${JSON.stringify(given)} differs from its key "${id}"`)
    fields = rest
  }
  const s = c.record(fields, p, SESSION_FIELDS)
  const session: SessionRecord = {
    id,
    stack: c.string(s.stack, `${p}.stack`),
    label: c.nullableString(s.label, `${p}.label`),
    note: c.nullableString(s.note, `${p}.note`),
    createdAt: c.time(s.createdAt, `${p}.createdAt`),
    pinnedAt: c.time(s.pinnedAt, `${p}.pinnedAt`),
    movedFrom: c.nullableString(s.movedFrom, `${p}.movedFrom`),
  }
  if (typeof s.stack === 'string' && !(s.stack in stacks))
    c.problems.push(`${p}.stack: no stack named "${s.stack}" in stacks`)
  return session
}

/** Migrate and validate a decrypted document; throws StateSchemaError listing every problem with its path. */
export function parseState(raw: unknown, file: string, expectedOperator?: string): StateDocument {
  const c = new Checker()
  const d = c.record(migrateState(raw, file), '(top level)', [
    'schemaVersion',
    'operator',
    'stacks',
    'sessions',
  ])
  const operator = c.string(d.operator, 'operator')
  if (expectedOperator !== undefined && typeof d.operator === 'string' && operator !== expectedOperator)
    c.problems.push(`operator: the file belongs to "${operator}", not "${expectedOperator}"`)
  const stacks: Record<string, StackRecord> = {}
  for (const [name, value] of c.map(d.stacks, 'stacks', STACK_NAME, 'lower-case letters, digits and dashes'))
    stacks[name] = checkStack(c, value, `stacks.${name}`)
  const sessions: Record<string, SessionRecord> = {}
  for (const [id, value] of c.map(d.sessions, 'sessions', SESSION_ID, 'letters, digits, ".", "_" and "-"'))
    sessions[id] = checkSession(c, value, `sessions.${id}`, id, stacks)
  if (c.problems.length > 0) throw new StateSchemaError(file, c.problems)
  return { schemaVersion: CURRENT_SCHEMA_VERSION, operator, stacks, sessions }
}

function redactAt(node: unknown, segments: readonly string[]): void {
  if (!isPlainObject(node) || segments.length === 0) return
  const [head, ...rest] = segments
  const keys = head === '*' ? Object.keys(node) : [head!]
  for (const key of keys) {
    if (!(key in node)) continue
    if (rest.length === 0) {
      if (typeof node[key] === 'string' && node[key] !== '') node[key] = REDACTED
    } else redactAt(node[key], rest)
  }
}

/** A deep copy of `doc` with every non-empty secret replaced by "<redacted>". */
export function redactState(doc: StateDocument): StateDocument {
  const copy = structuredClone(doc)
  for (const path of SECRET_PATHS) redactAt(copy, path.split('.'))
  return copy
}
