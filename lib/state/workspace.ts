/**
 * Each stack keeps its Terraform working files in the operator's private state directory, one folder per
 * phase: the (OpenTofu-encrypted) state, TF_DATA_DIR, the saved plan and the non-secret var file.
 *
 *   <operator dir>/stacks/<stack>/<phase>/{terraform.tfstate, .terraform/, plan.tfplan, inputs.tfvars.json}
 *   <operator dir>/stacks/<stack>/known_hosts      the pinned host key (public)
 *   <operator dir>/stacks/<stack>.lock/            the stack lock held by up/destroy
 */
import { existsSync } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { acquireLock, buildHolder, type ReleaseLock } from './lock.ts'
import { type OperatorPaths, SEALED_TF_STATE } from './paths.ts'

export type Phase = 'host' | 'app'

export interface PhaseWorkspace {
  dir: string
  statePath: string
  dataDir: string
  planFile: string
  varFile: string
  /**
   * HOME of the Terraform child: providers cache things there (Contabo's OAuth2 tokens in
   * ~/.cache/contabo), so it is private to the phase, emptied when a run starts and removed when it ends.
   */
  homeDir: string
}

/** The folder of one stack's working files. */
export function stackFolder(paths: OperatorPaths, stack: string): string {
  return join(paths.dir, 'stacks', stack)
}

/** Take the lock held while up or destroy runs on the stack; a second run names the holder. */
export async function acquireStackLock(
  paths: OperatorPaths,
  stack: string,
  command: string,
): Promise<ReleaseLock> {
  const parent = join(paths.dir, 'stacks')
  await mkdir(parent, { recursive: true, mode: 0o700 })
  return acquireLock(join(parent, `${stack}.lock`), buildHolder(command))
}

/** The pinned known_hosts file of a stack. */
export function knownHostsPath(paths: OperatorPaths, stack: string): string {
  return join(stackFolder(paths, stack), 'known_hosts')
}

/** Create (0700) and describe the working folder of one phase. */
export async function preparePhaseWorkspace(
  paths: OperatorPaths,
  stack: string,
  phase: Phase,
): Promise<PhaseWorkspace> {
  const dir = join(stackFolder(paths, stack), phase)
  await mkdir(join(dir, '.terraform'), { recursive: true, mode: 0o700 })
  const homeDir = join(dir, 'home')
  // A run that was killed may have left a provider's cached token here: start empty.
  await rm(homeDir, { recursive: true, force: true })
  await mkdir(homeDir, { mode: 0o700 })
  return {
    dir,
    homeDir,
    statePath: join(dir, 'terraform.tfstate'),
    dataDir: join(dir, '.terraform'),
    planFile: join(dir, 'plan.tfplan'),
    varFile: join(dir, 'inputs.tfvars.json'),
  }
}

/**
 * True when the phase has Terraform state: OpenTofu's (natively encrypted) state file, or the SOPS-sealed state
 * the HashiCorp binary leaves between runs.
 */
export function hasPhaseState(workspace: PhaseWorkspace): boolean {
  return existsSync(workspace.statePath) || existsSync(join(workspace.dir, SEALED_TF_STATE))
}

/** Remove a stack's working files once it is destroyed (its Terraform states are empty then). */
export async function removeStackFolder(paths: OperatorPaths, stack: string): Promise<void> {
  await rm(stackFolder(paths, stack), { recursive: true, force: true })
}

/** Remove a saved plan once applied or abandoned (it is encrypted, but has no use afterwards). */
export async function removePlan(workspace: PhaseWorkspace): Promise<void> {
  await rm(workspace.planFile, { force: true })
}
