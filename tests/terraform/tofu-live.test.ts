/**
 * Real OpenTofu runs on configs that need no provider download (the built-in terraform_data resource, with
 * local-exec `sleep` for long applies): streaming progress, plan exit codes, Ctrl-C and SIGKILL mid-apply,
 * state encryption on disk, and the minimal child environment.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Chalk } from 'chalk'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { type Child, type Env, type Proc, realProc } from '../../lib/proc.ts'
import { resolveTfBinary } from '../../lib/terraform/binary.ts'
import { buildEncryptionEnv } from '../../lib/terraform/encryption.ts'
import { buildTfEnv } from '../../lib/terraform/env.ts'
import type { TfEvent } from '../../lib/terraform/events.ts'
import { InterruptForwarder } from '../../lib/terraform/interrupt.ts'
import { REDACTED, Redactor } from '../../lib/terraform/redact.ts'
import { PlainRenderer } from '../../lib/terraform/render.ts'
import { Terraform } from '../../lib/terraform/terraform.ts'

// Ambient settings that must never reach the child (this process is the child's parent).
process.env.TF_CLI_ARGS = '-auto-approve'
process.env.TF_CLI_ARGS_plan = '-destroy'
process.env.TF_VAR_note = 'ambient-must-not-pass'

const SECRET = 'sensitive-canary-7f3a9c1e5b'
// Template sigils and a quote: OpenTofu must take them literally (a wrong escape fails the run).
const PASSPHRASE = ['stack-pass', '$', '{not_a_ref}-%', '{x}-"quoted"-0123456789'].join('')
const binary = resolveTfBinary('tofu')
/** A registered secret with characters that base64 and URL encoding change. */
const LEAK = 'leak/secret?+&=value-0123456789'
/** A failing precondition whose message carries LEAK encoded and terminal escapes, from an unmarked variable. */
const LEAK_CONFIG = `
variable "leak" {
  type = string
}
resource "terraform_data" "checked" {
  input = "x"
  lifecycle {
    precondition {
      condition     = var.leak == ""
      error_message = "b64 \${base64encode(var.leak)} url \${urlencode(var.leak)} \\u001b]0;owned\\u0007\\u001b[2Jcleared"
    }
  }
}
`

const CONFIG = `
variable "token" {
  type      = string
  sensitive = true
}
variable "note" {
  type    = string
  default = "from-default"
}
variable "slow" {
  type    = number
  default = 0
}
resource "terraform_data" "fast" {
  input = var.token
}
resource "terraform_data" "slow" {
  input = var.note
  provisioner "local-exec" {
    command = "env > \${path.module}/provisioner-env.txt; sleep \${var.slow}"
  }
  depends_on = [terraform_data.fast]
}
output "token" {
  value     = terraform_data.fast.output
  sensitive = true
}
output "note" {
  value = terraform_data.slow.output
}
`

interface Stack {
  dir: string
  tf: Terraform
  lines: string[]
  interrupts: InterruptForwarder
  lastChild: () => Child | undefined
  onEvent: (hook: (e: TfEvent) => void) => void
  varFile: string
}

function makeStack(
  options: { passphrase?: string; encryption?: Env; slow?: number; dir?: string; config?: string } = {},
): Stack {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'tf-live-'))
  writeFileSync(join(dir, 'main.tf'), options.config ?? CONFIG)
  const rc = join(dir, 'empty.tofurc')
  writeFileSync(rc, '')
  const varFile = join(dir, 'in.tfvars.json')
  writeFileSync(varFile, JSON.stringify({ slow: options.slow ?? 0 }), { mode: 0o600 })
  const lines: string[] = []
  let hook: (e: TfEvent) => void = () => {}
  const plain = new PlainRenderer({ write: (t: string) => lines.push(t) }, new Chalk({ level: 0 }))
  const renderer = {
    event: (e: TfEvent) => {
      plain.event(e)
      hook(e)
    },
    stderr: (l: string) => plain.stderr(l),
    close: () => plain.close(),
  }
  let child: Child | undefined
  const spyProc: Proc = {
    run: (argv, o) => realProc.run(argv, o),
    start: (argv, o) => {
      child = realProc.start(argv, o)
      return child
    },
  }
  const interrupts = new InterruptForwarder((l) => lines.push(`WARN ${l}\n`))
  const env = buildTfEnv({
    cliConfigFile: rc,
    variables: { token: SECRET, leak: LEAK },
    ...(options.passphrase
      ? { encryption: options.encryption ?? buildEncryptionEnv(options.passphrase) }
      : {}),
  })
  const tf = new Terraform({
    proc: spyProc,
    renderer,
    redactor: new Redactor().add(SECRET, LEAK, options.passphrase),
    interrupts,
    binary,
    workdir: dir,
    env,
  })
  return { dir, tf, lines, interrupts, lastChild: () => child, onEvent: (h) => (hook = h), varFile }
}

