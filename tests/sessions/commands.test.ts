import { readFileSync } from 'node:fs'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { buildSampleSession } from '../state/sample.ts'
import { makeTestOperator } from './operator.ts'

const op = await makeTestOperator()
test.after(() => op.t.cleanup())

const run = (...args: string[]) => op.sessions(args)
const json = async (...args: string[]) => {
  const out = await op.sessions([...args, '--json'])
  assert.is(out.code, 0, out.stderr)
  return JSON.parse(out.stdout)
}

test('pin, show, move, unpin through the real script; the state file stays encrypted', async () => {
  await op.seed({ lab: 'ready', spare: 'ready', gone: 'destroyed' })
  const before = Date.now()
  const pinned = await run(
    'pin',
    'dbg-7',
    '--stack',
    'lab',
    '--label',
    'heap dump',
    '--note',
    'customer 4711',
  )
  assert.is(pinned.code, 0, pinned.stderr)
  assert.is(pinned.stderr, '✓ Pinned session dbg-7 to stack lab.\n')
  assert.is(pinned.stdout, '')
  const { session } = await json('show', 'dbg-7')
  assert.equal(
    { ...session, createdAt: undefined, pinnedAt: undefined },
    {
      id: 'dbg-7',
      stack: 'lab',
      label: 'heap dump',
      note: 'customer 4711',
      createdAt: undefined,
      pinnedAt: undefined,
      movedFrom: null,
      status: 'active',
      host: { provider: 'local', status: 'ready', address: '10.200.0.2', releasedAt: null },
    },
  )
  assert.is(session.createdAt, session.pinnedAt)
  assert.ok(Date.parse(session.pinnedAt) >= before - 1000 && Date.parse(session.pinnedAt) <= Date.now())
  const file = readFileSync((await op.store()).paths.state, 'utf8')
  assert.not.match(file, 'heap dump')
  assert.not.match(file, 'customer 4711')
  const decrypted = op.sops(['--decrypt', '--output-type', 'json', (await op.store()).paths.state])
  assert.is(decrypted.code, 0, decrypted.stderr)
  // Sessions are stored as JSON lines under their stack (schema v4), one line per session.
  const lines = JSON.parse(decrypted.stdout).sessions.lab.trim().split('\n')
  assert.is(lines.length, 1)
  const stored = JSON.parse(lines[0])
  assert.equal([stored.id, stored.note], ['dbg-7', 'customer 4711'], 'the real sops reads it')

  const moved = await json('move', 'dbg-7', '--to', 'spare')
  assert.is(moved.session.stack, 'spare')
  assert.is(moved.session.movedFrom, 'lab')
  const shown = await run('show', 'dbg-7')
  assert.match(shown.stdout, /^stack: +spare$/m)
  assert.match(shown.stdout, /^moved from: +lab$/m)
  const unpinned = await run('unpin', 'dbg-7')
  assert.is(unpinned.code, 0, unpinned.stderr)
  assert.is(unpinned.stderr, '✓ Unpinned session dbg-7 (it was on stack spare).\n')
  assert.equal((await (await op.store()).read()).doc.sessions, {})
})

test('list prints the exact table sorted by stack then id, counts and an orphan warning on stderr', async () => {
  await op.seed(
    { lab: 'ready', fresh: 'planned', gone: 'destroyed' },
    {
      z: buildSampleSession('z', 'lab'),
      a: { ...buildSampleSession('a', 'lab'), label: null },
      m: buildSampleSession('m', 'gone'),
      f: buildSampleSession('f', 'fresh'),
    },
  )
  const out = await run('list')
  assert.is(out.code, 0, out.stderr)
  assert.is(
    out.stdout,
    [
      'SESSION  STATUS    STACK  PROVIDER  HOST       PINNED             LABEL',
      'f        pending   fresh  local     planned    2025-01-31 12:05Z  session f',
      'm        orphaned  gone   local     destroyed  2025-01-31 12:05Z  session m',
      'a        active    lab    local     ready      2025-01-31 12:05Z  -',
      'z        active    lab    local     ready      2025-01-31 12:05Z  session z',
      '',
    ].join('\n'),
  )
  assert.is(
    out.stderr,
    '4 sessions: 2 active, 1 pending, 1 orphaned\n' +
      '! 1 orphaned: their host failed or is gone. Move them with `move <id> --to <stack>` or `unpin <id>`.\n',
  )
  const filtered = await json('list', '--status', 'orphaned')
  assert.equal(filtered, {
    sessions: [
      {
        ...buildSampleSession('m', 'gone'),
        status: 'orphaned',
        host: {
          provider: 'local',
          status: 'destroyed',
          address: '10.200.0.2',
          releasedAt: '2025-02-28T09:00:00.000Z',
        },
      },
    ],
    counts: { active: 0, pending: 0, orphaned: 1 },
  })
  assert.equal(
    (await json('list', '--stack', 'lab')).sessions.map((s: { id: string }) => s.id),
    ['a', 'z'],
  )
  assert.equal((await json('list', '--provider', 'hetzner')).sessions, [])
  const none = await run('list', '--provider', 'hetzner')
  assert.is(none.stdout, '')
  assert.is(none.stderr, '0 sessions\n')
})

