/**
 * The gate end to end through a REAL pseudo-terminal with a clean environment: approval by the passphrase of the
 * sealed identity and the typed stack name, and every denial path, each with its own message and exit code,
 * audited, and no marker ("Terraform started") written.
 */
import { spawn } from 'node:child_process'
import { readFileSync, statSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ExitCode } from '../../lib/errors.ts'
import { GATE_TIMEOUT_MS, gateTimeoutMs } from '../../lib/gate/prompt.ts'

import { answerPassphrase, PASSPHRASE_PROMPT } from '../helpers/operator.ts'
import { spawnPty, spawnTsxPty, TSX } from '../helpers/pty.ts'
import { FIXTURE, OPERATOR, Sandbox, STACK } from './sandbox.ts'

interface Denial {
  code: number
  reason: string
  signals: string[]
}

function assertDenied(
  box: Sandbox,
  transcript: string,
  exitCode: number,
  expected: Denial,
  message: RegExp,
): void {
  assert.is(exitCode, expected.code, transcript)
  assert.match(transcript, /The human gate refused `gate-fixture`/)
  assert.match(transcript, message)
  assert.not.ok(box.markerWritten, 'the marker (Terraform) must not be written')
  const last = box.audit().at(-1)
  assert.ok(last, 'the denial is audited in the operator log')
  assert.is(last.outcome, 'denied')
  assert.is(last.command, 'gate-fixture')
  assert.is(last.target, STACK)
  assert.is(last.operator, OPERATOR)
  assert.equal(last.reasons, [expected.reason])
  for (const signal of expected.signals)
    assert.ok(last.signals.includes(signal), `${signal} in ${last.signals}`)
}

/** Run the fixture in a pty with `extra` in its otherwise clean env; returns exit code and transcript. */
async function runInPty(box: Sandbox, extra: Record<string, string>, ...args: string[]) {
  await box.ready
  const session = answerPassphrase(
    spawnTsxPty(FIXTURE, box.fixtureArgs(...args), { env: box.env(extra) }),
    box.passphrase,
  )
  const exitCode = await session.exitCode()
  return { exitCode, transcript: session.transcript }
}

/** The fixture in a pty, the sealed identity unlocked by typing its passphrase; waits for the name prompt. */
async function atNamePrompt(box: Sandbox, extra: Record<string, string> = {}) {
  await box.ready
  const session = spawnTsxPty(FIXTURE, box.fixtureArgs(), { env: box.env(extra) })
  await session.expect(PASSPHRASE_PROMPT)
  session.type(`${box.passphrase}\r`)
  await session.expect(`Type ${STACK} to continue`)
  return session
}

test('the passphrase, then the stack name typed on the terminal, approve: marker written, both audited', async () => {
  const box = new Sandbox()
  try {
    await box.ready
    const session = spawnTsxPty(FIXTURE, box.fixtureArgs(), { env: box.env() })
    await session.expect(PASSPHRASE_PROMPT)
    assert.not.match(
      session.transcript,
      'needs a person to approve it',
      'nothing is shown before the identity opens',
    )
    session.type(`${box.passphrase}\r`)
    await session.expect('gate-fixture needs a person to approve it:')
    await session.expect('plan: 1 to add, 0 to change, 0 to destroy')
    await session.expect(`Type ${STACK} to continue`)
    session.type(`${STACK}\r`)
    assert.is(await session.exitCode(), 0, session.transcript)
    assert.match(session.transcript, /Approved by you/)
    assert.not.match(session.transcript, box.passphrase, 'the passphrase is never echoed')
    assert.ok(box.markerWritten)
    const entries = box.audit()
    assert.equal(
      entries.map((e) => [e.outcome, e.via ?? '', e.detail?.identity ?? '']),
      [
        ['unlocked', '', ''],
        ['approved', 'typed', 'agent'],
      ],
    )
    assert.match(entries[1]?.tty ?? '', /^\/dev\/pts\/\d+$/)
    assert.is(statSync(`${box.operatorDir}/audit.jsonl`).mode & 0o777, 0o600)
  } finally {
    box.cleanup()
  }
})

