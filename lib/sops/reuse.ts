/**
 * What a decryption hands to the next encryption of the same file so that sops-style minimal diffs
 * survive: the wrapped data keys, the encryption rule, and each unchanged value's `ENC[...]` string,
 * found by its (type, AAD) and then its plaintext. The maps are keyed by the plaintext strings themselves,
 * which the decrypted data holds in the same process anyway: a SHA-256 per value, as before, was a tenth to
 * a fifth of an encryption that reuses them (docs/testing.md, "Benchmarks"). The maps are built when an
 * encryption first asks (until then the values wait in a list): a read that writes nothing, most commands,
 * never builds them.
 */
import type { AgeStanza } from './metadata.ts'
import type { EncryptionRule } from './rules.ts'
import type { SopsValueType } from './values.ts'

/** One step of a structural path: a mapping key or a list index. */
export type Step = string | number

/** The ENC strings of one (AAD, type, plaintext) in document order, and how many one encryption pass has used. */
interface Occurrences {
  encs: string[]
  pass: number
  used: number
}

/** Opaque material kept in `DecryptedSops.reuse`. */
export class ReuseMaterial {
  /** Per `buildReuseSlot` of (type, AAD), then per plaintext: its occurrences. */
  private readonly encrypted = new Map<string, Map<string, Occurrences>>()
  /** Values remembered but not yet indexed into `encrypted`: AAD, type, plaintext, ENC string, in document order. */
  private pending: [string, SopsValueType, string, string][] = []
  /** Numbers the encryption passes, so each counts its own uses (an entry resets when a new pass first meets it). */
  private passes = 0
  /** Comment lines before a mapping key, by the JSON of its structural path (list indices included). */
  private readonly comments = new Map<string, string[]>()
  /** Comment items of a list (`ENC[…,type:comment]`), by the list's structural path, then by the index of the value they precede. */
  private readonly listComments = new Map<string, Map<number, string[]>>()
  constructor(
    readonly stanzas: readonly AgeStanza[],
    readonly rule: EncryptionRule,
    readonly macOnlyEncrypted: boolean,
  ) {}

  /** True when the file had comments; encoders skip the per-key comment lookups otherwise. */
  get hasComments(): boolean {
    return this.comments.size > 0 || this.listComments.size > 0
  }

  /** Remember the `ENC[...]` string of a value decrypted to `plaintext` (call in document order). */
  remember(aad: string, type: SopsValueType, plaintext: string, enc: string): void {
    this.pending.push([aad, type, plaintext, enc])
  }

  /** Index the pending values into `encrypted`, keeping their document order per slot and plaintext. */
  private index(): void {
    for (const [aad, type, plaintext, enc] of this.pending) {
      const slot = buildReuseSlot(aad, type)
      let byText = this.encrypted.get(slot)
      if (byText === undefined) {
        byText = new Map()
        this.encrypted.set(slot, byText)
      }
      const occurrences = byText.get(plaintext)
      if (occurrences) occurrences.encs.push(enc)
      else byText.set(plaintext, { encs: [enc], pass: 0, used: 0 })
    }
    this.pending = []
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
   * One pass at a time: the encoder's walk is synchronous.
   */
  buildRecall(): (aad: string, type: SopsValueType, plaintext: string) => string | undefined {
    this.index()
    const pass = ++this.passes
    return (aad, type, plaintext) => {
      const occurrences = this.encrypted.get(buildReuseSlot(aad, type))?.get(plaintext)
      if (occurrences === undefined) return undefined
      if (occurrences.pass !== pass) {
        occurrences.pass = pass
        occurrences.used = 0
      }
      return occurrences.encs[occurrences.used++]
    }
  }
}

/** The first-level key of a value: its type (which has no `:`) and its AAD. */
function buildReuseSlot(aad: string, type: SopsValueType): string {
  return `${type}:${aad}`
}
