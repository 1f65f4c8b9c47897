import { Chalk } from 'chalk'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  TerraformFailedError,
  TerraformInterruptedError,
  TerraformOutputError,
  verifyRunSucceeded,
} from '../../lib/terraform/errors.ts'
import { FIRST_INTERRUPT, InterruptForwarder, SECOND_INTERRUPT } from '../../lib/terraform/interrupt.ts'
import { REDACTED, Redactor } from '../../lib/terraform/redact.ts'
import { PlainRenderer } from '../../lib/terraform/render.ts'
import { Terraform } from '../../lib/terraform/terraform.ts'
import { FakeProc, type Script } from './fake-proc.ts'
import { fixtureLines } from './fixtures.ts'

const SECRET = 'hc-token-0123456789abcdef'
const env = { PATH: '/usr/bin', TF_IN_AUTOMATION: '1', TF_INPUT: '0', TF_CLI_CONFIG_FILE: '/c/tofu.rc' }

function setup(scripts: Script[], interrupts?: InterruptForwarder) {
  const proc = new FakeProc(scripts)
  const printed: string[] = []
  const transcript: string[] = []
  const renderer = new PlainRenderer({ write: (t: string) => printed.push(t) }, new Chalk({ level: 0 }))
  const tf = new Terraform({
    proc,
    renderer,
    redactor: new Redactor().add(SECRET),
    binary: { path: '/bin/tofu', flavor: 'tofu' },
    workdir: '/stack',
    env,
    transcript: (line) => transcript.push(line),
    ...(interrupts ? { interrupts } : {}),
  })
  return { proc, tf, printed, transcript }
}

const line = (type: string, message: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ '@level': 'info', '@message': message, type, ...extra })

test('plan: exact argv and env reach the child; exit 2 means changes, 0 none, 1 failure', async () => {
  const { proc, tf } = setup([
    { stdout: fixtureLines('cloud-plan-json-full-plan.jsonl'), exitCode: 2 },
    { stdout: [], exitCode: 0 },
    { stdout: fixtureLines('cloud-plan-json-error-plan.jsonl'), exitCode: 1 },
  ])
  const changed = await tf.plan({ planFile: '/run/host.plan', varFiles: ['/run/in.tfvars.json'] })
  assert.equal(proc.calls[0], {
    argv: [
      '/bin/tofu',
      'plan',
      '-input=false',
      '-no-color',
      '-json',
      '-detailed-exitcode',
      '-lock-timeout=60s',
      '-var-file=/run/in.tfvars.json',
      '-out=/run/host.plan',
    ],
    env,
    cwd: '/stack',
  })
  assert.is(changed.status, 'ok')
  assert.is(changed.hasChanges, true)
  assert.equal(changed.changes, { operation: 'plan', add: 1, change: 1, remove: 0, import: 0 })
  const same = await tf.plan({ planFile: '/run/host.plan' })
  assert.equal([same.status, same.hasChanges], ['ok', false])
  const broken = await tf.plan({ planFile: '/run/host.plan' })
  assert.equal([broken.status, broken.hasChanges, broken.exitCode], ['failed', false, 1])
  assert.is(broken.diagnostics[0]?.summary, 'Unsupported block type')
  assert.throws(
    () => verifyRunSucceeded(broken),
    (e: unknown) => e instanceof TerraformFailedError && /Unsupported block type/.test(e.message),
  )
})

test('secrets are redacted from events, stderr, diagnostics, transcript and rendered lines', async () => {
  const { tf, printed, transcript } = setup([
    {
      stdout: [
        line('apply_start', `vm: Creating... [token=${SECRET}]`, { hook: { resource: { addr: 'vm' } } }),
        JSON.stringify({
          '@level': 'error',
          '@message': `Error: bad token ${SECRET}`,
          type: 'diagnostic',
          diagnostic: { severity: 'error', summary: `bad token ${SECRET}`, detail: `got ${SECRET}` },
        }),
        `not json ${SECRET}`,
      ],
      stderr: [`warning: ${SECRET}`],
      exitCode: 1,
    },
  ])
  const result = await tf.apply('/run/a.plan')
  const everything = JSON.stringify({ result, printed, transcript })
  assert.not.ok(everything.includes(SECRET))
  assert.ok(everything.includes(REDACTED))
  assert.is(result.diagnostics[0]?.summary, `bad token ${REDACTED}`)
  assert.equal(result.stderrTail, [`warning: ${REDACTED}`])
})

test('first Ctrl-C is forwarded once and the result says interrupted; later steps do not start', async () => {
  const warnings: string[] = []
  const interrupts = new InterruptForwarder((l) => warnings.push(l))
  const { proc, tf } = setup(
    [
      {
        stdout: [line('apply_start', 'vm: Creating...', { hook: { resource: { addr: 'vm' } } })],
        waitForSigint: true,
        afterSigint: [line('log', '\nInterrupt received.\nGracefully shutting down...\n')],
        exitCode: 1,
      },
    ],
    interrupts,
  )
  const running = tf.apply('/run/a.plan')
  await new Promise((r) => setTimeout(r, 20))
  interrupts.handleSignal()
  const result = await running
  assert.equal(proc.kills, ['SIGINT'])
  assert.equal(warnings, [FIRST_INTERRUPT])
  assert.equal([result.status, result.interrupted], ['interrupted', true])
  assert.ok(interrupts.signal.aborted)
  assert.throws(
    () => verifyRunSucceeded(result),
    (e: unknown) => e instanceof TerraformInterruptedError,
  )
  const next = await tf.apply('/run/b.plan')
  assert.is(next.status, 'interrupted')
  assert.is(proc.calls.length, 1)
})

