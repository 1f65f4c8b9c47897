import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { CliError, UsageError } from '../../lib/errors.ts'
import { SessionNotFoundError, SessionRuleError } from '../../lib/sessions/errors.ts'
import {
  listSessions,
  moveSession,
  orphanedSessions,
  pinnedSessions,
  pinSession,
  releaseSessions,
  sessionStatusOf,
  unpinSession,
} from '../../lib/sessions/inventory.ts'
import {
  CURRENT_SCHEMA_VERSION,
  type StackRecord,
  type StackStatus,
  type StateDocument,
} from '../../lib/state/schema.ts'
import { buildSampleSession, buildSampleStack } from '../state/sample.ts'

const now = new Date('2025-03-01T10:00:00.000Z')

function stack(name: string, status: StackStatus, provider: StackRecord['provider'] = 'local'): StackRecord {
  const releasedAt = status === 'destroyed' ? '2025-02-28T09:00:00.000Z' : null
  return { ...buildSampleStack(name), status, provider, releasedAt }
}

/** Stacks in every interesting status, two sessions on `lab`, one each on `fresh` and `gone`. */
function buildDoc(): StateDocument {
  return {
    schemaVersion: CURRENT_SCHEMA_VERSION,
    operator: 'alice',
    stacks: {
      lab: stack('lab', 'ready'),
      fresh: stack('fresh', 'planned', 'hetzner'),
      busy: stack('busy', 'applying', 'contabo'),
      broken: stack('broken', 'failed', 'hetzner'),
      cut: stack('cut', 'interrupted'),
      leaving: stack('leaving', 'destroying'),
      gone: stack('gone', 'destroyed', 'hetzner'),
    },
    credentials: {},
    sessions: {
      b: buildSampleSession('b', 'lab'),
      a: buildSampleSession('a', 'lab'),
      c: buildSampleSession('c', 'fresh'),
      d: buildSampleSession('d', 'gone'),
    },
  }
}

/** The error `fn` throws (fails the test when it returns). */
function thrown(fn: () => unknown): CliError {
  try {
    fn()
  } catch (error) {
    if (error instanceof CliError) return error
    throw error
  }
  throw new Error('expected an error')
}

test('status is derived from the host: ready active, planned/applying pending, everything else orphaned', () => {
  const expected: Record<StackStatus, string> = {
    planned: 'pending',
    applying: 'pending',
    ready: 'active',
    failed: 'orphaned',
    interrupted: 'orphaned',
    destroying: 'orphaned',
    destroyed: 'orphaned',
  }
  for (const [status, session] of Object.entries(expected))
    assert.is(sessionStatusOf(stack('x', status as StackStatus)), session, status)
  assert.is(sessionStatusOf(undefined), 'orphaned', 'a missing host')
})

test('pin adds exactly the record, leaves the given document untouched, and defaults createdAt to now', () => {
  const doc = buildDoc()
  const before = structuredClone(doc)
  const { doc: next, session } = pinSession(doc, { id: 'dbg-1.x_y', stack: 'busy', label: 'crash', now })
  const expected = {
    id: 'dbg-1.x_y',
    stack: 'busy',
    label: 'crash',
    note: null,
    createdAt: '2025-03-01T10:00:00.000Z',
    pinnedAt: '2025-03-01T10:00:00.000Z',
    movedFrom: null,
  }
  assert.equal(session, expected)
  assert.equal(next.sessions['dbg-1.x_y'], expected)
  assert.equal(Object.keys(next.sessions), ['b', 'a', 'c', 'd', 'dbg-1.x_y'])
  assert.equal(doc, before, 'the input document is not changed')
  const withTime = pinSession(doc, {
    id: 'e',
    stack: 'lab',
    note: 'n',
    createdAt: '2025-02-01T08:00:00+01:00',
    now,
  })
  assert.is(withTime.session.createdAt, '2025-02-01T07:00:00.000Z')
  assert.is(withTime.session.note, 'n')
})

test('pin refuses an id already pinned (naming where), a destroyed, a dying or unknown stack, a bad id', () => {
  const doc = buildDoc()
  const again = thrown(() => pinSession(doc, { id: 'a', stack: 'fresh', now }))
  assert.instance(again, SessionRuleError)
  assert.is(again.exitCode, 65)
  assert.is(again.message, 'Session "a" is already pinned to stack "lab" (since 2025-01-31T12:05:00.000Z).')
  assert.is(again.hint, 'Move it with `npm run cloud:sessions -- move a --to fresh`, or unpin it first.')
  const gone = thrown(() => pinSession(doc, { id: 'n', stack: 'gone', now }))
  assert.is(
    gone.message,
    'Stack "gone" was destroyed (released 2025-02-28T09:00:00.000Z); sessions cannot be pinned to it.',
  )
  assert.is(gone.exitCode, 65)
  const leaving = thrown(() => pinSession(doc, { id: 'n', stack: 'leaving', now }))
  assert.is(leaving.message, 'Stack "leaving" is being destroyed; sessions cannot be pinned to it.')
  const unknown = thrown(() => pinSession(doc, { id: 'n', stack: 'nope', now }))
  assert.is(unknown.exitCode, 66)
  assert.is(unknown.message, 'No stack named "nope" in alice\'s state.')
  for (const id of ['', 'has space', '-lead', '.dot', 'a/b', 'x'.repeat(65), 'ünï'])
    assert.instance(
      thrown(() => pinSession(doc, { id, stack: 'lab', now })),
      UsageError,
      id,
    )
  assert.ok(pinSession(doc, { id: 'x'.repeat(64), stack: 'lab', now }))
})

