/**
 * Unlocks through real pseudo-terminals with clean environments: the passphrase typed once opens the sealed
 * identity for this terminal session only (the unlock agent, lib/gate/agent); `cloud:unlock` also lets --yes
 * skip the typed name; another session gets nothing; `cloud:lock` ends it at once; and the opened identity
 * appears in no file.
 */
import { type Dirent, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ExitCode } from '../../lib/errors.ts'
import { answerPassphrase, PASSPHRASE_PROMPT } from '../helpers/operator.ts'
import { spawnPty, TSX } from '../helpers/pty.ts'
import { FIXTURE, OPERATOR, Sandbox, STACK, UNLOCK } from './sandbox.ts'

const LOCK = 'scripts/lock.ts'

/** A shell in a new pty (its own session) running `script` with the tsx, fixture, unlock and lock paths set. */
function shellInPty(box: Sandbox, script: string) {
  const env = box.env({ TSX, FIXTURE, UNLOCK, LOCK, ARGS: box.fixtureArgs().join(' ') })
  return spawnPty(['/bin/bash', '--noprofile', '--norc', '-c', script], { env })
}

/**
 * Every file under `dir` whose bytes contain `needle` (skipping `except`). A file or directory that goes away
 * during the walk is skipped: /tmp also holds the sandboxes of the test file running beside this one.
 */
function filesWith(dir: string, needle: string, except: string[] = []): string[] {
  const gone = (error: unknown) => (error as NodeJS.ErrnoException).code === 'ENOENT'
  const hits: string[] = []
  let entries: Dirent[]
  try {
    entries = readdirSync(dir, { withFileTypes: true })
  } catch (error) {
    if (gone(error)) return []
    throw error
  }
  for (const entry of entries) {
    const path = join(dir, entry.name)
    if (except.includes(path)) continue
    if (entry.isDirectory()) hits.push(...filesWith(path, needle, except))
    else if (entry.isFile())
      try {
        if (statSync(path).size < 10_000_000 && readFileSync(path).includes(needle)) hits.push(path)
      } catch (error) {
        if (!gone(error)) throw error
      }
  }
  return hits
}

test('cloud:unlock: the passphrase once, then --yes in the same session approves without typing', async () => {
  const box = new Sandbox()
  try {
    await box.ready
    const session = shellInPty(
      box,
      '$TSX $UNLOCK; echo UNLOCK_EXIT=$?; $TSX $FIXTURE $ARGS --yes; echo GATED_EXIT=$?',
    )
    await session.expect(/keeps the identity of operator "alice" open on \/dev\/pts\/\d+ for 5 minute/)
    await session.expect(PASSPHRASE_PROMPT)
    session.type(`${box.passphrase}\r`)
    await session.expect('UNLOCK_EXIT=0')
    await session.expect('GATED_EXIT=0')
    assert.is(await session.exitCode(), 0)
    assert.match(session.transcript, /Approved by your cloud:unlock on this terminal/)
    assert.not.match(session.transcript, `Type ${STACK} to continue`)
    assert.is((session.transcript.match(/✔ Passphrase of your identity/g) ?? []).length, 1, 'asked once')
    assert.ok(box.markerWritten)
    assert.equal(
      box.audit().map((e) => [e.command, e.outcome, e.via ?? '']),
      [
        ['cloud:unlock', 'unlocked', ''],
        ['gate-fixture', 'approved', 'unlock'],
      ],
    )
    // The opened identity lives only in the agent's memory: in no file of the workstation or /tmp.
    const identity = readFileSync(join(box.dir, 'operator-key.txt'), 'utf8').trim().split('\n').at(-1) ?? ''
    assert.equal(filesWith(box.dir, identity, [join(box.dir, 'operator-key.txt')]), [])
    assert.equal(filesWith('/tmp', identity, [join(box.dir, 'operator-key.txt')]), [])
    assert.equal(filesWith(box.dir, box.passphrase), [])
  } finally {
    box.cleanup()
  }
})

test('a passphrase entry keeps the identity open for the session: the next command asks only the name', async () => {
  const box = new Sandbox()
  try {
    await box.ready
    const session = shellInPty(box, '$TSX $FIXTURE $ARGS; echo FIRST=$?; $TSX $FIXTURE $ARGS; echo SECOND=$?')
    await session.expect(PASSPHRASE_PROMPT)
    session.type(`${box.passphrase}\r`)
    await session.expect(`Type ${STACK} to continue`)
    session.type(`${STACK}\r`)
    await session.expect('FIRST=0')
    await session.expect(`Type ${STACK} to continue`)
    session.type(`${STACK}\r`)
    await session.expect('SECOND=0')
    assert.is((session.transcript.match(/✔ Passphrase of your identity/g) ?? []).length, 1)
  } finally {
    box.cleanup()
  }
})

