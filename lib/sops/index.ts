/**
 * CONTRACT STUB — the SOPS codec helper replaces the bodies; the exported names and shapes stay.
 *
 * Public API of the SOPS/age codec. Plain data in and out is JSON-like: objects (key order kept),
 * arrays, strings, numbers (integers vs floats kept via `SopsFloat`), booleans, null.
 */

/** Where age identities were found, and every place that was looked at (for error messages). */
export interface AgeIdentities {
  /** `AGE-SECRET-KEY-1…` strings (and SSH-derived identities), in sops's search order. */
  identities: string[]
  /** Human-readable list of places searched, e.g. `SOPS_AGE_KEY_FILE=/x (not set)`. */
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
  /** sops version that wrote the file. */
  version: string
  lastModified: string
  format: 'yaml' | 'json'
  /** Opaque material the encoder uses to keep unchanged `ENC[...]` strings byte-identical. */
  reuse: unknown
}

export interface EncryptOptions {
  /** `age1…` recipients; one armored age stanza file per recipient. */
  recipients: string[]
  /** The previous decryption of the same file: unchanged values keep their ENC[...] strings. */
  previous?: DecryptedSops
}

/** Find age identities the way sops does (SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD, keys.txt, SSH keys). */
export async function findAgeIdentities(_env: NodeJS.ProcessEnv = process.env): Promise<AgeIdentities> {
  throw new Error('not implemented')
}

/** Decrypt and verify (MAC always) a SOPS YAML or JSON document. Throws the Sops*Error classes. */
export async function decryptSops(
  _text: string,
  _identities: AgeIdentities,
  _format?: 'yaml' | 'json',
): Promise<DecryptedSops> {
  throw new Error('not implemented')
}

/** Encrypt plain data into SOPS YAML exactly as sops writes it. */
export async function encryptSopsYaml(
  _data: Record<string, unknown>,
  _options: EncryptOptions,
): Promise<string> {
  throw new Error('not implemented')
}
