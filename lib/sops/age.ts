/**
 * The data key, wrapped once per age recipient as a complete ASCII-armored age file (what sops stores
 * in `sops.age[].enc`): wrapped with `age-encryption` (typage, the reference TypeScript age), loaded only
 * when a command writes; unwrapped on node:crypto (age-file.ts), so a read never loads it.
 */
import { randomBytes } from 'node:crypto'
import { decodeArmor, isX25519Identity, openAgeFile, x25519Recipient } from './age-file.ts'
import { SopsFormatError, SopsWrongKeyError } from './errors.ts'
import type { AgeStanza } from './metadata.ts'
import type { AgeKey } from './types.ts'

/** A fresh 32-byte sops data key. */
export function generateDataKey(): Uint8Array {
  return new Uint8Array(randomBytes(32))
}

/** Wrap the data key for one recipient, as sops does: an armored age file with exactly that recipient. */
export async function wrapDataKey(dataKey: Uint8Array, recipient: string): Promise<AgeStanza> {
  const { armor, Encrypter } = await import('age-encryption')
  const encrypter = new Encrypter()
  encrypter.addRecipient(recipient)
  return { recipient, enc: armor.encode(await encrypter.encrypt(dataKey)) }
}

/** Unwrap the data key with any of the identities (sops tries every identity on every age entry). */
export async function unwrapDataKey(
  stanzas: readonly AgeStanza[],
  identities: readonly AgeKey[],
): Promise<Uint8Array> {
  let lastError: unknown
  for (const stanza of stanzas) {
    let file: Uint8Array
    try {
      file = decodeArmor(stanza.enc)
    } catch (error) {
      throw new SopsFormatError(
        `The age-encrypted data key for ${stanza.recipient} is corrupt or truncated.`,
        error,
      )
    }
    try {
      const key = await openAgeFile(file, identities)
      if (key.length !== 32)
        throw new SopsFormatError('The data key in the sops metadata is not 32 bytes long.')
      return key
    } catch (error) {
      if (error instanceof SopsFormatError) throw error
      lastError = error
    }
  }
  throw new SopsWrongKeyError(
    stanzas.map((s) => s.recipient),
    identities.length,
    lastError,
  )
}

/** A new X25519 age identity and its recipient (X25519, so every sops 3.x can use it). */
export async function generateAgeIdentity(): Promise<{ identity: string; recipient: string }> {
  const { generateX25519Identity } = await import('age-encryption')
  const identity = await generateX25519Identity()
  return { identity, recipient: x25519Recipient(identity) }
}

/** The recipient of an identity: `age1…` of an `AGE-SECRET-KEY-1…` here, any other type by age-encryption. */
export async function recipientOf(identity: string): Promise<string> {
  if (isX25519Identity(identity)) return x25519Recipient(identity)
  const { identityToRecipient } = await import('age-encryption')
  return identityToRecipient(identity)
}