test('pin refuses a label that is not one short line and a created time that is not a time', () => {
  const doc = buildDoc()
  for (const label of ['two\nlines', 'tab\there', 'x'.repeat(81)])
    assert.match(thrown(() => pinSession(doc, { id: 'n', stack: 'lab', label, now })).message, '--label')
  const created = thrown(() => pinSession(doc, { id: 'n', stack: 'lab', createdAt: 'yesterday', now }))
  assert.is(created.message, '--created must be an ISO-8601 time like 2025-01-31T12:00:00Z; got "yesterday".')
})

test('unpin removes only that session and returns it; an unknown id suggests the closest', () => {
  const doc = buildDoc()
  const { doc: next, session } = unpinSession(doc, 'c')
  assert.equal(session, buildSampleSession('c', 'fresh'))
  assert.equal(Object.keys(next.sessions), ['b', 'a', 'd'])
  assert.equal(Object.keys(doc.sessions), ['b', 'a', 'c', 'd'])
  const missing = thrown(() =>
    unpinSession({ ...doc, sessions: { 'dbg-1': buildSampleSession('dbg-1', 'lab') } }, 'dbg1'),
  )
  assert.instance(missing, SessionNotFoundError)
  assert.is(missing.exitCode, 66)
  assert.is(missing.message, 'No session "dbg1" is pinned.')
  assert.match(missing.hint!, 'Did you mean "dbg-1"?')
  assert.not.match(thrown(() => unpinSession(doc, 'zzzzzzzz')).hint!, 'Did you mean')
  assert.instance(
    thrown(() => unpinSession(doc, 'bad id')),
    UsageError,
  )
})

test('move re-pins, records movedFrom and the new pin time, and refuses same, destroyed or unknown targets', () => {
  const doc = buildDoc()
  const { doc: next, session } = moveSession(doc, 'd', 'lab', now)
  assert.equal(session, {
    ...buildSampleSession('d', 'gone'),
    stack: 'lab',
    movedFrom: 'gone',
    pinnedAt: '2025-03-01T10:00:00.000Z',
  })
  assert.equal(next.sessions.d, session)
  assert.is(doc.sessions.d!.stack, 'gone')
  assert.is(moveSession(next, 'd', 'fresh', now).session.movedFrom, 'lab', 'the latest origin')
  assert.is(
    thrown(() => moveSession(doc, 'a', 'lab', now)).message,
    'Session "a" is already pinned to stack "lab".',
  )
  assert.match(thrown(() => moveSession(doc, 'a', 'gone', now)).message, 'was destroyed')
  assert.is(thrown(() => moveSession(doc, 'a', 'nope', now)).exitCode, 66)
  assert.is(thrown(() => moveSession(doc, 'zz', 'lab', now)).exitCode, 66)
})

test('list: sorted by stack then id, with status and host; each filter and their combination', () => {
  const doc = buildDoc()
  const rows = (filters = {}) => listSessions(doc, filters).map((v) => `${v.id}@${v.stack}:${v.status}`)
  assert.equal(rows(), ['c@fresh:pending', 'd@gone:orphaned', 'a@lab:active', 'b@lab:active'])
  assert.equal(rows({ provider: 'hetzner' }), ['c@fresh:pending', 'd@gone:orphaned'])
  assert.equal(rows({ provider: 'contabo' }), [])
  assert.equal(rows({ stack: 'lab' }), ['a@lab:active', 'b@lab:active'])
  assert.equal(rows({ status: 'orphaned' }), ['d@gone:orphaned'])
  assert.equal(rows({ status: 'pending', provider: 'hetzner' }), ['c@fresh:pending'])
  assert.equal(rows({ status: 'active', provider: 'hetzner' }), [])
  assert.equal(listSessions(doc, { stack: 'gone' })[0], {
    ...buildSampleSession('d', 'gone'),
    status: 'orphaned',
    host: {
      provider: 'hetzner',
      status: 'destroyed',
      address: '10.200.0.2',
      releasedAt: '2025-02-28T09:00:00.000Z',
    },
  })
})

test('orphanedSessions reports failed, interrupted, destroyed and missing hosts, nothing else', () => {
  const doc = buildDoc()
  for (const name of ['broken', 'cut', 'leaving', 'busy'])
    doc.sessions[`on-${name}`] = buildSampleSession(`on-${name}`, name)
  doc.sessions.lost = buildSampleSession('lost', 'no-such-stack')
  const orphans = orphanedSessions(doc)
  assert.equal(
    orphans.map((v) => v.id),
    ['on-broken', 'on-cut', 'd', 'on-leaving', 'lost'],
  )
  assert.is(orphans.at(-1)!.host, null)
})

test('pinnedSessions and releaseSessions: the pins of one stack, removed and stamped with the release time', () => {
  const doc = buildDoc()
  assert.equal(
    pinnedSessions(doc, 'lab').map((s) => s.id),
    ['a', 'b'],
  )
  assert.equal(pinnedSessions(doc, 'busy'), [])
  const { doc: next, released } = releaseSessions(doc, 'lab', now)
  assert.equal(released, [
    { ...buildSampleSession('a', 'lab'), releasedAt: '2025-03-01T10:00:00.000Z' },
    { ...buildSampleSession('b', 'lab'), releasedAt: '2025-03-01T10:00:00.000Z' },
  ])
  assert.equal(Object.keys(next.sessions), ['c', 'd'])
  assert.equal(Object.keys(doc.sessions), ['b', 'a', 'c', 'd'])
  assert.equal(releaseSessions(next, 'lab', now).released, [], 'releasing again finds nothing')
})

test.run()