test('second Ctrl-C warns what it risks, then forwards again', async () => {
  const warnings: string[] = []
  const interrupts = new InterruptForwarder((l) => warnings.push(l))
  const { proc, tf } = setup([{ stdout: [], waitForSigint: true, exitCode: 1 }], interrupts)
  const running = tf.apply('/run/a.plan')
  await new Promise((r) => setTimeout(r, 20))
  interrupts.handleSignal()
  interrupts.handleSignal()
  await running
  assert.equal(warnings, [FIRST_INTERRUPT, SECOND_INTERRUPT])
  assert.match(SECOND_INTERRUPT, 'may be left running but missing from the state')
  assert.equal(proc.kills, ['SIGINT', 'SIGINT'])
})

test('install() adds and removes exactly one listener for SIGINT, SIGTERM and SIGHUP each', () => {
  const interrupts = new InterruptForwarder(() => {})
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const
  const before = signals.map((s) => process.listenerCount(s))
  const uninstall = interrupts.install()
  assert.equal(
    signals.map((s) => process.listenerCount(s)),
    before.map((n) => n + 1),
  )
  uninstall()
  assert.equal(
    signals.map((s) => process.listenerCount(s)),
    before,
  )
})

test('SIGTERM is forwarded to Terraform as SIGINT (its graceful stop) and says which signal came', async () => {
  const warnings: string[] = []
  const interrupts = new InterruptForwarder((l) => warnings.push(l))
  const { proc, tf } = setup([{ stdout: [], waitForSigint: true, exitCode: 1 }], interrupts)
  const running = tf.apply('/run/a.plan')
  await new Promise((r) => setTimeout(r, 20))
  interrupts.handleSignal('SIGTERM')
  const result = await running
  assert.equal(proc.kills, ['SIGINT'])
  assert.is(warnings.length, 1)
  assert.match(warnings[0]!, /^SIGTERM received: asking Terraform to stop gracefully/)
  assert.is(result.status, 'interrupted')
})

test('show -json and output -json that do not parse: the error quotes none of the (secret-bearing) text', async () => {
  const broken = `{"variables": {"hcloud_token": {"value": sekrit-${SECRET}}}}`
  const { tf } = setup([{ stdout: [broken] }, { stdout: [broken.slice(0, 60)] }])
  for (const read of [() => tf.showPlan('/run/a.plan'), () => tf.output()]) {
    const error = await read().then(
      () => undefined,
      (e: unknown) => e,
    )
    assert.instance(error, TerraformOutputError)
    const { message } = error as Error
    assert.match(message, /did not print valid JSON \(\d+ characters, not shown: they can hold secrets\)/)
    for (let i = 0; i + 6 <= broken.length; i++)
      assert.not.ok(message.includes(broken.slice(i, i + 6)), `quotes ${broken.slice(i, i + 6)}: ${message}`)
  }
})

test("control sequences in Terraform's stream and stderr never reach the renderer", async () => {
  const { tf, printed } = setup([
    {
      stdout: [line('log', 'plain \u001b]0;owned\u0007title \u001b[2Jcleared\rback')],
      stderr: ['warn \u001b[31mred\u001b[0m\u0008'],
    },
  ])
  await tf.apply('/run/a.plan')
  const text = printed.join('')
  assert.match(text, 'plain title clearedback')
  assert.match(text, 'warn red')
  assert.not.match(text, /[\x00-\x08\x0b-\x1f\x7f-\x9f]/)
})

test('a child killed by SIGKILL is a failed result naming the signal', async () => {
  const { tf } = setup([{ stdout: [], exitCode: null, signal: 'SIGKILL' }])
  const result = await tf.apply('/run/a.plan')
  assert.equal([result.status, result.signal, result.interrupted], ['failed', 'SIGKILL', false])
  assert.throws(
    () => verifyRunSucceeded(result),
    (e: unknown) => e instanceof TerraformFailedError && /killed by SIGKILL/.test(e.message),
  )
})

test('an unsupported UI version stops the child and is reported', async () => {
  const { proc, tf } = setup([{ stdout: fixtureLines('doc-sample-apply.jsonl'), waitForSigint: true }])
  try {
    await tf.apply('/run/a.plan')
    assert.unreachable('should throw')
  } catch (error) {
    assert.match((error as Error).message, 'machine-readable UI version 0.1.0')
  }
  assert.equal(proc.kills, ['SIGINT'])
})

test('output, validate, version and show read JSON; a failing quiet command is a redacted named error', async () => {
  const { proc, tf } = setup([
    { stdout: fixtureLines('output-json-all.json') },
    {
      stdout: [
        JSON.stringify({ valid: false, diagnostics: [{ severity: 'error', summary: 'x', detail: '' }] }),
      ],
      exitCode: 1,
    },
    { stdout: [JSON.stringify({ terraform_version: '1.12.6', platform: 'linux_amd64' })] },
    { stdout: [], stderr: [`Error: Failed to load plan ${SECRET}`], exitCode: 1 },
  ])
  assert.is((await tf.output()).foo?.value, 'secret')
  assert.equal(proc.calls[0]?.argv, ['/bin/tofu', 'output', '-no-color', '-json'])
  const validation = await tf.validate()
  assert.equal([validation.valid, validation.diagnostics[0]?.summary], [false, 'x'])
  assert.equal(await tf.version(), { version: '1.12.6', platform: 'linux_amd64', providerSelections: {} })
  try {
    await tf.showPlan('/run/a.plan')
    assert.unreachable('should throw')
  } catch (error) {
    assert.ok(error instanceof TerraformFailedError)
    assert.match(error.message, `Failed to load plan ${REDACTED}`)
  }
})

test.run()