test('a wrong passphrase is asked again; three are refused with gateNoIdentity, nothing unlocked', async () => {
  const box = new Sandbox()
  try {
    await box.ready
    const session = spawnTsxPty(FIXTURE, box.fixtureArgs(), { env: box.env() })
    for (const attempt of [1, 2, 3]) {
      // Each question comes after the answer to the last one was checked (typing ahead is thrown away).
      if (attempt > 1) await session.expect('does not open it; try again')
      await session.expect(PASSPHRASE_PROMPT)
      session.type(`not-the-passphrase-${attempt}\r`)
    }
    const code = await session.exitCode()
    assertDenied(
      box,
      session.transcript,
      code,
      { code: ExitCode.gateNoIdentity, reason: 'no-identity', signals: ['passphrase'] },
      /The passphrase did not open the sealed identity \(3 attempts\)/,
    )
    assert.is((session.transcript.match(/does not open it; try again/g) ?? []).length, 2)
  } finally {
    box.cleanup()
  }
})

test('a plaintext identity from before sealing still works, with a warning on every use', async () => {
  const box = new Sandbox({ identity: 'plaintext' })
  try {
    const session = spawnTsxPty(FIXTURE, box.fixtureArgs(), { env: box.env() })
    await session.expect(`Type ${STACK} to continue`)
    session.type(`${STACK}\r`)
    assert.is(await session.exitCode(), 0, session.transcript)
    assert.match(session.transcript, /is a plaintext file: any process running as you can read it/)
    assert.match(session.transcript, /npm run operator:init -- --seal/)
    assert.equal(box.audit().at(-1)?.detail, { identity: 'plaintext' })
  } finally {
    box.cleanup()
  }
})

test('a wrong typed name is refused with gateWrongName', async () => {
  const box = new Sandbox()
  try {
    const session = await atNamePrompt(box)
    session.type('lab-2\r')
    const code = await session.exitCode()
    assertDenied(
      box,
      session.transcript,
      code,
      { code: ExitCode.gateWrongName, reason: 'wrong-name', signals: [] },
      /typed name did not match "lab-1"/,
    )
  } finally {
    box.cleanup()
  }
})

test('Ctrl-C at the prompt is refused with gateDeclined', async () => {
  const box = new Sandbox()
  try {
    const session = await atNamePrompt(box)
    session.type('lab\x03')
    const code = await session.exitCode()
    assertDenied(
      box,
      session.transcript,
      code,
      { code: ExitCode.gateDeclined, reason: 'declined', signals: ['prompt'] },
      /The confirmation was cancelled/,
    )
  } finally {
    box.cleanup()
  }
})

const CI_SIGNALS: [string, string][] = [
  ['CI', 'true'],
  ['CI', 'false'],
  ['CI', ''],
  ['CONTINUOUS_INTEGRATION', '1'],
  ['BUILD_ID', '7'],
  ['BUILD_NUMBER', '7'],
  ['RUN_ID', '7'],
  ['GITHUB_ACTIONS', 'true'],
  ['GITLAB_CI', 'true'],
  ['BUILDKITE', 'true'],
  ['JENKINS_URL', 'http://ci.invalid/'],
  ['TF_BUILD', 'True'],
  ['CIRCLECI', 'true'],
]

for (const [name, value] of CI_SIGNALS) {
  test(`CI signal ${name}=${JSON.stringify(value)} is refused with gateCi`, async () => {
    const box = new Sandbox()
    try {
      const { exitCode, transcript } = await runInPty(box, { [name]: value })
      assertDenied(
        box,
        transcript,
        exitCode,
        { code: ExitCode.gateCi, reason: 'ci', signals: [name] },
        new RegExp(`This looks like a CI job: ${name} is set`),
      )
    } finally {
      box.cleanup()
    }
  })
}

test("a CI provider only std-env knows (TRAVIS) is refused with gateCi, named as std-env's", async () => {
  const box = new Sandbox()
  try {
    const { exitCode, transcript } = await runInPty(box, { TRAVIS: 'true' })
    assertDenied(
      box,
      transcript,
      exitCode,
      { code: ExitCode.gateCi, reason: 'ci', signals: ['std-env provider travis'] },
      /std-env recognises a CI provider/,
    )
  } finally {
    box.cleanup()
  }
})

