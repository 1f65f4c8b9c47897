/**
 * `state rotate-key`: a new age identity for the operator, added to the sealed keys file (a plaintext one is
 * sealed on the way), and the state, every history entry and every sealed Terraform state (HashiCorp terraform
 * only) re-encrypted to it (with a fresh data key each), so the old identity no longer decrypts any of them. The
 * seals are made again by the new identity, versions and chain kept. The recipients are the ones the current
 * seal proves (a recipient slipped into profile.yaml is refused before anything changes).
 */
import { encryptSopsYaml, generateAgeIdentity } from '../sops/index.ts'
import { writeFileAtomic } from './atomic.ts'
import { identityFilePath, readKeysFile, writeSealedKeys } from './identity.ts'
import type { Passphrases } from './init.ts'
import type { Keyring } from './keyring.ts'
import { type OperatorProfile, writeProfile } from './operator.ts'
import { listSealedTerraformStates } from './paths.ts'
import { createSeal, fileDigest, readSeal, withoutSeal } from './seal.ts'
import type { StateStore } from './store.ts'

export interface RotateResult {
  oldRecipients: string[]
  newRecipient: string
  identityFile: string
  /** Files re-encrypted: the state file, the history entries, and sealed Terraform states. */
  files: string[]
  /** History entries that do not decrypt (damaged): left as they are, still refused by `state verify`. */
  untouched: string[]
}

/** The keys file with `identity` added, sealed (its passphrase asked; a plaintext file gets a new one). */
async function addToKeysFile(
  identity: string,
  passphrases: Passphrases,
  env: NodeJS.ProcessEnv,
): Promise<string> {
  const keys = await readKeysFile(identityFilePath(env))
  const opened =
    keys.kind === 'sealed'
      ? await passphrases.open(keys)
      : {
          identities: keys.kind === 'plaintext' ? keys.identities : [],
          passphrase: await passphrases.choose(),
        }
  await writeSealedKeys(keys.path, [...opened.identities, identity], opened.passphrase)
  return keys.path
}

/**
 * Rotate the operator's key. Everything is decrypted and checked before anything changes; the new identity is
 * saved before any file is re-encrypted, so an interruption leaves every file readable (by one of the two).
 * Rotation changes no verdict of `state verify`: a file whose seal verifies (or that a reseal accepted) is
 * sealed again by the new identity; one whose seal does not keeps it as it was, still refused; one that does
 * not even decrypt is left untouched and named.
 */
export async function rotateKey(
  store: StateStore,
  passphrases: Passphrases,
  newKeyring: (identity: string) => Promise<Keyring>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RotateResult> {
  return store.withLock(async () => {
    // The current state's seal proves the recipients; it must verify.
    await store.read()
    const verdicts = new Map((await store.verifyAll()).map((v) => [v.file, v]))
    const plain = []
    const untouched = []
    // Oldest first, so each new seal chains to the one made just before it.
    for (const file of [...verdicts.keys()].reverse()) {
      const decrypted = await store.decryptFile(file, 'yaml').catch(() => undefined)
      if (decrypted === undefined) untouched.push(file)
      else plain.push({ file, data: decrypted.decrypted.data, verified: verdicts.get(file)?.ok === true })
    }
    const terraform = []
    for (const file of await listSealedTerraformStates(store.paths))
      terraform.push({ file, data: (await store.decryptFile(file, 'yaml')).decrypted.data })
    const { identity, recipient } = await generateAgeIdentity()
    const identityFile = await addToKeysFile(identity, passphrases, env)
    const profile: OperatorProfile = { ...store.profile, recipients: [recipient] }
    const recipients = [...new Set([recipient, ...profile.recoveryRecipients])]
    const sealer = await newKeyring(identity)
    // Old MAC -> new MAC of every seal made again, so the chain (and a reseal's `accepts`) follows.
    const remade = new Map<string, string>()
    const digests = new Map<string, string>()
    for (const { file, data, verified } of plain) {
      const content = withoutSeal(data)
      const old = readSeal(data, file)
      let stored = data
      if (old && verified) {
        const seal = await createSeal(sealer, store.operator, content, {
          by: recipient,
          version: old.version,
          previous: old.previous && (remade.get(old.previous) ?? old.previous),
          recipients,
          accepts: old.accepts && (digests.get(old.accepts) ?? old.accepts),
        })
        remade.set(old.mac, seal.mac)
        stored = { ...content, seal: JSON.stringify(seal) }
      }
      digests.set(fileDigest(data), fileDigest(stored))
      await writeFileAtomic(file, await encryptSopsYaml(stored, { recipients }))
    }
    // No `previous`: a fresh data key per file, so the old identity's data keys open nothing new.
    for (const { file, data } of terraform)
      await writeFileAtomic(file, await encryptSopsYaml(data, { recipients }))
    await writeProfile(store.paths, profile)
    const files = [...plain, ...terraform].map((p) => p.file)
    return {
      oldRecipients: store.profile.recipients,
      newRecipient: recipient,
      identityFile,
      files,
      untouched,
    }
  })
}
