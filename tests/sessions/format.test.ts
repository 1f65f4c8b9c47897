import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { formatCounts, formatSessionDetails } from '../../lib/sessions/format.ts'
import { buildSessionView } from '../../lib/sessions/inventory.ts'
import { CURRENT_SCHEMA_VERSION, type StateDocument } from '../../lib/state/schema.ts'
import { buildSampleSession, buildSampleStack } from '../state/sample.ts'

const doc: StateDocument = {
  schemaVersion: CURRENT_SCHEMA_VERSION,
  operator: 'alice',
  stacks: { lab: buildSampleStack('lab') },
  credentials: {},
  sessions: {},
}

test('show: every field aligned, and a missing host said in words', () => {
  const session = { ...buildSampleSession('a', 'lab'), note: 'look at the heap', movedFrom: 'old' }
  assert.is(
    formatSessionDetails(buildSessionView(doc, session)),
    [
      'session:    a',
      'status:     active',
      'stack:      lab',
      'provider:   local',
      'host:       ready',
      'address:    10.200.0.2',
      'released:   -',
      'label:      session a',
      'note:       look at the heap',
      'created:    2025-01-31T12:00:00.000Z',
      'pinned:     2025-01-31T12:05:00.000Z',
      'moved from: old',
    ].join('\n'),
  )
  const lost = formatSessionDetails(buildSessionView(doc, buildSampleSession('b', 'gone')))
  assert.match(lost, /^status: +orphaned$/m)
  assert.match(lost, /^host: +missing \(no such stack in the state\)$/m)
  assert.match(lost, /^provider: +-$/m)
})

test('counts: only statuses that occur, singular and plural', () => {
  assert.is(formatCounts({ active: 0, pending: 0, orphaned: 0 }), '0 sessions')
  assert.is(formatCounts({ active: 1, pending: 0, orphaned: 0 }), '1 session: 1 active')
  assert.is(formatCounts({ active: 2, pending: 0, orphaned: 3 }), '5 sessions: 2 active, 3 orphaned')
})

test.run()