test('a background job of the unlocked session is refused by the agent: a denial, audited, nothing approved', async () => {
  const box = new Sandbox()
  try {
    await box.ready
    // Job control on (set -m), as in an interactive shell: the job gets its own process group, not the foreground.
    const session = shellInPty(
      box,
      'set -m; $TSX $UNLOCK; echo UNLOCK_EXIT=$?; $TSX $FIXTURE $ARGS --yes & wait $!; echo BG_EXIT=$?',
    )
    await session.expect(PASSPHRASE_PROMPT)
    session.type(`${box.passphrase}\r`)
    await session.expect('UNLOCK_EXIT=0')
    await session.expect(`BG_EXIT=${ExitCode.gateNoUnlock}`)
    assert.match(
      session.transcript,
      'The unlock agent refused this process: the process is not the foreground job',
    )
    assert.not.ok(box.markerWritten)
    assert.not.match(session.transcript, /Approved by/)
    const last = box.audit().at(-1)
    assert.equal(
      [last?.command, last?.outcome, last?.reasons, last?.signals],
      ['gate-fixture', 'denied', ['no-unlock'], ['unlock agent']],
      JSON.stringify(box.audit()),
    )
  } finally {
    box.cleanup()
  }
})

test('another terminal session gets nothing from an unlock: the passphrase is asked, --yes refused', async () => {
  const box = new Sandbox()
  try {
    await box.ready
    const first = shellInPty(box, '$TSX $UNLOCK; echo UNLOCK_EXIT=$?; sleep 60')
    await first.expect(PASSPHRASE_PROMPT)
    first.type(`${box.passphrase}\r`)
    await first.expect('UNLOCK_EXIT=0')
    const other = answerPassphrase(
      shellInPty(box, '$TSX $FIXTURE $ARGS --yes; echo GATED_EXIT=$?'),
      box.passphrase,
    )
    await other.expect(`GATED_EXIT=${ExitCode.gateNoUnlock}`)
    assert.match(other.transcript, PASSPHRASE_PROMPT, 'the other session had to type the passphrase itself')
    assert.match(other.transcript, /this terminal session has no `cloud:unlock` that allows it/)
    assert.not.ok(box.markerWritten)
    first.kill()
  } finally {
    box.cleanup()
  }
})

test('cloud:lock ends the unlock at once: the next command asks the passphrase again, --yes is refused', async () => {
  const box = new Sandbox()
  try {
    await box.ready
    const session = shellInPty(
      box,
      '$TSX $UNLOCK; $TSX $LOCK; echo LOCK_EXIT=$?; $TSX $FIXTURE $ARGS --yes; echo GATED_EXIT=$?',
    )
    await session.expect(PASSPHRASE_PROMPT)
    session.type(`${box.passphrase}\r`)
    await session.expect('LOCK_EXIT=0')
    assert.match(session.transcript, /Locked: this terminal session holds no unlocked identity now/)
    await session.expect(PASSPHRASE_PROMPT)
    session.type(`${box.passphrase}\r`)
    await session.expect(`GATED_EXIT=${ExitCode.gateNoUnlock}`)
    assert.not.ok(box.markerWritten)
    assert.ok(box.audit().some((e) => e.command === 'cloud:lock' && e.outcome === 'locked'))
  } finally {
    box.cleanup()
  }
})

test('cloud:unlock needs a sealed identity, and is refused in CI like every gated command', async () => {
  const plain = new Sandbox({ identity: 'plaintext' })
  try {
    const session = shellInPty(plain, `$TSX $UNLOCK --operator ${OPERATOR}; echo UNLOCK_EXIT=$?`)
    await session.expect(`UNLOCK_EXIT=${ExitCode.gateNoIdentity}`)
    assert.match(session.transcript, /cloud:unlock needs a sealed identity/)
  } finally {
    plain.cleanup()
  }
  const box = new Sandbox()
  try {
    await box.ready
    const env = box.env({ TSX, UNLOCK, CI: 'true' })
    const session = spawnPty(
      ['/bin/bash', '--noprofile', '--norc', '-c', '$TSX $UNLOCK; echo UNLOCK_EXIT=$?'],
      { env },
    )
    await session.expect(`UNLOCK_EXIT=${ExitCode.gateCi}`)
    assert.not.match(session.transcript, PASSPHRASE_PROMPT)
  } finally {
    box.cleanup()
  }
})

test.run()
