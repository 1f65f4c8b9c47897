/**
 * What an autonomous agent can do with everything but the passphrase: it has the operator's files (the sealed
 * keys file, the profile, the state) and runs each gated command of the real CLI in a fresh pseudo-terminal with a
 * clean environment, answering every question the way it can — the stack or operator name it reads on screen,
 * and a guessed passphrase. Each is refused with gateNoIdentity after three guesses, audited, and nothing is
 * created, decrypted or shown.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ExitCode } from '../../lib/errors.ts'
import { LauncherEnv, OPERATOR } from '../flows/launcher-env.ts'
import { PASSPHRASE_ANSWERED, PASSPHRASE_PROMPT } from '../helpers/operator.ts'
import { type PtySession, spawnTsxPty } from '../helpers/pty.ts'
import { ensureTestTools } from '../helpers/tools.ts'

const ws = new LauncherEnv()
const STACK = 'lab'
const GUESS = 'not-the-passphrase'

test.before(async () => {
  await ensureTestTools()
  await ws.initOperator()
})
test.after(() => ws.cleanup())

/** Answer like an agent: the name on screen whenever asked to type it, a guess whenever the passphrase is asked. */
function actLikeAnAgent(session: PtySession): PtySession {
  session.answerWhenAsked(/Type \S+ to continue/, /✔ Type \S+ to continue/, STACK)
  session.answerWhenAsked(PASSPHRASE_PROMPT, PASSPHRASE_ANSWERED, GUESS)
  return session
}

const GATED: Record<string, [string, string[]]> = {
  'cloud:up': ['scripts/up.ts', ['--provider', 'local', '--stack-name', STACK]],
  'cloud:destroy': ['scripts/destroy.ts', ['--stack-name', STACK]],
  'cloud:unlock': ['scripts/unlock.ts', ['--operator', OPERATOR]],
  'state show --reveal': ['scripts/state.ts', ['show', '--reveal', '--operator', OPERATOR]],
  'state decrypt': ['scripts/state.ts', ['decrypt', 'state.sops.yaml', '--operator', OPERATOR]],
  'cloud:connect --print-env': [
    'scripts/connect.ts',
    ['--stack-name', STACK, '--print-env', join(ws.dir, 'server.env')],
  ],
  'cloud:connect --docker --exec': [
    'scripts/connect.ts',
    ['--stack-name', STACK, '--docker', '--exec', '--', 'docker', 'ps'],
  ],
  'credentials set': ['scripts/credentials.ts', ['set', 'HCLOUD_TOKEN', '--operator', OPERATOR]],
}

for (const [name, [script, args]] of Object.entries(GATED)) {
  test(`${name}: refused without the passphrase (gateNoIdentity), audited, nothing done`, async () => {
    const before = auditLines().length
    // A fresh pty (so a new terminal session) for each, as an agent's own terminal would be.
    const session = actLikeAnAgent(spawnTsxPty(script, args, { env: ws.env() }))
    const code = await ws.finish(session)
    assert.is(code, ExitCode.gateNoIdentity, session.transcript)
    assert.match(session.transcript, /The passphrase did not open the sealed identity \(3 attempts\)/)
    assert.not.match(session.transcript, /Approved by you/)
    const added = auditLines().slice(before)
    assert.ok(
      added.some((line) => line.outcome === 'denied'),
      `no denial audited: ${JSON.stringify(added)}`,
    )
    assert.not.ok(added.some((line) => line.outcome === 'approved'))
    assert.not.ok(existsSync(join(ws.dir, 'server.env')), 'nothing was written for it')
  })
}

function auditLines(): { outcome: string }[] {
  try {
    return readFileSync(join(ws.secrets, 'operators', OPERATOR, 'audit.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { outcome: string })
  } catch {
    return []
  }
}

test.run()