/** The hash and iterations a state file records (OpenTofu keeps the pbkdf2 parameters beside the ciphertext). */
function stateKdf(dir: string): { hash_function: string; iterations: number } {
  const state = JSON.parse(readFileSync(join(dir, 'terraform.tfstate'), 'utf8')) as {
    meta: Record<string, string>
  }
  const meta = state.meta['key_provider.pbkdf2.stack']
  assert.ok(meta, `no pbkdf2 metadata in ${Object.keys(state.meta)}`)
  const { hash_function, iterations } = JSON.parse(Buffer.from(meta, 'base64').toString('utf8'))
  return { hash_function, iterations }
}

async function planAndApply(stack: Stack, planFile = join(stack.dir, 'run.plan')) {
  const plan = await stack.tf.plan({ planFile, varFiles: [stack.varFile] })
  const apply = plan.hasChanges ? await stack.tf.apply(planFile) : undefined
  return { plan, apply }
}

const cleanups: string[] = []
test.after(() => {
  for (const dir of cleanups) rmSync(dir, { recursive: true, force: true })
})

test('live stream: progress lines, plan exit 2 then 0, typed outputs, child env without ambient TF_*', async () => {
  const stack = makeStack()
  cleanups.push(stack.dir)
  assert.is((await stack.tf.init()).status, 'ok')
  const first = await planAndApply(stack)
  assert.equal([first.plan.status, first.plan.exitCode, first.plan.hasChanges], ['ok', 2, true])
  assert.equal(first.plan.changes, { operation: 'plan', add: 2, change: 0, remove: 0, import: 0 })
  assert.is(first.apply?.status, 'ok')
  const text = stack.lines.join('')
  assert.match(text, '  + terraform_data.slow (create)')
  assert.match(text, /✓ terraform_data\.fast: Creation complete after \d+s/)
  assert.match(text, 'Apply complete! Resources: 2 added, 0 changed, 0 destroyed.')
  assert.not.match(text, SECRET)
  const summary = await stack.tf.showPlan(join(stack.dir, 'run.plan'))
  assert.equal(
    summary.resources.map((r) => [r.address, r.action]),
    [
      ['terraform_data.fast', 'create'],
      ['terraform_data.slow', 'create'],
    ],
  )
  const outputs = await stack.tf.output()
  assert.equal(outputs.token, { sensitive: true, type: 'string', value: SECRET })
  assert.is(outputs.note?.value, 'from-default')
  const childEnv = readFileSync(join(stack.dir, 'provisioner-env.txt'), 'utf8')
  assert.not.match(childEnv, 'TF_CLI_ARGS')
  assert.not.match(childEnv, 'ambient-must-not-pass')
  assert.match(childEnv, 'TF_IN_AUTOMATION=1')
  const again = await stack.tf.plan({ planFile: join(stack.dir, 'run.plan'), varFiles: [stack.varFile] })
  assert.equal([again.status, again.exitCode, again.hasChanges], ['ok', 0, false])
})

test('Ctrl-C mid-apply: forwarded once, graceful stop, result interrupted, state consistent, re-run converges', async () => {
  const stack = makeStack({ slow: 30 })
  cleanups.push(stack.dir)
  await stack.tf.init()
  const planFile = join(stack.dir, 'run.plan')
  await stack.tf.plan({ planFile, varFiles: [stack.varFile] })
  stack.onEvent((e) => {
    if (e.type === 'provision_start') stack.interrupts.handleSignal()
  })
  const result = await stack.tf.apply(planFile)
  assert.equal([result.status, result.interrupted], ['interrupted', true])
  assert.match(stack.lines.join(''), 'Interrupt received')
  // A fresh launcher process: the first resource is in the state, the interrupted one is planned again.
  const rerun = makeStack({ dir: stack.dir })
  const next = await planAndApply(rerun)
  assert.equal(next.plan.changes?.add, 1)
  assert.is(next.apply?.status, 'ok')
  const converged = await rerun.tf.plan({ planFile, varFiles: [rerun.varFile] })
  assert.is(converged.hasChanges, false)
})

