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
  /** Per (AAD, type, plaintext): the ENC strings of its occurrences, in document order. */
  private readonly encrypted = new Map<string, string[]>()
  constructor(
    readonly stanzas: readonly AgeStanza[],
    readonly rule: EncryptionRule,
    readonly macOnlyEncrypted: boolean,
  ) {}

  /** Remember the `ENC[...]` string of a value (call in document order). */
  remember(aad: string, type: SopsValueType, plaintext: string, enc: string): void {
    const key = buildReuseKey(aad, type, plaintext)
    const list = this.encrypted.get(key)
    if (list) list.push(enc)
    else this.encrypted.set(key, [enc])
  }

  /**
   * A lookup for one encryption pass: the nth occurrence of an unchanged value gets the nth previous
   * `ENC[...]` string (so equal values under one list keep their own strings); undefined when new.
   */
  buildRecall(): (aad: string, type: SopsValueType, plaintext: string) => string | undefined {
    const used = new Map<string, number>()
    return (aad, type, plaintext) => {
      const key = buildReuseKey(aad, type, plaintext)
      const n = used.get(key) ?? 0
      used.set(key, n + 1)
      return this.encrypted.get(key)?.[n]
    }
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
