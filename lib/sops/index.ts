/**
 * Public API of the SOPS/age codec. Plain data in and out is JSON-like: objects (key order kept),
 * arrays, strings, numbers (integers vs floats kept via `SopsFloat`), booleans, null.
 */

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
export { isSealedKeysFile, sealKeysFile } from './sealed-keys.ts'
export type { AgeIdentities, AgeKey, DecryptedSops, DecryptionKeys, EncryptOptions } from './types.ts'
export { SopsFloat } from './values.ts'