// Distinctive values, so the leak check below can tell a value from any other text in the log.
const AGENT_SIGNALS = [
  'AI_AGENT',
  'CLAUDECODE',
  'CURSOR_AGENT',
  'CODEX_SANDBOX',
  'GEMINI_CLI',
  'AGENT',
  'COPILOT_MODEL',
  'GOOSE_PROVIDER',
].map((name) => [name, `value-of-${name.toLowerCase()}`] as const)

for (const [name, value] of AGENT_SIGNALS) {
  test(`agent signal ${name} is refused with gateAgent`, async () => {
    const box = new Sandbox()
    try {
      const { exitCode, transcript } = await runInPty(box, { [name]: value })
      assertDenied(
        box,
        transcript,
        exitCode,
        { code: ExitCode.gateAgent, reason: 'agent', signals: [name] },
        new RegExp(`An AI coding agent is running this command: ${name} is set`),
      )
      assert.not.ok(box.auditText().includes(value), 'the variable value never reaches the audit log')
    } finally {
      box.cleanup()
    }
  })
}

test('an agent only std-env recognises (EDITOR of Devin) is refused with gateAgent', async () => {
  const box = new Sandbox()
  try {
    const { exitCode, transcript } = await runInPty(box, { EDITOR: '/opt/devin/bin/editor' })
    assertDenied(
      box,
      transcript,
      exitCode,
      { code: ExitCode.gateAgent, reason: 'agent', signals: ['std-env detectAgent'] },
      /detected by std-env detectAgent/,
    )
  } finally {
    box.cleanup()
  }
})

test('no terminal at all (spawned without a pty, own session) is refused with gateNoTty', async () => {
  const box = new Sandbox()
  try {
    const child = spawn(TSX, [FIXTURE, ...box.fixtureArgs()], {
      env: box.env(),
      detached: true,
      stdio: 'pipe',
    })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    child.stdin.end(`${STACK}\n`)
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    assertDenied(
      box,
      stderr,
      code ?? -1,
      { code: ExitCode.gateNoTty, reason: 'no-tty', signals: ['stdin', 'stdout', '/dev/tty'] },
      /There is no terminal to ask a person on \(stdin, stdout, \/dev\/tty are not a terminal\)/,
    )
    assert.equal(box.audit().at(-1)?.tty, null)
  } finally {
    box.cleanup()
  }
})

test('output redirected (stdout a pipe, stdin the terminal) is refused with gateNoTty', async () => {
  const box = new Sandbox()
  try {
    const script = 'exec "$0" "$@" | cat'
    // The command is not the shell's last word, so the shell stays its parent (no exec).
    const session = spawnPty(['/bin/sh', '-c', script, TSX, FIXTURE, ...box.fixtureArgs()], {
      env: box.env(),
    })
    // `sh -c … | cat` reports cat's status; the gate's own code is in the audit and the message.
    await session.exitCode()
    assert.match(session.transcript, /stdout is not a terminal/)
    assert.not.ok(box.markerWritten)
    assert.equal(box.audit().at(-1)?.reasons, ['no-tty'])
  } finally {
    box.cleanup()
  }
})

test('piped stdin inside a terminal (echo name | …) is refused with gatePipedStdin', async () => {
  const box = new Sandbox()
  try {
    const script = `echo ${STACK} | exec "$0" "$@"`
    const session = spawnPty(['/bin/sh', '-c', script, TSX, FIXTURE, ...box.fixtureArgs()], {
      env: box.env(),
    })
    const code = await session.exitCode()
    assertDenied(
      box,
      session.transcript,
      code,
      { code: ExitCode.gatePipedStdin, reason: 'piped-stdin', signals: ['stdin'] },
      /Input is piped or redirected into the command/,
    )
  } finally {
    box.cleanup()
  }
})

test('no age identity on this workstation is refused with gateNoIdentity', async () => {
  const box = new Sandbox({ identity: 'none' })
  try {
    const { exitCode, transcript } = await runInPty(box, {})
    assertDenied(
      box,
      transcript,
      exitCode,
      { code: ExitCode.gateNoIdentity, reason: 'no-identity', signals: ['age identity'] },
      /No identity of operator "alice" was found on this workstation/,
    )
  } finally {
    box.cleanup()
  }
})

