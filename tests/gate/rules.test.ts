/**
 * The gate's pure rules: which variables count as CI or agent signals, how terminal states map to
 * reasons, reason ordering and exit codes, unlock durations and where audit lines go.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ExitCode, UsageError } from '../../lib/errors.ts'
import { appendAudit, buildAuditEntry, resolveAuditPath } from '../../lib/gate/audit.ts'
import { GateDeniedError, type GateReason } from '../../lib/gate/errors.ts'
import { findAgentVariables, findCiVariables } from '../../lib/gate/signals.ts'
import { buildTerminalReason } from '../../lib/gate/terminal.ts'
import { UNLOCK_MAX_MINUTES, verifyUnlockMinutes } from '../../lib/gate/unlock.ts'

test('CI variables count with any value, also CI=false and empty', () => {
  assert.equal(findCiVariables({ CI: 'false', BUILD_NUMBER: '', HOME: '/h' }), ['CI', 'BUILD_NUMBER'])
  assert.equal(findCiVariables({ HOME: '/h', CIRCLE: '1' }), [])
})

test('agent variables: the named list, vendor prefixes, and Cursor agent-exec only', () => {
  const env = { CODEX_THREAD_ID: 'x', COPILOT_CLI: '1', OPENCODE_CLIENT: 'y', JUNIE_DATA: 'z', AGENT: 'amp' }
  assert.equal(findAgentVariables(env), [
    'AGENT',
    'CODEX_THREAD_ID',
    'COPILOT_CLI',
    'JUNIE_DATA',
    'OPENCODE_CLIENT',
  ])
  assert.equal(findAgentVariables({ CURSOR_EXTENSION_HOST_ROLE: 'agent-exec' }), [
    'CURSOR_EXTENSION_HOST_ROLE',
  ])
  assert.equal(findAgentVariables({ CURSOR_EXTENSION_HOST_ROLE: 'user', HOME: '/h' }), [])
})

test('terminal states: all terminals pass, piped stdin and no terminal are told apart', () => {
  assert.is(buildTerminalReason({ stdinTty: true, stdoutTty: true, controlling: true }), undefined)
  assert.is(buildTerminalReason({ stdinTty: false, stdoutTty: true, controlling: true })?.code, 'piped-stdin')
  const out = buildTerminalReason({ stdinTty: true, stdoutTty: false, controlling: true })
  assert.equal([out?.code, out?.signals], ['no-tty', ['stdout']])
  const none = buildTerminalReason({ stdinTty: false, stdoutTty: false, controlling: false })
  assert.equal([none?.code, none?.signals], ['no-tty', ['stdin', 'stdout', '/dev/tty']])
  const noControlling = buildTerminalReason({ stdinTty: false, stdoutTty: true, controlling: false })
  assert.is(noControlling?.code, 'no-tty')
})

test('a refusal lists every reason in fixed order and exits with the first one', () => {
  const reason = (code: GateReason['code']): GateReason => ({ code, text: `text of ${code}`, signals: [] })
  const error = new GateDeniedError('cloud:up', [
    reason('no-identity'),
    reason('agent'),
    reason('piped-stdin'),
  ])
  assert.is(error.exitCode, ExitCode.gateAgent)
  assert.equal(
    error.reasons.map((r) => r.code),
    ['agent', 'piped-stdin', 'no-identity'],
  )
  assert.is(
    error.message,
    'The human gate refused `cloud:up`:\n  - text of agent\n  - text of piped-stdin\n  - text of no-identity',
  )
  assert.match(error.hint ?? '', /outside any AI coding agent/)
  assert.match(error.hint ?? '', /npm run operator:init/)
  assert.throws(() => new GateDeniedError('x', []))
})

test('--minutes of cloud:unlock: default 5, whole numbers 1..30 only', () => {
  assert.is(verifyUnlockMinutes(undefined), 5)
  assert.is(verifyUnlockMinutes('30'), UNLOCK_MAX_MINUTES)
  for (const bad of ['0', '31', '2.5', '-1', 'ten', '1e1'])
    assert.throws(
      () => verifyUnlockMinutes(bad),
      (e: unknown) => e instanceof UsageError,
    )
})

function withSecrets(fn: (env: NodeJS.ProcessEnv, dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gate-rules-'))
    try {
      await fn({ DEBUG_CLOUD_SECRETS_DIR: dir }, dir)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

test(
  'audit lines go to the operator log when its directory exists, else to the fallback log, 0600',
  withSecrets(async (env, dir) => {
    assert.is(resolveAuditPath('alice', env), join(dir, 'audit.jsonl'))
    assert.is(resolveAuditPath(null, env), join(dir, 'audit.jsonl'))
    assert.is(resolveAuditPath('../etc', env), join(dir, 'audit.jsonl'))
    mkdirSync(join(dir, 'operators', 'alice'), { recursive: true })
    const entry = buildAuditEntry(
      {
        operator: 'alice',
        command: 'cloud:up',
        target: 'lab',
        outcome: 'denied',
        reasons: ['ci'],
        signals: ['CI'],
      },
      new Date('2030-01-01T00:00:00Z'),
    )
    const path = await appendAudit(entry, env)
    await appendAudit(entry, env)
    assert.is(path, join(dir, 'operators', 'alice', 'audit.jsonl'))
    assert.is(statSync(path).mode & 0o777, 0o600)
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n')
    assert.is(lines.length, 2)
    const parsed = JSON.parse(lines[0]!) as typeof entry
    assert.equal(
      [parsed.time, parsed.outcome, parsed.reasons, parsed.signals, parsed.pid],
      ['2030-01-01T00:00:00.000Z', 'denied', ['ci'], ['CI'], process.pid],
    )
  }),
)

test.run()
