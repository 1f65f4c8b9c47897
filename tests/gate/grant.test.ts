/**
 * cloud:unlock grants through real pseudo-terminals: a grant made by typing the operator name lets --yes
 * through in the same terminal session and not in another one; it expires; it can be revoked; and
 * unlocking is itself gated.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ExitCode } from '../../lib/errors.ts'
import type { Grant } from '../../lib/gate/grant.ts'
import { spawnPty, spawnTsxPty, TSX } from '../helpers/pty.ts'
import { FIXTURE, OPERATOR, Sandbox, UNLOCK } from './sandbox.ts'

/** A shell in a new pty (its own session) that runs `script` with the tsx, fixture and unlock paths set. */
function shellInPty(box: Sandbox, script: string, extra: Record<string, string> = {}) {
  const env = box.env({ TSX, FIXTURE, UNLOCK, ARGS: box.fixtureArgs().join(' '), ...extra })
  return spawnPty(['/bin/bash', '--noprofile', '--norc', '-c', script], { env })
}

function grantFiles(box: Sandbox): string[] {
  const dir = join(box.operatorDir, 'grants')
  return existsSync(dir) ? readdirSync(dir).map((f) => join(dir, f)) : []
}

async function unlockIn(session: ReturnType<typeof shellInPty>): Promise<void> {
  await session.expect(`Type ${OPERATOR} to continue`)
  session.type(`${OPERATOR}\r`)
  await session.expect('UNLOCK_EXIT=0')
}

test('a grant from cloud:unlock lets --yes through on the same terminal, without a prompt', async () => {
  const box = new Sandbox()
  try {
    const session = shellInPty(
      box,
      '$TSX $UNLOCK; echo UNLOCK_EXIT=$?; $TSX $FIXTURE $ARGS --yes; echo GATED_EXIT=$?',
    )
    await session.expect('cloud:unlock needs a person to approve it:')
    await session.expect(/--yes will skip the typed confirmation for operator "alice" on \/dev\/pts\/\d+/)
    await unlockIn(session)
    await session.expect('GATED_EXIT=0')
    assert.is(await session.exitCode(), 0)
    assert.match(session.transcript, /Approved by your cloud:unlock grant on this terminal/)
    assert.not.match(session.transcript, /Type lab-1 to continue/)
    assert.ok(box.markerWritten)
    const outcomes = box.audit().map((e) => [e.command, e.outcome, e.via ?? ''])
    assert.equal(outcomes, [
      ['cloud:unlock', 'approved', 'typed'],
      ['cloud:unlock', 'unlocked', ''],
      ['gate-fixture', 'approved', 'grant'],
    ])
    const [file] = grantFiles(box)
    assert.ok(file)
    assert.is(statSync(file).mode & 0o777, 0o600)
    assert.is(statSync(join(box.operatorDir, 'grants')).mode & 0o777, 0o700)
    const grant = JSON.parse(readFileSync(file, 'utf8')) as Grant
    const minutes = (Date.parse(grant.expiresAt) - Date.parse(grant.createdAt)) / 60_000
    assert.is(minutes, 5, 'default grant lasts 5 minutes')
    assert.is(grant.binding.sessionId, session.pid, 'bound to the session the shell leads')
  } finally {
    box.cleanup()
  }
})

test('the grant does not apply on another terminal', async () => {
  const box = new Sandbox()
  try {
    const first = shellInPty(box, '$TSX $UNLOCK --minutes 10; echo UNLOCK_EXIT=$?; sleep 30')
    await unlockIn(first)
    const other = spawnTsxPty(FIXTURE, box.fixtureArgs('--yes'), { env: box.env() })
    const code = await other.exitCode()
    first.kill()
    assert.is(code, ExitCode.gateGrantExpired, other.transcript)
    assert.match(other.transcript, /there is no cloud:unlock grant for operator "alice" on this terminal/)
    assert.not.ok(box.markerWritten)
    assert.equal(box.audit().at(-1)?.reasons, ['grant-expired'])
  } finally {
    box.cleanup()
  }
})