test("an age identity that is not the operator's is refused with gateNoIdentity", async () => {
  const box = new Sandbox({ identity: 'foreign' })
  try {
    const { exitCode, transcript } = await runInPty(box, {})
    assertDenied(
      box,
      transcript,
      exitCode,
      { code: ExitCode.gateNoIdentity, reason: 'no-identity', signals: ['age identity'] },
      /No identity of operator "alice" was found on this workstation/,
    )
  } finally {
    box.cleanup()
  }
})

test('an operator without a profile is refused with gateNoIdentity, audited in the fallback log', async () => {
  const box = new Sandbox({ profile: false })
  try {
    const { exitCode, transcript } = await runInPty(box, {})
    assert.is(exitCode, ExitCode.gateNoIdentity, transcript)
    assert.match(transcript, /The profile of operator "alice" could not be read: .*has no profile/)
    assert.not.ok(box.markerWritten)
    assert.equal(box.audit('fallback').at(-1)?.reasons, ['no-identity'])
    assert.is(box.audit('fallback').at(-1)?.operator, OPERATOR)
    assert.is(statSync(`${box.secrets}/audit.jsonl`).mode & 0o777, 0o600)
  } finally {
    box.cleanup()
  }
})

test('--yes without cloud:unlock in this terminal is refused with gateNoUnlock (the passphrase is not enough)', async () => {
  const box = new Sandbox()
  try {
    const { exitCode, transcript } = await runInPty(box, {}, '--yes')
    assertDenied(
      box,
      transcript,
      exitCode,
      { code: ExitCode.gateNoUnlock, reason: 'no-unlock', signals: ['--yes'] },
      /this terminal session has no `cloud:unlock` that allows it/,
    )
    assert.match(transcript, /Run `npm run cloud:unlock` in this terminal first/)
  } finally {
    box.cleanup()
  }
})

test('several reasons at once are all named; the exit code is the first (CI)', async () => {
  const box = new Sandbox({ profile: false })
  try {
    const env = box.env({ CI: 'false', AI_AGENT: 'secret-agent-value', CLAUDECODE: '1' })
    const child = spawn(TSX, [FIXTURE, ...box.fixtureArgs('--yes')], { env, detached: true, stdio: 'pipe' })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    child.stdin.end()
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    assert.is(code, ExitCode.gateCi, stderr)
    assert.match(stderr, /This looks like a CI job: CI is set/)
    assert.match(stderr, /An AI coding agent is running this command: AI_AGENT, CLAUDECODE are set/)
    assert.match(stderr, /There is no terminal to ask a person on/)
    assert.match(stderr, /The profile of operator "alice" could not be read/)
    assert.not.ok(box.markerWritten)
    const last = box.audit('fallback').at(-1)
    assert.equal(last?.reasons, ['ci', 'agent', 'no-tty', 'no-identity'])
    assert.not.ok(box.auditText('fallback').includes('secret-agent-value'))
    assert.not.ok(stderr.includes('secret-agent-value'))
  } finally {
    box.cleanup()
  }
})

test('Ctrl-C at the passphrase prompt is refused with gateDeclined, nothing unlocked', async () => {
  const box = new Sandbox()
  try {
    await box.ready
    const session = spawnTsxPty(FIXTURE, box.fixtureArgs(), { env: box.env() })
    await session.expect(PASSPHRASE_PROMPT)
    session.type('half\x03')
    const code = await session.exitCode()
    assertDenied(
      box,
      session.transcript,
      code,
      { code: ExitCode.gateDeclined, reason: 'declined', signals: ['prompt'] },
      /The passphrase was cancelled/,
    )
    assert.not.ok(box.audit().some((e) => e.outcome === 'unlocked'))
  } finally {
    box.cleanup()
  }
})

