/**
 * What a decryption hands to the next encryption of the same file so that sops-style minimal diffs
 * survive: the wrapped data keys, the encryption rule, and each unchanged value's `ENC[...]` string,
 * found by a SHA-256 of (AAD, type, plaintext) so no plaintext is kept in the map.
 */
import { createHash } from 'node:crypto'
import type { AgeStanza } from './metadata.ts'
import type { EncryptionRule } from './rules.ts'
import type { SopsValueType } from './values.ts'

/** One step of a structural path: a mapping key or a list index. */
export type Step = string | number

/** Opaque material kept in `DecryptedSops.reuse`. */
export class ReuseMaterial {
  /** Per (AAD, type, plaintext): the ENC strings of its occurrences, in document order. */
  private readonly encrypted = new Map<string, string[]>()
  /** Comment lines before a mapping key, by the JSON of its structural path (list indices included). */
  private readonly comments = new Map<string, string[]>()
  /** Comment items of a list (`ENC[…,type:comment]`), by the list's structural path, then by the index of the value they precede. */
  private readonly listComments = new Map<string, Map<number, string[]>>()
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

  /** Remember the comment lines written before the key at `path`. */
  rememberComments(path: readonly Step[], lines: readonly string[]): void {
    this.comments.set(JSON.stringify(path), [...lines])
  }

  /** The comment lines before the key at `path`. */
  commentsBefore(path: readonly Step[]): readonly string[] {
    return this.comments.get(JSON.stringify(path)) ?? []
  }

  /** Remember a comment item of the list at `path` that precedes its `index`-th value. */
  rememberListComment(path: readonly Step[], index: number, enc: string): void {
    const key = JSON.stringify(path)
    const byIndex = this.listComments.get(key) ?? new Map<number, string[]>()
    byIndex.set(index, [...(byIndex.get(index) ?? []), enc])
    this.listComments.set(key, byIndex)
  }

  /** The comment items of the list at `path` that precede its `index`-th value. */
  listCommentsBefore(path: readonly Step[], index: number): readonly string[] {
    return this.listComments.get(JSON.stringify(path))?.get(index) ?? []
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