test('SIGKILL mid-apply: a failed result; a re-run and a destroy still work', async () => {
  const stack = makeStack({ slow: 30 })
  cleanups.push(stack.dir)
  await stack.tf.init()
  const planFile = join(stack.dir, 'run.plan')
  await stack.tf.plan({ planFile, varFiles: [stack.varFile] })
  stack.onEvent((e) => {
    if (e.type === 'provision_start') stack.lastChild()?.kill('SIGKILL')
  })
  const result = await stack.tf.apply(planFile)
  assert.equal([result.status, result.signal, result.interrupted], ['failed', 'SIGKILL', false])
  const rerun = makeStack({ dir: stack.dir })
  const next = await planAndApply(rerun)
  assert.is(next.apply?.status, 'ok')
  const destroyed = await rerun.tf.destroy({ planFile, varFiles: [rerun.varFile] })
  assert.equal([destroyed.plan.hasChanges, destroyed.apply?.status], [true, 'ok'])
  // Applying a saved destroy plan reports operation "apply" (recorded with OpenTofu 1.12).
  assert.equal(destroyed.apply?.changes, { operation: 'apply', add: 0, change: 0, remove: 2, import: 0 })
})

test('TF_ENCRYPTION: no plaintext in state or plan on disk; without the passphrase a clear failure', async () => {
  const stack = makeStack({ passphrase: PASSPHRASE })
  cleanups.push(stack.dir)
  await stack.tf.init()
  const { plan, apply } = await planAndApply(stack)
  assert.is(apply?.status, 'ok', JSON.stringify({ plan, lines: stack.lines }))
  for (const file of ['terraform.tfstate', 'run.plan']) {
    const bytes = readFileSync(join(stack.dir, file))
    assert.not.ok(bytes.includes(SECRET), `${file} holds the secret in plaintext`)
    assert.not.ok(bytes.includes('from-default'), `${file} holds plain values`)
  }
  assert.match(readFileSync(join(stack.dir, 'terraform.tfstate'), 'utf8'), '"encrypted_data"')
  assert.equal(stateKdf(stack.dir), { hash_function: 'sha256', iterations: 600_000 })
  assert.not.match(stack.lines.join(''), PASSPHRASE)
  const locked = makeStack({ dir: stack.dir })
  const refused = await locked.tf.plan({
    planFile: join(stack.dir, 'other.plan'),
    varFiles: [locked.varFile],
  })
  assert.is(refused.status, 'failed')
  assert.match(refused.diagnostics[0]?.fix ?? '', "did not have the stack's passphrase")
})

test("a state written with OpenTofu's default key derivation (SHA-512) still opens; the next write uses ours", async () => {
  const config = JSON.parse(buildEncryptionEnv(PASSPHRASE).TF_ENCRYPTION!)
  config.key_provider.pbkdf2.stack = { passphrase: config.key_provider.pbkdf2.stack.passphrase }
  const before = makeStack({ passphrase: PASSPHRASE, encryption: { TF_ENCRYPTION: JSON.stringify(config) } })
  cleanups.push(before.dir)
  await before.tf.init()
  assert.is((await planAndApply(before)).apply?.status, 'ok', before.lines.join(''))
  assert.equal(stateKdf(before.dir), { hash_function: 'sha512', iterations: 600_000 })
  const after = makeStack({ passphrase: PASSPHRASE, dir: before.dir })
  const again = await planAndApply(after)
  assert.equal([again.plan.status, again.plan.hasChanges], ['ok', false], after.lines.join(''))
  const destroyed = await after.tf.destroy({
    planFile: join(after.dir, 'gone.plan'),
    varFiles: [after.varFile],
  })
  assert.is(destroyed.apply?.status, 'ok', after.lines.join(''))
  assert.equal(stateKdf(after.dir), { hash_function: 'sha256', iterations: 600_000 })
})

test('a diagnostic with a secret base64- and URL-encoded and terminal escapes: printed redacted and clean', async () => {
  const stack = makeStack({ config: LEAK_CONFIG })
  cleanups.push(stack.dir)
  await stack.tf.init()
  const plan = await stack.tf.plan({ planFile: join(stack.dir, 'run.plan'), varFiles: [stack.varFile] })
  assert.is(plan.status, 'failed')
  const text = stack.lines.join('') + JSON.stringify(plan.diagnostics)
  assert.match(text, 'Resource precondition failed')
  assert.match(text, `b64 ${REDACTED} url ${REDACTED} cleared`)
  for (const leak of [Buffer.from(LEAK).toString('base64'), encodeURIComponent(LEAK)])
    assert.not.ok(text.includes(leak), `leaked ${leak}`)
  assert.not.match(text, /[\x00-\x08\x0b-\x1f\x7f-\x9f]/)
})

test.run()
