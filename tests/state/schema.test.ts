import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Plain } from '../../lib/state/check.ts'
import { StateSchemaError } from '../../lib/state/errors.ts'
import {
  buildEmptyState,
  CURRENT_SCHEMA_VERSION,
  copyState,
  migrateState,
  parseState,
  REDACTED,
  redactState,
  SECRET_PATHS,
  type SessionRecord,
  type StateDocument,
  serializeState,
} from '../../lib/state/schema.ts'
import { buildSampleState } from './sample.ts'

function problemsOf(fn: () => unknown): string[] {
  try {
    fn()
  } catch (error) {
    assert.instance(error, StateSchemaError)
    assert.is((error as StateSchemaError).exitCode, 31)
    return [...(error as StateSchemaError).problems]
  }
  assert.unreachable('expected a StateSchemaError')
  return []
}

test('a full document round-trips through validation unchanged', () => {
  const doc = buildSampleState('alice', 3, 4)
  assert.equal(parseState(serializeState(structuredClone(doc)), 'f', 'alice'), doc)
  assert.equal(parseState(buildEmptyState('bob'), 'f'), buildEmptyState('bob'))
})

test('session lines validated before are reused for the same text only; a write writes every line anew', () => {
  const doc = buildSampleState('alice', 2, 6)
  const stored = serializeState(doc)
  const first = parseState(stored, 'f', 'alice')
  assert.equal(first, doc)
  // Each field of a session changes the lines written, though its stack's previous lines were validated.
  for (const [field, value] of [
    ['label', 'relabelled'],
    ['note', 'a note'],
    ['createdAt', '2026-01-01T00:00:00Z'],
    ['pinnedAt', '2026-01-02T00:00:00Z'],
    ['movedFrom', 'stack-1'],
  ] as const) {
    const changed = copyState(first)
    Object.assign(changed.sessions['s-1']!, { [field]: value })
    const text = (serializeState(changed).sessions as Record<string, string>)['stack-1']!
    assert.match(text, JSON.stringify({ [field]: value }).slice(1, -1))
    assert.equal(parseState(serializeState(changed), 'f', 'alice').sessions['s-1'], changed.sessions['s-1'])
  }
  // Other text under a stack validated before is validated again, and its sessions are not those of before.
  const lines = stored.sessions as Record<string, string>
  const bad = {
    ...stored,
    sessions: { ...lines, 'stack-1': lines['stack-1']!.replace(/"pinnedAt":"[^"]*"/, '"pinnedAt":"soon"') },
  }
  assert.ok(problemsOf(() => parseState(bad, 'f')).some((p) => p.startsWith('sessions.stack-1.s-1.pinnedAt')))
  // A hand edit's layout is read, and the next write puts each session back on its own canonical line.
  const canonical = lines['stack-1']!
  const [one, ...rest] = canonical.trimEnd().split('\n')
  for (const edited of [
    `${one}\n\n${rest.join('\n')}\n`,
    `${one!.replace('{"id"', '{ "id"')}\n${rest.join('\n')}\n`,
    `${one!.replace('"label":', '"label":"ghost","label":')}\n${rest.join('\n')}\n`,
    `${[...rest, one].join('\n')}\n`,
    canonical.trimEnd(),
  ]) {
    const read = parseState({ ...stored, sessions: { ...lines, 'stack-1': edited } }, 'f', 'alice')
    assert.equal(read, doc)
    assert.is((serializeState(read).sessions as Record<string, string>)['stack-1'], canonical)
  }
  // What a parse returns is the caller's: changing it changes nothing that a later parse returns.
  for (let round = 0; round < 2; round++) {
    parseState(stored, 'f', 'alice').sessions['s-1']!.label = 'changed by a caller'
    assert.is(parseState(stored, 'f', 'alice').sessions['s-1']!.label, doc.sessions['s-1']!.label)
  }
})

test('copyState: an equal document that shares no object with the original', () => {
  const doc = buildSampleState('alice', 3, 6)
  const copy = copyState(doc)
  assert.equal(copy, doc)
  assert.equal(Object.keys(copy), Object.keys(doc))
  const shared: string[] = []
  const walk = (a: unknown, b: unknown, path: string) => {
    if (typeof a !== 'object' || a === null) return
    if (a === b) shared.push(path)
    for (const key of Object.keys(a)) walk((a as Plain)[key], (b as Plain)[key], `${path}.${key}`)
  }
  walk(copy, doc, 'doc')
  assert.equal(shared, [])
  copy.sessions['s-1']!.label = 'changed'
  copy.stacks['stack-0']!.ports[0]!.external = 1
  assert.is(doc.sessions['s-1']!.label, 'session s-1')
  assert.is(doc.stacks['stack-0']!.ports[0]!.external, 18080)
})

test('every bad value is reported with its path', () => {
  // biome-ignore lint/suspicious/noExplicitAny: the test deliberately breaks the typed shape
  const doc = buildSampleState('alice', 1, 1) as unknown as Record<string, any>
  doc.stacks['stack-0'].provider = 'aws'
  doc.stacks['stack-0'].ssh.port = 70000
  doc.stacks['stack-0'].tokens.api = 42
  doc.stacks['stack-0'].createdAt = 'yesterday'
  doc.stacks['stack-0'].endpoints[0].url = 'not a url'
  doc.stacks['stack-0'].adress = '1.2.3.4'
  delete doc.stacks['stack-0'].image
  doc.sessions['s-0'].stack = 'ghost'
  doc.sessions['s-0'].createdAt = 'soon'
  doc.stacks.Bad_Name = doc.stacks['stack-0']
  const problems = problemsOf(() => parseState(serializeState(doc as StateDocument), 'state.sops.yaml'))
  for (const expected of [
    'stacks.stack-0.provider: expected one of hetzner, contabo, local, got "aws"',
    'stacks.stack-0.ssh.port: expected an integer from 1 to 65535, got 70000',
    'stacks.stack-0.tokens.api: expected a string, got number',
    'stacks.stack-0.createdAt: expected an ISO-8601 time',
    'stacks.stack-0.endpoints[0].url: expected a URL',
    'stacks.stack-0.adress: unknown field',
    'stacks.stack-0.image: missing',
    'sessions.ghost: no stack named "ghost"',
    'sessions.ghost.s-0.createdAt: expected an ISO-8601 time',
    'stacks.Bad_Name: key not allowed',
  ])
    assert.ok(
      problems.some((p) => p.startsWith(expected)),
      `missing problem "${expected}" in:\n${problems.join('\n')}`,
    )
})

test('a file of another operator is refused', () => {
  const problems = problemsOf(() => parseState(buildEmptyState('bob'), 'f', 'alice'))
  assert.equal(problems, ['operator: the file belongs to "bob", not "alice"'])
})

test('a schema version from the future is refused with an upgrade hint', () => {
  try {
    parseState({ ...buildEmptyState('alice'), schemaVersion: CURRENT_SCHEMA_VERSION + 1 }, 'f')
    assert.unreachable()
  } catch (error) {
    assert.instance(error, StateSchemaError)
    assert.match((error as StateSchemaError).message, `schemaVersion ${CURRENT_SCHEMA_VERSION + 1} is newer`)
    assert.match((error as StateSchemaError).hint ?? '', 'newer debug-cloud')
  }
  assert.equal(
    problemsOf(() => parseState({ operator: 'alice' }, 'f')),
    ['schemaVersion: expected a positive integer, got undefined'],
  )
  assert.equal(
    problemsOf(() => parseState(['x'], 'f')),
    ['(top level): expected a map'],
  )
})

test('migrations run in order from an older version; a gap is refused', () => {
  assert.equal(
    problemsOf(() => migrateState({ schemaVersion: 0 }, 'f')),
    ['schemaVersion: expected a positive integer, got 0'],
  )
  const table = {
    1: (d: Record<string, unknown>) => ({ ...d, added: 'in 2' }),
    2: (d: Record<string, unknown>) => ({ ...d, renamed: d.added, added: undefined }),
  }
  assert.equal(migrateState({ schemaVersion: 1, x: 1 }, 'f', table, 3), {
    schemaVersion: 3,
    x: 1,
    added: undefined,
    renamed: 'in 2',
  })
  assert.equal(migrateState({ schemaVersion: 2 }, 'f', table, 3), {
    schemaVersion: 3,
    renamed: undefined,
    added: undefined,
  })
  assert.equal(
    problemsOf(() => migrateState({ schemaVersion: 1 }, 'f', { 1: table[1] }, 3)),
    ['schemaVersion 2: no migration to version 3'],
  )
})

test('redaction replaces every secret and nothing else', () => {
  const doc = buildSampleState('alice', 2, 1)
  doc.stacks['stack-1']!.ssh = null
  doc.stacks['stack-1']!.tokens.runner = ''
  const red = redactState(doc)
  const s0 = red.stacks['stack-0']!
  assert.is(s0.ssh?.hostKeyPrivate, REDACTED)
  assert.is(s0.tokens.api, REDACTED)
  assert.is(s0.tokens.runner, REDACTED)
  assert.is(s0.terraform.statePassphrase, REDACTED)
  assert.is(s0.ssh?.hostKeyPublic, doc.stacks['stack-0']!.ssh!.hostKeyPublic)
  assert.is(red.stacks['stack-1']!.tokens.runner, '')
  assert.is(red.stacks['stack-1']!.ssh, null)
  assert.not.equal(doc.stacks['stack-0']!.tokens.api, REDACTED, 'the original is untouched')
  const text = JSON.stringify(red)
  for (const secret of ['api-token-', 'runner-token-', 'passphrase-', 'secret-stack'])
    assert.not.match(text, secret)
})

/** A stack record as versions 1 and 2 stored it: without `ports`. */
function withoutPorts(doc: StateDocument): Record<string, unknown> {
  return Object.fromEntries(Object.entries(doc.stacks).map(([name, { ports: _p, ...rest }]) => [name, rest]))
}

const DEFAULT_PORT = { ip: '127.0.0.1', external: 8080, internal: 8080, protocol: 'tcp' }

test('version 1 files migrate: each session map becomes one compact JSON string (schema v2)', () => {
  const doc = buildSampleState('alice', 1, 1)
  doc.stacks['stack-0']!.ports = [{ ...DEFAULT_PORT, protocol: 'tcp' }]
  const [id, session] = Object.entries(doc.sessions)[0]!
  const v1 = { ...doc, schemaVersion: 1, stacks: withoutPorts(doc), sessions: { [id]: { ...session } } }
  assert.equal(parseState(v1, 'f', 'alice'), doc)
})

test('version 3 files migrate: sessions keyed by id (a compact string or a hand-edited map) move under their stack', () => {
  const doc = buildSampleState('alice', 2, 3)
  const compact = (s: SessionRecord) => {
    const { id: _id, ...fields } = s
    return JSON.stringify(fields)
  }
  const [s0, s1, s2] = Object.values(doc.sessions) as [SessionRecord, SessionRecord, SessionRecord]
  const v3 = {
    ...doc,
    schemaVersion: 3,
    sessions: { [s0.id]: compact(s0), [s1.id]: { ...s1 }, [s2.id]: compact(s2) },
  }
  assert.equal(parseState(v3, 'f', 'alice'), doc)
  const stored = serializeState(doc) as { schemaVersion: number; sessions: Record<string, string> }
  assert.is(stored.schemaVersion, 4)
  const lineOf = (s: SessionRecord) => {
    const { stack: _stack, ...fields } = s
    return JSON.stringify(fields)
  }
  const expected: Record<string, string[]> = {}
  for (const s of [s0, s1, s2].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    expected[s.stack] ??= []
    expected[s.stack]!.push(lineOf(s))
  }
  assert.equal(
    stored.sessions,
    Object.fromEntries(Object.entries(expected).map(([stack, lines]) => [stack, `${lines.join('\n')}\n`])),
  )
  assert.equal(parseState(stored, 'f', 'alice'), doc)
  const broken = { ...v3, sessions: { [s0.id]: '{not json', [s1.id]: { label: null } } }
  assert.equal(
    problemsOf(() => parseState(broken, 'f', 'alice')),
    [
      `sessions.${s0.id}: expected a JSON session record like {"stack":"…","label":null,…}, got "{not json"`,
      `sessions.${s1.id}.stack: expected a string`,
    ],
  )
})

test('version 2 files migrate: each stack records its ports, from the app output or the old default', () => {
  const doc = buildSampleState('alice', 2, 0)
  const published = [{ ip: '0.0.0.0', external: 9000, internal: 80, protocol: 'udp' }]
  doc.stacks['stack-0']!.outputs = { app: { published_ports: published } }
  const v2 = { ...doc, schemaVersion: 2, stacks: withoutPorts(doc) }
  const migrated = parseState(v2, 'f', 'alice')
  assert.equal(migrated.stacks['stack-0']!.ports, published)
  assert.equal(migrated.stacks['stack-1']!.ports, [DEFAULT_PORT])
})

test('the secret paths are the four secrets of a stack and the credentials, as docs/spec.md lists them', () => {
  const spec = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'spec.md'), 'utf8')
  const documented = spec.match(/`(stacks|credentials)\.\*[A-Za-z.]*`/g)?.map((p) => p.slice(1, -1)) ?? []
  assert.equal([...new Set(documented)].sort(), [...SECRET_PATHS].sort())
  assert.equal([...SECRET_PATHS].sort(), [
    'credentials.*',

    'stacks.*.ssh.hostKeyPrivate',
    'stacks.*.terraform.statePassphrase',
    'stacks.*.tokens.api',
    'stacks.*.tokens.runner',
  ])
})

test.run()
