/**
 * Public API of the SOPS/age codec. Plain data in and out is JSON-like: objects (key order kept),
 * arrays, strings, numbers (integers vs floats kept via `SopsFloat`), booleans, null.
 */
import type { ReuseMaterial } from './reuse.ts'

/** Where age identities were found, and every place that was looked at (for error messages). */
export interface AgeIdentities {
  /** `AGE-SECRET-KEY-1…` strings (and SSH-derived identities), in sops's search order. */
  identities: string[]
  /** Human-readable list of places searched, e.g. `SOPS_AGE_KEY_FILE (not set)`. */
  searched: string[]
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

export { generateAgeIdentity, recipientOf } from './age.ts'
export { decryptSops } from './decode.ts'
export { encryptSopsYaml } from './encode.ts'
export {
  SopsFormatError,
  SopsKeyFileInvalidError,
  SopsKeyFileUnsafeError,
  SopsMacTamperedError,
  SopsNoKeyError,
  SopsRecipientError,
  SopsStructureChangedError,
  SopsUnsupportedError,
  SopsValueTamperedError,
  SopsWrongKeyError,
} from './errors.ts'
export { findAgeIdentities } from './keys.ts'
export { SOPS_FORMAT_VERSION } from './metadata.ts'
export { SopsFloat } from './values.ts'
