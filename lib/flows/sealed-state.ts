/**
 * Terraform state at rest with the HashiCorp `terraform` binary, which has no state encryption: between runs
 * the state is a SOPS file encrypted to the operator (`terraform.tfstate.sops.yaml`, readable with `sops -d`);
 * during a run it is plaintext only in a private 0700 run directory inside the phase's own (0700) folder,
 * `plaintext-XXXXXX`, together with the (plaintext) saved plan, and sealed back and removed on every exit path.
 * A run killed before sealing leaves `sealing.json` naming that directory; the next open seals it first, so the
 * newest state is never lost. The marker is a file anyone with the folder could edit, so the directory it names
 * is only used after verifyPrivateDir. (OpenTofu encrypts natively instead.)
 */
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { encryptSopsYaml } from '../sops/index.ts'
import { writeFileAtomic } from '../state/atomic.ts'
import { SEALED_TF_STATE } from '../state/paths.ts'
import { verifyPrivateDir } from '../state/private-dir.ts'
import type { StateStore } from '../state/store.ts'
import type { PhaseWorkspace } from '../state/workspace.ts'

export interface PlaintextRun {
  statePath: string
  planFile: string
}

interface Open {
  dir: string
  workspace: PhaseWorkspace
}

const MARKER = 'sealing.json'
/** The run directories of a phase: `<phase folder>/plaintext-XXXXXX`. */
const RUN_PREFIX = 'plaintext-'

export class StateSealer {
  private readonly open: Open[] = []

  constructor(private readonly store: Pick<StateStore, 'recipients' | 'decryptFile'>) {}

  /** Decrypt the phase's state into a new private directory; the run uses the returned paths. */
  async unseal(workspace: PhaseWorkspace): Promise<PlaintextRun> {
    await this.recoverOrphan(workspace)
    const dir = await mkdtemp(join(workspace.dir, RUN_PREFIX))
    await writeFileAtomic(join(workspace.dir, MARKER), JSON.stringify({ dir, pid: process.pid }))
    this.open.push({ dir, workspace })
    const sealed = join(workspace.dir, SEALED_TF_STATE)
    if (existsSync(sealed)) {
      const { decrypted } = await this.store.decryptFile(sealed, 'yaml')
      await writeFileAtomic(join(dir, 'terraform.tfstate'), String(decrypted.data.tfstate))
    }
    return { statePath: join(dir, 'terraform.tfstate'), planFile: join(dir, 'plan.tfplan') }
  }

  /** Seal every directory this run opened (call in `finally`); plaintext is removed even if sealing fails. */
  async sealAll(): Promise<void> {
    while (this.open.length > 0) {
      const { dir, workspace } = this.open.pop()!
      await this.seal(dir, workspace)
    }
  }

  private async seal(dir: string, workspace: PhaseWorkspace): Promise<void> {
    try {
      const state = join(dir, 'terraform.tfstate')
      if (existsSync(state)) {
        const text = await encryptSopsYaml(
          { tfstate: await readFile(state, 'utf8') },
          { recipients: this.store.recipients },
        )
        await writeFileAtomic(join(workspace.dir, SEALED_TF_STATE), text)
      }
      await rm(join(workspace.dir, MARKER), { force: true })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }

  /**
   * A directory left by a killed run holds the newest state: seal it before anything else. Only a private run
   * directory of this phase is used; a marker naming anything else is refused and nothing is touched.
   */
  private async recoverOrphan(workspace: PhaseWorkspace): Promise<void> {
    const marker = join(workspace.dir, MARKER)
    if (!existsSync(marker)) return
    const dir = await readMarkedDir(marker)
    await verifyPrivateDir(dir, join(workspace.dir, RUN_PREFIX), marker)
    if (existsSync(dir)) await this.seal(dir, workspace)
    else await rm(marker, { force: true })
  }
}

/** The `dir` a marker names ('' when it names none, which verifyPrivateDir refuses). */
async function readMarkedDir(marker: string): Promise<string> {
  try {
    const { dir } = JSON.parse(await readFile(marker, 'utf8')) as { dir?: unknown }
    return typeof dir === 'string' ? dir : ''
  } catch {
    return ''
  }
}
