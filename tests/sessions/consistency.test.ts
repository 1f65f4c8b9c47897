import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { pinSession } from '../../lib/sessions/inventory.ts'
import { updateInventory } from '../../lib/sessions/update.ts'
import { LockHeldError, StateSchemaError } from '../../lib/state/errors.ts'
import { acquireLock, buildHolder } from '../../lib/state/lock.ts'
import { rejection } from '../state/env.ts'
import { buildSampleSession } from '../state/sample.ts'
import { makeTestOperator } from './operator.ts'

const WRITE_BEHIND = join(import.meta.dirname, 'fixtures', 'write-behind.ts')

const op = await makeTestOperator()
test.after(() => op.t.cleanup())

const now = new Date('2025-03-01T10:00:00.000Z')
const pin =
  (id: string, stack = 'lab') =>
  (doc: Parameters<typeof pinSession>[0]) =>
    pinSession(doc, { id, stack, now })

test('concurrent pins from several processes: none is lost, and of two pins of one id exactly one wins', async () => {
  await op.seed({ lab: 'ready', spare: 'ready' })
  const ids = ['c1', 'c2', 'c3', 'c4', 'c5', 'c6']
  const results = await Promise.all([
    ...ids.map((id, i) => op.sessions(['pin', id, '--stack', i % 2 ? 'lab' : 'spare'])),
    op.sessions(['pin', 'dup', '--stack', 'lab']),
    op.sessions(['pin', 'dup', '--stack', 'spare']),
  ])
  for (const [i, r] of results.slice(0, ids.length).entries()) assert.is(r.code, 0, `${ids[i]}: ${r.stderr}`)
  const dup = results.slice(ids.length)
  assert.equal(dup.map((r) => r.code).sort(), [0, 65], dup.map((r) => r.stderr).join('\n'))
  assert.match(dup.find((r) => r.code === 65)!.stderr, 'Session "dup" is already pinned to stack')
  const { doc } = await (await op.store()).read()
  assert.equal(Object.keys(doc.sessions).sort(), [...ids, 'dup'].sort())
  assert.is(doc.sessions.c2!.stack, 'lab')
  assert.is(doc.sessions.c1!.stack, 'spare')
})

test('a write waits for a lock another command holds, and gives up naming the holder when it is not freed', async () => {
  await op.seed({ lab: 'ready' })
  const writer = await op.store()
  const release = await acquireLock(writer.paths.lock, buildHolder('test holder'))
  const pending = updateInventory(writer, pin('w1'), 5000)
  await sleep(400)
  assert.not.ok((await writer.read()).doc.sessions.w1, 'nothing written while the lock is held')
  await release()
  await pending
  assert.ok((await writer.read()).doc.sessions.w1)
  const held = await acquireLock(writer.paths.lock, buildHolder('test holder'))
  try {
    const error = await rejection(updateInventory(writer, pin('w2'), 300))
    assert.instance(error, LockHeldError)
    assert.match(error.message, `pid ${process.pid}`)
    assert.match(error.message, '"test holder"')
  } finally {
    await held()
  }
  assert.not.ok((await writer.read()).doc.sessions.w2)
})

test('a write between read and write is not overwritten: the change is applied again on top of it', async () => {
  await op.seed({ lab: 'ready' }, { a: buildSampleSession('a', 'lab') })
  const store = await op.store()
  let calls = 0
  const { session } = await updateInventory(store, (doc) => {
    calls++
    if (calls === 1) {
      // Another writer that ignores the lock changes the file after this one read it.
      const other = spawnSync(process.execPath, ['--import', 'tsx', WRITE_BEHIND, 'edited meanwhile'], {
        env: { ...op.t.env },
        encoding: 'utf8',
      })
      assert.is(other.status, 0, other.stderr)
    }
    return pinSession(doc, { id: 'b', stack: 'lab', now })
  })
  assert.is(calls, 2)
  assert.is(session.id, 'b')
  const { doc } = await store.read()
  assert.is(doc.sessions.a!.label, 'edited meanwhile')
  assert.ok(doc.sessions.b)
})

