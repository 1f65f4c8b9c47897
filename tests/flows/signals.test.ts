/**
 * SIGTERM and a closed terminal (SIGHUP) mid-apply are handled like Ctrl-C, with the real HashiCorp terraform
 * and the real OpenTofu: Terraform is told to stop and saves its state, the run is recorded `interrupted`, the
 * stack lock is released, no plaintext is left anywhere (terraform's state is sealed back as SOPS and its run
 * directory removed; OpenTofu's is encrypted), and a destroy works from there. The run is the fixture
 * fixtures/signal-run.ts (a stack session with one phase) in a real pseudo-terminal.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { findOnPath } from '../../lib/terraform/binary.ts'
import { sopsBinary } from '../../lib/tools/paths.ts'
import { answerPassphrase } from '../helpers/operator.ts'
import { spawnPty } from '../helpers/pty.ts'
import { testUnless } from '../helpers/skip.ts'
import { ensureTestTools } from '../helpers/tools.ts'
import { LauncherEnv, OPERATOR } from './launcher-env.ts'

const FIXTURE = join(import.meta.dirname, 'fixtures', 'signal-run.ts')
/** The sensitive value in the phase's state, handed to the fixture in its environment only. */
const SIGNAL_RUN_SECRET = `signal-canary-${randomBytes(12).toString('hex')}`
const CONFIG = `
variable "token" {
  type      = string
  sensitive = true
}
resource "terraform_data" "held" {
  input = var.token
}
resource "terraform_data" "slow" {
  depends_on = [terraform_data.held]
  provisioner "local-exec" {
    command = "echo started > started && exec sleep 120"
  }
}
`
const ws = new LauncherEnv()
const tmp = join(ws.dir, 'tmp')
const noTerraform = findOnPath('terraform')
  ? undefined
  : 'HashiCorp terraform is not on PATH and cannot be built from the Go proxy here'

test.before(async () => {
  await ensureTestTools()
  mkdirSync(tmp)
  await ws.initOperator()
})

test.after(() => ws.cleanup())

function run(stack: string, config: string, flavor: 'tofu' | 'terraform', extra: string[] = []) {
  const argv = ['--stack', stack, '--config', config, '--tf-bin', flavor, ...extra]
  // The operator's identity is sealed: the passphrase is typed when the run opens the state.
  return answerPassphrase(
    spawnPty([process.execPath, '--import', 'tsx', FIXTURE, ...argv], {
      env: ws.env({ TMPDIR: tmp, SIGNAL_RUN_TOKEN: SIGNAL_RUN_SECRET }),
    }),
    ws.passphrase,
  )
}

async function waitForFile(path: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new Error(`${path} did not appear within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** The sealed Terraform state, decrypted by the real sops (it asks the identity's passphrase on the terminal). */
async function sealedState(stack: string): Promise<string> {
  const sealed = join(
    ws.secrets,
    'operators',
    OPERATOR,
    'stacks',
    stack,
    'app',
    'terraform.tfstate.sops.yaml',
  )
  const sops = spawnPty([sopsBinary(), '-d', sealed], { env: ws.env({ GPG_AGENT_INFO: '/nonexistent' }) })
  await sops.expect(/Enter passphrase for identity/)
  sops.type(`${ws.passphrase}\r`)
  assert.is(await sops.exitCode(), 0, sops.transcript)
  return sops.transcript
}

for (const flavor of ['terraform', 'tofu'] as const) {
  for (const how of ['SIGTERM', 'hangup'] as const) {
    const skip = flavor === 'terraform' ? noTerraform : undefined
    testUnless(
      test,
      skip,
      `${flavor}: ${how} mid-apply stops it like Ctrl-C, leaves no plaintext, destroy works`,
      async () => {
        const stack = `${flavor.slice(0, 2)}-${how.toLowerCase()}`
        const config = mkdtempSync(join(ws.dir, 'config-'))
        writeFileSync(join(config, 'main.tf'), CONFIG)
        const up = run(stack, config, flavor)
        await waitForFile(join(config, 'started'), 60_000)
        if (how === 'SIGTERM') {
          process.kill(up.pid, 'SIGTERM')
          assert.is(await up.exitCode(60_000), 130, up.transcript)
          assert.match(up.transcript, 'SIGTERM received: asking Terraform to stop gracefully')
          assert.match(up.transcript, 'was interrupted; Terraform stopped and saved its state')
        } else {
          up.hangUp()
          const { exitCode, signal } = await up.exited
          // Ended by the SIGHUP it re-raised after cleaning up, not by an abort at exit (SIGABRT is 6).
          assert.equal([exitCode, signal], [0, 1], up.transcript)
        }
        ws.transcripts.push(up.transcript)
        const record = (await ws.readState()).stacks[stack]!
        if (how === 'SIGTERM') {
          assert.is(record.status, 'interrupted')
          assert.match(record.lastError?.message ?? '', 'was interrupted')
        } else {
          // The unlock agent answers only a process that still has its terminal, so after a hangup the record
          // cannot be re-sealed and keeps its last status; Terraform's state is saved and sealed all the same.
          assert.is(record.status, 'planned')
        }
        const stacks = join(ws.secrets, 'operators', OPERATOR, 'stacks')
        assert.not.ok(existsSync(join(stacks, `${stack}.lock`)), 'stack lock released')
        const phase = join(stacks, stack, 'app')
        assert.equal(
          readdirSync(phase).filter((f) => f.startsWith('plaintext-') || f === 'sealing.json'),
          [],
          'run directory sealed and removed',
        )
        if (flavor === 'terraform') assert.match(await sealedState(stack), SIGNAL_RUN_SECRET)
        const roots = [ws.dir, join(import.meta.dirname, '..', '..')]
        for (const root of roots)
          assert.equal(LauncherEnv.filesContaining(root, [SIGNAL_RUN_SECRET]), [], `plaintext under ${root}`)
        const destroy = run(stack, config, flavor, ['--destroy'])
        assert.is(await destroy.exitCode(120_000), 0, destroy.transcript)
        assert.match(destroy.transcript, `destroyed ${stack}`)
        if (flavor === 'terraform') assert.match(await sealedState(stack), '"resources": []')
      },
    )
  }
}

test.run()
