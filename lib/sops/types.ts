/**
 * The types of the codec's public API, in a module of their own so that the modules implementing it
 * (decode, encode, keys) import them without importing the API's entry point.
 */
import type { Identity } from 'age-encryption'
import type { ReuseMaterial } from './reuse.ts'

/** An age identity: an `AGE-SECRET-KEY-1…` string, or an object that unwraps file keys (the unlock agent). */
export type AgeKey = string | Identity

/** Where age identities were found, and every place that was looked at (for error messages). */
export interface AgeIdentities {
  /** `AGE-SECRET-KEY-1…` strings (and SSH-derived identities), in sops's search order. */
  identities: string[]
  /** Keys files sealed with a passphrase (`age -p`): they open only through the unlock agent. */
  sealedFiles: string[]
  /** Human-readable list of places searched, e.g. `SOPS_AGE_KEY_FILE (not set)`. */
  searched: string[]
}

/** What decrypts a file: identities, and where they were looked for (named when none fits). */
export interface DecryptionKeys {
  identities: readonly AgeKey[]
  searched: readonly string[]
}

/** A decrypted file: the data plus what is needed to re-encrypt it with minimal diffs. */
export interface DecryptedSops {
  /** Plain data (comments removed). */
  data: Record<string, unknown>
  /** Recipients the data key is wrapped for (`age1…`). */
  recipients: string[]
  /** The data key (32 bytes) — kept in memory only, never written anywhere. */
  dataKey: Uint8Array
  /** sops version that wrote the file ('' when the file names none). */
  version: string
  lastModified: string
  format: 'yaml' | 'json'
  /** Opaque material the encoder uses to keep unchanged `ENC[...]` strings byte-identical. */
  reuse: ReuseMaterial | unknown
}

export interface EncryptOptions {
  /** `age1…` recipients; one armored age stanza file per recipient. */
  recipients: string[]
  /** The previous decryption of the same file: unchanged values keep their ENC[...] strings. */
  previous?: DecryptedSops
}
