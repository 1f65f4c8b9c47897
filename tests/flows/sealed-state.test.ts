/**
 * Terraform state at rest with the HashiCorp `terraform` binary (no native encryption): the launcher's phase
 * runner keeps it as a SOPS file encrypted to the operator and plaintext only in a private run directory inside
 * the phase folder during the run. Real terraform, real sops-compatible encryption, a sensitive value that must
 * never be left in plaintext on disk, a run killed before sealing recovered by the next one, and a marker that
 * names anything but such a run directory refused without touching anything.
 */
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
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
import { StateUnsafeError } from '../../lib/state/errors.ts'
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
import { testUnless, whyNotRoot } from '../helpers/skip.ts'
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

/** Run directories left anywhere a run could have put one: the phase folder and the temp directory. */
function leftoverRunDirs(): string[] {
  return [
    ...readdirSync(spec.workspace.dir).filter((d) => d.startsWith('plaintext-')),
    ...readdirSync(tmpdir()).filter((d) => d.startsWith('debug-cloud-tfstate-')),
  ]
}

test.before(async () => {
  await createPlaintextOperator('alice', te.env)
  store = await openTestStore('alice', te.env)
  if (skip) return
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
  const runDir = join(spec.workspace.dir, 'plaintext-')
  assert.ok(
    planned.planFile.startsWith(runDir),
    "the plaintext plan lives in the phase folder's run directory",
  )
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

/** A sealed state, a marker naming `dir`, and a victim directory outside with a file in it. */
async function markerScene(stack: string, dir: (victim: string, workspace: string) => string) {
  const workspace = await preparePhaseWorkspace(store.paths, stack, 'app')
  const sealer = new StateSealer(store)
  const run = await sealer.unseal(workspace)
  writeFileSync(run.statePath, JSON.stringify({ version: 4, serial: 1, genuine: true }))
  await sealer.sealAll()
  const sealed = join(workspace.dir, 'terraform.tfstate.sops.yaml')
  const victim = join(te.dir, `victim-${stack}`)
  mkdirSync(victim, { mode: 0o700 })
  writeFileSync(join(victim, 'terraform.tfstate'), JSON.stringify({ version: 4, serial: 7, injected: true }))
  writeFileSync(join(victim, 'keep.txt'), 'precious')
  const marker = join(workspace.dir, 'sealing.json')
  writeFileSync(marker, JSON.stringify({ dir: dir(victim, workspace.dir), pid: 1 }))
  return {
    entries: readdirSync(workspace.dir),
    workspace,
    sealed,
    before: readFileSync(sealed, 'utf8'),
    victim,
    marker,
  }
}

async function expectRefused(scene: Awaited<ReturnType<typeof markerScene>>, why: RegExp): Promise<void> {
  const error = await new StateSealer(store).unseal(scene.workspace).then(
    () => undefined,
    (e: unknown) => e,
  )
  assert.instance(error, StateUnsafeError)
  assert.match((error as Error).message, scene.marker)
  assert.match((error as Error).message, why)
  assert.match((error as Error).message, 'nothing was read from it or removed')
  assert.is(readFileSync(join(scene.victim, 'keep.txt'), 'utf8'), 'precious', 'the victim was not deleted')
  assert.ok(existsSync(join(scene.victim, 'terraform.tfstate')))
  assert.is(readFileSync(scene.sealed, 'utf8'), scene.before, 'no state was injected')
  assert.ok(existsSync(scene.marker), 'the marker is kept for the person to look at')
  assert.equal(readdirSync(scene.workspace.dir), scene.entries, 'no run directory was opened')
}

test('a marker naming a directory outside the phase folder is refused: nothing deleted, no state injected', async () => {
  await expectRefused(
    await markerScene('outside', (victim) => victim),
    /not a private run directory of this tool \(it is not a directory .*plaintext-… this tool makes\)/,
  )
})

test('a marker naming a symlink to another directory is refused the same way', async () => {
  const scene = await markerScene('linked', (victim, dir) => {
    symlinkSync(victim, join(dir, 'plaintext-linked'))
    return join(dir, 'plaintext-linked')
  })
  await expectRefused(scene, /\(it is a symlink\)/)
})

test('a run directory that others may read, or a marker that names none, is refused', async () => {
  const open = await markerScene('opened', (_, dir) => {
    mkdirSync(join(dir, 'plaintext-open'), { mode: 0o755 })
    chmodSync(join(dir, 'plaintext-open'), 0o755)
    return join(dir, 'plaintext-open')
  })
  await expectRefused(open, /\(its mode is 755, not 700\)/)
  await expectRefused(await markerScene('nameless', () => ''), /it is not a directory/)
})

testUnless(test, whyNotRoot(), 'a run directory owned by another user is refused', async () => {
  const scene = await markerScene('foreign', (_, dir) => {
    mkdirSync(join(dir, 'plaintext-foreign'), { mode: 0o700 })
    chownSync(join(dir, 'plaintext-foreign'), 65534, 65534)
    return join(dir, 'plaintext-foreign')
  })
  await expectRefused(scene, /\(it is owned by uid 65534, not by you \(uid 0\)\)/)
})

test.run()