test('a hand edit with the real `sops set` is refused until resealed, then picked up by the next command', async () => {
  await op.seed({ lab: 'ready', spare: 'planned' }, { a: buildSampleSession('a', 'lab') })
  const file = (await op.store()).paths.state
  // A hand edit moves the session's line from one stack's value to another's.
  const { stack: _stack, ...line } = { ...buildSampleSession('a', 'lab'), note: 'moved by hand' }
  const set = op.sops(['set', file, '["sessions"]', JSON.stringify({ spare: `${JSON.stringify(line)}\n` })])
  assert.is(set.code, 0, set.stderr)
  const refused = await op.sessions(['list', '--json'])
  assert.is(refused.code, 33, refused.stderr)
  assert.match(refused.stdout, 'npm run state -- reseal')
  await (await op.store()).reseal()
  const listed = await op.sessions(['list', '--json'])
  assert.is(listed.code, 0, listed.stderr)
  const [a] = JSON.parse(listed.stdout).sessions
  assert.equal([a.stack, a.status, a.note], ['spare', 'pending', 'moved by hand'])
  const pinned = await op.sessions(['pin', 'b', '--stack', 'spare'])
  assert.is(pinned.code, 0, pinned.stderr)
  const decrypted = JSON.parse(op.sops(['--decrypt', '--output-type', 'json', file]).stdout)
  assert.equal(Object.keys(decrypted.sessions), ['spare'])
  const [first, second] = decrypted.sessions.spare
    .trim()
    .split('\n')
    .map((l: string) => JSON.parse(l))
  assert.equal(
    [first.id, first.note, second.id],
    ['a', 'moved by hand', 'b'],
    'the hand edit survives the next write',
  )
})

test('an invalid hand edit is reported clearly by the next command, which changes nothing', async () => {
  // One stack's value of JSON lines (schema v4), as a hand edit with `sops set` would write it.
  const lines = (...sessions: Record<string, unknown>[]) =>
    JSON.stringify(`${sessions.map((s) => JSON.stringify(s)).join('\n')}\n`)
  const { stack: _stack, ...a } = buildSampleSession('a', 'lab')
  const cases: [string, string, string][] = [
    ['["sessions"]["nope"]', lines(a), 'sessions.nope: no stack named "nope" in stacks'],
    [
      '["sessions"]["lab"]',
      lines(a, { ...a, note: 'twice' }),
      'sessions.lab.a: session "a" is also pinned to lab',
    ],
    [
      '["sessions"]["lab"]',
      lines({ ...a, id: 'bad id' }),
      'sessions.lab line 1.id: expected a session id (letters, digits, ".", "_" and "-"), got "bad id"',
    ],
    [
      '["sessions"]["lab"]',
      lines({ ...a, pinnedAt: 'soon' }),
      'sessions.lab.a.pinnedAt: expected an ISO-8601 time',
    ],
    ['["sessions"]["lab"]', lines({ ...a, stack: 'lab' }), 'sessions.lab.a.stack: unknown field'],
    [
      '["sessions"]["lab"]',
      JSON.stringify('{"id":"a"\nnot json\n'),
      'sessions.lab line 1: expected a JSON session',
    ],
    [
      '["sessions"]["lab"]',
      '{"a":1}',
      'sessions.lab: expected a string with one JSON session per line, got a map',
    ],
  ]
  await op.seed({ lab: 'ready' }, { a: buildSampleSession('a', 'lab') })
  const file = (await op.store()).paths.state
  const good = readFileSync(file, 'utf8')
  for (const [path, value, problem] of cases) {
    const set = op.sops(['set', file, path, value])
    assert.is(set.code, 0, set.stderr)
    const edited = readFileSync(file, 'utf8')
    for (const args of [['list'], ['pin', 'n', '--stack', 'lab']]) {
      const out = await op.sessions(args)
      assert.is(out.code, 33, `${args.join(' ')} after ${path}: ${out.stderr}`)
      assert.match(out.stderr, 'npm run state -- reseal')
    }
    // Accepting the edit validates it first: the problem is named and nothing is written.
    const error = await rejection((await op.store()).reseal())
    assert.instance(error, StateSchemaError)
    assert.match(error.message, `${file} is not a valid state document:`)
    assert.match(error.message, problem)
    assert.match((error as StateSchemaError).hint ?? '', 'npm run state -- edit')
    assert.is(readFileSync(file, 'utf8'), edited, 'the edited file is left for the operator to fix')

    writeFileSync(file, good, { mode: 0o600 })
  }
})

test.run()
