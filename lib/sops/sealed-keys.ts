/**
 * Passphrase-sealed keys files: the identity lines encrypted with age's scrypt recipient, ASCII-armored,
 * which is what `age -p -a` writes and what age, sops 3.10+ and the unlock agent open. Sealing uses
 * age-encryption (typage) at age's default work factor (2^18, about 256 MiB and a second).
 */
import { x25519Recipient } from './age-file.ts'

/** The first bytes of an age file, binary or armored: sops peeks at these to tell a sealed keys file. */
const SEALED_PREFIXES = ['age-encryption.org/', '-----BEGIN AGE ENCRYPTED FILE-----']

/** Whether a keys file's content is sealed (an age file) rather than plaintext identity lines. */
export function isSealedKeysFile(content: string | Uint8Array): boolean {
  const head =
    typeof content === 'string' ? content.slice(0, 64) : Buffer.from(content.slice(0, 64)).toString()
  return SEALED_PREFIXES.some((prefix) => head.startsWith(prefix))
}

/**
 * The sealed keys file for `identities` (AGE-SECRET-KEY-1… lines, each after a `# public key:` comment as
 * age-keygen writes them) under `passphrase`. Write it with mode 0600: it is an offline guessing target.
 */
export async function sealKeysFile(identities: readonly string[], passphrase: string): Promise<string> {
  if (passphrase === '') throw new Error('An empty passphrase cannot seal a keys file.')
  if (identities.length === 0) throw new Error('A sealed keys file needs at least one identity.')
  const lines: string[] = []
  for (const identity of identities) {
    lines.push(`# public key: ${x25519Recipient(identity)}`, identity)
  }
  const { armor, Encrypter } = await import('age-encryption')
  const encrypter = new Encrypter()
  encrypter.setPassphrase(passphrase)
  return armor.encode(await encrypter.encrypt(`${lines.join('\n')}\n`))
}
