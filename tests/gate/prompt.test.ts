/**
 * The gate end to end through a REAL pseudo-terminal with a clean environment: approval by typing the
 * stack name, and every denial path, each with its own message and exit code, audited, and no marker
 * ("Terraform started") written.
 */
import { spawn } from 'node:child_process'
import { statSync } from 'node:fs'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ExitCode } from '../../lib/errors.ts'
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
  const session = spawnTsxPty(FIXTURE, box.fixtureArgs(...args), { env: box.env(extra) })
  const exitCode = await session.exitCode()
  return { exitCode, transcript: session.transcript }
}

test('typing the stack name on the terminal approves: marker written, approval audited', async () => {
  const box = new Sandbox()
  try {
    const session = spawnTsxPty(FIXTURE, box.fixtureArgs(), { env: box.env() })
    await session.expect('gate-fixture needs a person to approve it:')
    await session.expect('plan: 1 to add, 0 to change, 0 to destroy')
    await session.expect(`Type ${STACK} to continue`)
    session.type(`${STACK}\r`)
    assert.is(await session.exitCode(), 0, session.transcript)
    assert.match(session.transcript, /Approved by you/)
    assert.ok(box.markerWritten)
    const [entry] = box.audit()
    assert.is(entry?.outcome, 'approved')
    assert.is(entry?.via, 'typed')
    assert.match(entry?.tty ?? '', /^\/dev\/pts\/\d+$/)
    assert.is(statSync(`${box.operatorDir}/audit.jsonl`).mode & 0o777, 0o600)
  } finally {
    box.cleanup()
  }
})

test('a wrong typed name is refused with gateWrongName', async () => {
  const box = new Sandbox()
  try {
    const session = spawnTsxPty(FIXTURE, box.fixtureArgs(), { env: box.env() })
    await session.expect(`Type ${STACK} to continue`)
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
    const session = spawnTsxPty(FIXTURE, box.fixtureArgs(), { env: box.env() })
    await session.expect(`Type ${STACK} to continue`)
    session.type('lab\x03')
    const code = await session.exitCode()
    assertDenied(
      box,
      session.transcript,
      code,
      { code: ExitCode.gateDeclined, reason: 'declined', signals: [] },
      /prompt was cancelled/,
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
  const box = new Sandbox({ identity: false })
  try {
    const { exitCode, transcript } = await runInPty(box, {})
    assertDenied(
      box,
      transcript,
      exitCode,
      { code: ExitCode.gateNoIdentity, reason: 'no-identity', signals: ['age identity'] },
      /No age identity for operator "alice" was found/,
    )
  } finally {
    box.cleanup()
  }
})

test("an age identity that is not the operator's is refused with gateNoIdentity", async () => {
  const box = new Sandbox({ foreign: true })
  try {
    const { exitCode, transcript } = await runInPty(box, {})
    assertDenied(
      box,
      transcript,
      exitCode,
      { code: ExitCode.gateNoIdentity, reason: 'no-identity', signals: ['age identity'] },
      /None of the 1 age identities on this workstation belongs to operator "alice"/,
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
    assert.match(transcript, /The identity of operator "alice" could not be checked: .*has no profile/)
    assert.not.ok(box.markerWritten)
    assert.equal(box.audit('fallback').at(-1)?.reasons, ['no-identity'])
    assert.is(box.audit('fallback').at(-1)?.operator, OPERATOR)
    assert.is(statSync(`${box.secrets}/audit.jsonl`).mode & 0o777, 0o600)
  } finally {
    box.cleanup()
  }
})

test('--yes without a cloud:unlock grant is refused with gateGrantExpired', async () => {
  const box = new Sandbox()
  try {
    const { exitCode, transcript } = await runInPty(box, {}, '--yes')
    assertDenied(
      box,
      transcript,
      exitCode,
      { code: ExitCode.gateGrantExpired, reason: 'grant-expired', signals: ['--yes'] },
      /there is no cloud:unlock grant for operator "alice" on this terminal/,
    )
    assert.match(transcript, /Run `npm run cloud:unlock` in this terminal first/)
  } finally {
    box.cleanup()
  }
})

test('several reasons at once are all named; the exit code is the first (CI)', async () => {
  const box = new Sandbox({ identity: false })
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
    assert.match(stderr, /No age identity for operator "alice"/)
    assert.match(stderr, /no terminal session a cloud:unlock grant could belong to/)
    assert.not.ok(box.markerWritten)
    const last = box.audit().at(-1)
    assert.equal(last?.reasons, ['ci', 'agent', 'no-tty', 'no-identity', 'grant-expired'])
    assert.not.ok(box.auditText().includes('secret-agent-value'))
    assert.not.ok(stderr.includes('secret-agent-value'))
  } finally {
    box.cleanup()
  }
})

test.run()