test('every refusal is a clear error with a hint and its exit code, and changes nothing', async () => {
  await op.seed({ lab: 'ready', gone: 'destroyed' }, { a: buildSampleSession('a', 'lab') })
  const file = (await op.store()).paths.state
  const before = readFileSync(file, 'utf8')
  const cases: [string[], number, string][] = [
    [['pin', 'n', '--stack', 'gone'], 65, 'Stack "gone" was destroyed (released 2025-02-28T09:00:00.000Z)'],
    [['pin', 'n', '--stack', 'nope'], 66, 'No stack named "nope"'],
    [['pin', 'a', '--stack', 'lab'], 65, 'Session "a" is already pinned to stack "lab"'],
    [['pin', 'bad/id', '--stack', 'lab'], 64, 'Session id "bad/id" is not allowed.'],
    [['pin', 'n'], 64, 'pin needs the stack to pin to: --stack <name>.'],
    [['pin', 'n', 'm', '--stack', 'lab'], 64, 'pin needs one session id, got 2 arguments.'],
    [['move', 'a', '--to', 'gone'], 65, 'Stack "gone" was destroyed'],
    [['move', 'a'], 64, 'move needs the stack to move to: --to <name>.'],
    [['unpin', 'b'], 66, 'No session "b" is pinned.'],
    [['unpin', 'a', '--label', 'x'], 64, '--label does not apply to unpin.'],
    [['show', 'nope'], 66, 'No session "nope" is pinned.'],
    [['list', 'extra'], 64, 'list takes no arguments, got "extra".'],
    [['list', '--stack', 'nope'], 66, 'No stack named "nope"'],
    [['list', '--status', 'orphan'], 64, '--status must be one of active, pending, orphaned; got "orphan".'],
    [['lsit'], 64, 'Give a verb: pin, unpin, move, list, show (got "lsit").'],
    [['pin', 'n', '--stak', 'lab'], 64, 'Unknown flag --stak.'],
    [['list', '--operator', 'bob'], 66, 'Operator "operators/bob" has no profile'],
  ]
  for (const [args, code, message] of cases) {
    const out = await run(...args)
    assert.is(out.code, code, `${args.join(' ')}: ${out.stderr}`)
    assert.match(out.stderr, `Error: ${message}`, args.join(' '))
    assert.ok(out.stderr.trimEnd().split('\n').length >= 2, `${args.join(' ')} has a hint: ${out.stderr}`)
  }
  const typo = await run('lsit')
  assert.match(typo.stderr, 'Did you mean `list`?')
  const asJson = await op.sessions(['unpin', 'b', '--json'])
  assert.equal(JSON.parse(asJson.stdout).error.name, 'SessionNotFoundError')
  assert.is(readFileSync(file, 'utf8'), before, 'the state file is untouched')
})

test('pinning to a host that is not ready works, with a warning that it is pending or orphaned', async () => {
  await op.seed({ fresh: 'applying', broken: 'failed' })
  const pending = await run('pin', 'p1', '--stack', 'fresh')
  assert.is(pending.code, 0, pending.stderr)
  assert.match(
    pending.stderr,
    'Stack "fresh" is applying: the session is listed as pending until the host is ready.',
  )
  const orphan = await run('pin', 'o1', '--stack', 'broken', '--created', '2025-01-02T03:04:05Z')
  assert.is(orphan.code, 0, orphan.stderr)
  assert.match(orphan.stderr, 'is listed as orphaned')
  const { session } = await json('show', 'o1')
  assert.is(session.createdAt, '2025-01-02T03:04:05.000Z')
})

test('--help lists every verb and states that no confirmation is asked', async () => {
  const out = await run('--help')
  assert.is(out.code, 0)
  for (const verb of ['pin <id> --stack', 'unpin <id>', 'move <id> --to', 'list [--provider', 'show <id>'])
    assert.match(out.stdout, verb)
  assert.match(out.stdout, 'no confirmation is asked')
})

test.run()