test('SIGTERM while a question waits cancels it (gateDeclined), audited, nothing unlocked', async () => {
  const box = new Sandbox()
  try {
    await box.ready
    const session = spawnTsxPty(FIXTURE, box.fixtureArgs(), { env: box.env() })
    await session.expect(PASSPHRASE_PROMPT)
    session.kill('SIGTERM')
    const code = await session.exitCode()
    assertDenied(
      box,
      session.transcript,
      code,
      { code: ExitCode.gateDeclined, reason: 'declined', signals: ['signal'] },
      /The passphrase was cancelled by SIGTERM/,
    )
    assert.not.ok(box.audit().some((e) => e.outcome === 'unlocked'))
  } finally {
    box.cleanup()
  }
})

test('a question nobody answers ends (gateTimeout), audited; the setting can only shorten it', async () => {
  const box = new Sandbox()
  try {
    await box.ready
    const session = spawnTsxPty(FIXTURE, box.fixtureArgs(), {
      env: box.env({ DEBUG_CLOUD_GATE_TIMEOUT_SECONDS: '2' }),
    })
    await session.expect(PASSPHRASE_PROMPT)
    const code = await session.exitCode(30_000)
    assertDenied(
      box,
      session.transcript,
      code,
      { code: ExitCode.gateTimeout, reason: 'timeout', signals: ['timeout'] },
      /Nobody answered the passphrase within 2 s/,
    )
  } finally {
    box.cleanup()
  }
  assert.is(gateTimeoutMs({ DEBUG_CLOUD_GATE_TIMEOUT_SECONDS: '999999' }), GATE_TIMEOUT_MS)
  assert.is(gateTimeoutMs({ DEBUG_CLOUD_GATE_TIMEOUT_SECONDS: '0' }), GATE_TIMEOUT_MS)
  assert.is(gateTimeoutMs({}), 5 * 60_000)
})

test('a command started by a process named like an agent CLI (claude) is refused, naming it', async () => {
  const box = new Sandbox()
  try {
    await box.ready
    // A shell under the name "claude" runs the command in its own, clean pty: no variable gives it away.
    const agent = join(box.dir, 'claude')
    symlinkSync('/bin/bash', agent)
    const session = spawnPty(
      [agent, '--noprofile', '--norc', '-c', `"${TSX}" ${FIXTURE} ${box.fixtureArgs().join(' ')}; exit $?`],
      {
        env: box.env(),
      },
    )
    const code = await session.exitCode()
    assertDenied(
      box,
      session.transcript,
      code,
      { code: ExitCode.gateAgent, reason: 'agent', signals: ['ancestor claude'] },
      /An AI coding agent started this command: ancestor process \d+ \(claude\) is claude/,
    )
    assert.not.match(session.transcript, PASSPHRASE_PROMPT, 'refused before the passphrase is asked')
  } finally {
    box.cleanup()
  }
})

test('keystrokes injected into the terminal (TIOCSTI) by a background job cannot approve', async () => {
  const box = new Sandbox()
  try {
    await box.ready
    // A background job of the same session pushes the stack name into the terminal's input, again and again,
    // from before the first prompt on; it does not know the passphrase.
    const log = join(box.dir, 'injected')
    const inject = [
      'import fcntl, termios, time',
      'tty = open("/dev/tty", "rb")',
      `log = open("${log}", "a", buffering=1)`,
      'for _ in range(60):',
      `    for c in b"${STACK}\\r": fcntl.ioctl(tty, termios.TIOCSTI, bytes([c]))`,
      '    log.write("injected\\n"); time.sleep(0.25)',
    ].join('\n')
    const script = `python3 -c '${inject}' 2>>"${log}" & exec "${TSX}" ${FIXTURE} ${box.fixtureArgs().join(' ')}`
    const session = spawnPty(['/bin/bash', '--noprofile', '--norc', '-c', script], { env: box.env() })
    const code = await session.exitCode(60_000)
    assert.not.ok(box.markerWritten, 'the injected name never approved anything')
    assert.is(code, ExitCode.gateNoIdentity, session.transcript)
    assert.match(session.transcript, /The passphrase did not open the sealed identity \(3 attempts\)/)
    assert.match(readFileSync(log, 'utf8'), /^injected$/m, 'the injection really ran')
    assert.not.match(readFileSync(log, 'utf8'), /Error/, 'no injection failed')
  } finally {
    box.cleanup()
  }
})

test.run()
