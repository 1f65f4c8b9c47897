/**
 * What a decryption hands to the next encryption of the same file so that sops-style minimal diffs
 * survive: the wrapped data keys, the encryption rule, and each unchanged value's `ENC[...]` string,
 * found by a SHA-256 of (AAD, type, plaintext) so no plaintext is kept in the map.
 */
import { createHash } from 'node:crypto'
import type { AgeStanza } from './metadata.ts'
import type { EncryptionRule } from './rules.ts'
import type { SopsValueType } from './values.ts'

/** Opaque material kept in `DecryptedSops.reuse`. */
export class ReuseMaterial {
  readonly encrypted = new Map<string, string>()
  constructor(
    readonly stanzas: readonly AgeStanza[],
    readonly rule: EncryptionRule,
    readonly macOnlyEncrypted: boolean,
  ) {}

  /** Remember the `ENC[...]` string of a value. */
  remember(aad: string, type: SopsValueType, plaintext: string, enc: string): void {
    this.encrypted.set(buildReuseKey(aad, type, plaintext), enc)
  }

  /** The previous `ENC[...]` string of an unchanged value, if any. */
  recall(aad: string, type: SopsValueType, plaintext: string): string | undefined {
    return this.encrypted.get(buildReuseKey(aad, type, plaintext))
  }
}

/** The lookup key of a value: SHA-256 over length-prefixed AAD, type and plaintext. */
export function buildReuseKey(aad: string, type: SopsValueType, plaintext: string): string {
  const hash = createHash('sha256')
  for (const part of [aad, type, plaintext]) {
    const bytes = Buffer.from(part, 'utf8')
    hash.update(`${bytes.length}:`).update(bytes)
  }
  return hash.digest('hex')
}
