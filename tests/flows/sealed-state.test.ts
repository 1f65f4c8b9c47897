/**
 * Terraform state at rest with the HashiCorp `terraform` binary (no native encryption): the launcher's phase
 * runner keeps it as a SOPS file encrypted to the operator and plaintext only in a private temp directory
 * during the run. Real terraform, real sops-compatible encryption, a sensitive value that must never be left
 * in plaintext on disk, and a run killed before sealing recovered by the next one.
 */

import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { Output } from '../../lib/cli/output.ts'
import { applyPhase, type PhaseSpec, planPhase } from '../../lib/flows/phase.ts'
import { createRuntime, type FlowRuntime } from '../../lib/flows/runtime.ts'
import { StateSealer } from '../../lib/flows/sealed-state.ts'
import { identityKeyring } from '../../lib/gate/keyring.ts'
import { realProc } from '../../lib/proc.ts'
import { decryptSops, SopsWrongKeyError } from '../../lib/sops/index.ts'
import { rotateKey } from '../../lib/state/rotate.ts'
import type { StateStore } from '../../lib/state/store.ts'
import { preparePhaseWorkspace } from '../../lib/state/workspace.ts'
import { findOnPath } from '../../lib/terraform/binary.ts'
import { sopsBinary } from '../../lib/tools/paths.ts'
import {
  createPlaintextOperator,
  fixedPassphrases,
  openSealedTestStore,
  openTestStore,
} from '../helpers/operator.ts'
import { testUnless } from '../helpers/skip.ts'
import { makeTempEnv } from '../state/env.ts'
import { LauncherEnv } from './launcher-env.ts'

const terraform = findOnPath('terraform')
// The Go module proxy refuses hashicorp/terraform's nested modules, so no pinned terraform can be built here.
const skip = terraform
  ? undefined
  : 'HashiCorp terraform is not on PATH and cannot be built from the Go proxy here'
const SECRET = 'sealed-state-canary-5d1e9b'
const CONFIG = `
variable "token" {
  type      = string
  sensitive = true
}
resource "terraform_data" "held" {
  input = var.token
}
`

const te = makeTempEnv()
let store: StateStore
let rt: FlowRuntime
let spec: PhaseSpec

/** The passphrase rotate-key seals the keys file with (the plaintext one is sealed on the way). */
const PASSPHRASE = 'sealed-state test passphrase'

function leftoverRunDirs(): string[] {
  return readdirSync(tmpdir()).filter((d) => d.startsWith('debug-cloud-tfstate-'))
}

test.before(async () => {
  if (skip) return
  await createPlaintextOperator('alice', te.env)
  store = await openTestStore('alice', te.env)
  rt = await createRuntime(new Output({ json: false, verbose: false }), terraform)
  rt.useStore(store)
  const configDir = await mkdtemp(join(te.dir, 'config-'))
  writeFileSync(join(configDir, 'main.tf'), CONFIG)
  spec = {
    phase: 'app',
    configDir,
    workspace: await preparePhaseWorkspace(store.paths, 'tfbin', 'app'),
    inputs: { tfvars: {}, secretEnv: { TF_VAR_token: SECRET } },
    statePassphrase: 'unused-with-terraform-0123',
    destroy: false,
  }
})

test.after(async () => {
  await rt?.dispose()
  te.cleanup()
})

testUnless(test, skip, 'apply with terraform: state sealed as SOPS, no plaintext left anywhere', async () => {
  assert.is(rt.binary.flavor, 'terraform')
  const planned = await planPhase(rt, spec)
  assert.ok(planned.hasChanges)
  assert.ok(planned.planFile.startsWith(tmpdir()), 'the plaintext plan lives in the private run directory')
  await applyPhase(planned)
  await rt.sealer().sealAll()
  assert.equal(leftoverRunDirs(), [])
  assert.equal(LauncherEnv.filesContaining(te.dir, [SECRET]), [])
  const sealed = join(spec.workspace.dir, 'terraform.tfstate.sops.yaml')
  const decrypted = await realProc.run([sopsBinary(), '-d', sealed], {
    env: te.env as Record<string, string>,
  })
  assert.is(decrypted.exitCode, 0, decrypted.stderr)
  assert.match(decrypted.stdout, SECRET)
})

testUnless(
  test,
  skip,
  'the next run starts from the sealed state: a second plan has no changes',
  async () => {
    const planned = await planPhase(rt, spec)
    assert.is(planned.hasChanges, false)
    await rt.sealer().sealAll()
    assert.equal(leftoverRunDirs(), [])
  },
)

testUnless(test, skip, 'a run killed before sealing is recovered by the next unseal', async () => {
  const killed = new StateSealer(store)
  const run = await killed.unseal(spec.workspace)
  const newest = readFileSync(join(spec.workspace.dir, 'terraform.tfstate.sops.yaml'), 'utf8')
  writeFileSync(run.statePath, JSON.stringify({ version: 4, serial: 99, marker: 'newest' }))
  // No sealAll: the process "died". The next run seals the orphan first.
  const next = new StateSealer(store)
  const again = await next.unseal(spec.workspace)
  assert.not.ok(existsSync(join(run.statePath, '..')), 'orphan plaintext directory removed')
  assert.match(readFileSync(again.statePath, 'utf8'), '"marker":"newest"')
  assert.is.not(readFileSync(join(spec.workspace.dir, 'terraform.tfstate.sops.yaml'), 'utf8'), newest)
  await next.sealAll()
  assert.equal(leftoverRunDirs(), [])
})

testUnless(
  test,
  skip,
  'rotate-key re-encrypts sealed Terraform states: the old identity no longer opens them',
  async () => {
    const sealed = join(spec.workspace.dir, 'terraform.tfstate.sops.yaml')
    const oldKeys = store.keyring.keys
    const result = await rotateKey(store, fixedPassphrases(PASSPHRASE), identityKeyring, te.env)
    assert.ok(result.files.includes(sealed))
    const text = readFileSync(sealed, 'utf8')
    const error = await decryptSops(text, oldKeys, 'yaml').then(
      () => undefined,
      (e: unknown) => e,
    )
    assert.instance(error, SopsWrongKeyError)
    const reopened = await openSealedTestStore('alice', te.env, PASSPHRASE)
    // The previous test left the recovered orphan's state there.
    assert.match(
      String((await reopened.decryptFile(sealed, 'yaml')).decrypted.data.tfstate),
      '"marker":"newest"',
    )
  },
)

test.run()
