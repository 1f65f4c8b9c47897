/**
 * `state rotate-key`: a new age identity for the operator, and the state, every history entry and every
 * sealed Terraform state (HashiCorp terraform only) re-encrypted to it (with a fresh data key each), so the old identity no longer decrypts any of them.
 */
import { encryptSopsYaml, generateAgeIdentity } from '../sops/index.ts'
import { writeFileAtomic } from './atomic.ts'
import { addIdentityToKeysFile, identityFilePath } from './identity.ts'
import { type OperatorProfile, stateRecipients, writeProfile } from './operator.ts'
import { listSealedTerraformStates } from './paths.ts'
import type { StateStore } from './store.ts'

export interface RotateResult {
  oldRecipients: string[]
  newRecipient: string
  identityFile: string
  /** Files re-encrypted: the state file, the history entries, and sealed Terraform states. */
  files: string[]
}

/**
 * Rotate the operator's key. Everything is decrypted (and so verified) before anything changes; the new identity
 * is saved before any file is re-encrypted, so an interruption leaves every file readable.
 */
export async function rotateKey(
  store: StateStore,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RotateResult> {
  return store.withLock(async () => {
    const files = [...(await store.allFiles()), ...(await listSealedTerraformStates(store.paths))]
    const plain = []
    for (const file of files)
      plain.push({ file, data: (await store.decryptFile(file, 'yaml')).decrypted.data })
    const { identity, recipient } = await generateAgeIdentity()
    const identityFile = identityFilePath(env)
    await addIdentityToKeysFile(
      identityFile,
      identity,
      recipient,
      `debug-cloud operator ${store.operator} (rotated)`,
    )
    const profile: OperatorProfile = { ...store.profile, recipients: [recipient] }
    const recipients = stateRecipients(profile)
    // No `previous`: a fresh data key per file, so the old identity's data keys open nothing new.
    for (const { file, data } of plain)
      await writeFileAtomic(file, await encryptSopsYaml(data, { recipients }))
    await writeProfile(store.paths, profile)
    return { oldRecipients: store.profile.recipients, newRecipient: recipient, identityFile, files }
  })
}