test('an expired grant is refused with gateGrantExpired', async () => {
  const box = new Sandbox()
  try {
    const session = shellInPty(
      box,
      '$TSX $UNLOCK; echo UNLOCK_EXIT=$?; read -r _; $TSX $FIXTURE $ARGS --yes; echo GATED_EXIT=$?',
    )
    await unlockIn(session)
    // Let the clock run out: move the grant's window into the past, as if six minutes went by.
    const [file] = grantFiles(box)
    assert.ok(file)
    const grant = JSON.parse(readFileSync(file, 'utf8')) as Grant
    const shift = 6 * 60_000
    grant.createdAt = new Date(Date.parse(grant.createdAt) - shift).toISOString()
    grant.expiresAt = new Date(Date.parse(grant.expiresAt) - shift).toISOString()
    writeFileSync(file, JSON.stringify(grant))
    session.type('\r')
    await session.expect(`GATED_EXIT=${ExitCode.gateGrantExpired}`)
    assert.match(session.transcript, /the cloud:unlock grant for this terminal expired at /)
    assert.not.ok(box.markerWritten)
    assert.equal(box.audit().at(-1)?.reasons, ['grant-expired'])
  } finally {
    box.cleanup()
  }
})

test('--revoke removes the grant: --yes is refused again', async () => {
  const box = new Sandbox()
  try {
    const session = shellInPty(
      box,
      '$TSX $UNLOCK; echo UNLOCK_EXIT=$?; $TSX $UNLOCK --revoke; $TSX $FIXTURE $ARGS --yes; echo GATED_EXIT=$?',
    )
    await unlockIn(session)
    await session.expect('Grant for this terminal revoked.')
    await session.expect(`GATED_EXIT=${ExitCode.gateGrantExpired}`)
    assert.equal(grantFiles(box), [])
    assert.not.ok(box.markerWritten)
    assert.equal(
      box.audit().map((e) => e.outcome),
      ['approved', 'unlocked', 'revoked', 'denied'],
    )
  } finally {
    box.cleanup()
  }
})

test('cloud:unlock is gated: an agent cannot unlock, and no grant is written', async () => {
  const box = new Sandbox()
  try {
    const session = spawnTsxPty(UNLOCK, [], { env: box.env({ CLAUDECODE: '1' }) })
    assert.is(await session.exitCode(), ExitCode.gateAgent, session.transcript)
    assert.match(session.transcript, /The human gate refused `cloud:unlock`/)
    assert.equal(grantFiles(box), [])
    assert.equal(box.audit().at(-1)?.reasons, ['agent'])
  } finally {
    box.cleanup()
  }
})

test('cloud:unlock with a wrong operator name typed is refused, and no grant is written', async () => {
  const box = new Sandbox()
  try {
    const session = spawnTsxPty(UNLOCK, [], { env: box.env() })
    await session.expect(`Type ${OPERATOR} to continue`)
    session.type('bob\r')
    assert.is(await session.exitCode(), ExitCode.gateWrongName, session.transcript)
    assert.equal(grantFiles(box), [])
  } finally {
    box.cleanup()
  }
})

test('cloud:unlock without any operator is refused for lack of an identity, in the fallback log', async () => {
  const box = new Sandbox({ profile: false })
  try {
    const session = spawnTsxPty(UNLOCK, [], { env: box.env() })
    assert.is(await session.exitCode(), ExitCode.gateNoIdentity, session.transcript)
    assert.match(session.transcript, /No operator is set up on this workstation/)
    assert.equal(box.audit('fallback').at(-1)?.reasons, ['no-identity'])
  } finally {
    box.cleanup()
  }
})

test('cloud:unlock --minutes beyond the cap is a usage error, before any gate', async () => {
  const box = new Sandbox()
  try {
    const session = spawnTsxPty(UNLOCK, ['--minutes', '31'], { env: box.env() })
    assert.is(await session.exitCode(), ExitCode.usage, session.transcript)
    assert.match(session.transcript, /--minutes must be a whole number from 1 to 30/)
    assert.equal(box.audit(), [])
  } finally {
    box.cleanup()
  }
})

test.run()
