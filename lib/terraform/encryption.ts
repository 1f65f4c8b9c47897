/**
 * OpenTofu native state and plan encryption (OpenTofu ≥ 1.7) through the TF_ENCRYPTION variable: a pbkdf2 key
 * derived from the stack's passphrase (kept in the operator's encrypted state), aes_gcm, enforced for both the
 * state and saved plans so nothing is ever written unencrypted.
 */
import type { Env } from '../proc.ts'
import { EncryptionPassphraseError } from './errors.ts'

/** OpenTofu's pbkdf2 key provider refuses shorter passphrases. */
export const MIN_PASSPHRASE_LENGTH = 16

/** HCL templates interpolate `${…}` and `%{…}` even in JSON syntax; doubling the sigil makes them literal. */
function escapeTemplate(text: string): string {
  return text.replaceAll('${', () => '$${').replaceAll('%{', () => '%%{')
}

/**
 * The key derivation: PBKDF2-HMAC-SHA-256 at 600,000 iterations, OWASP's figure for that hash. OpenTofu's
 * default, SHA-512 at the same count (OWASP asks 210,000 of it), costs three times the CPU here and is no
 * stronger: the passphrase is 256 random bits (mintToken). A tofu command derives one key per encryption target
 * (state, plan) as it starts and two on each read of an encrypted file (the stored key and a fresh one; an apply
 * reads the state twice): opentofu internal/encryption/base.go and keyprovider/pbkdf2. One derivation takes
 * about 0.40 s with SHA-512 on the project's 2-core bench and 0.12 s with SHA-256, which x86 CPUs with the SHA
 * extensions compute in hardware; tofu spent half the CPU of the contabo end-to-end tests (docs/testing.md). A
 * state records the parameters it was written with, so a state written with the default still opens, and the
 * next apply rewrites it with these.
 */
const KDF = { hash_function: 'sha256', iterations: 600_000 }

/**
 * The TF_ENCRYPTION variable (HCL JSON syntax) for one stack passphrase. References (`keys`, `method`) are
 * bare traversals, which OpenTofu requires there; the passphrase is a template string, hence the escaping.
 */
export function buildEncryptionEnv(passphrase: string): Env {
  if (passphrase.length < MIN_PASSPHRASE_LENGTH) {
    throw new EncryptionPassphraseError(
      `The state passphrase has ${passphrase.length} characters; OpenTofu needs at least ${MIN_PASSPHRASE_LENGTH}.`,
    )
  }
  const config = {
    key_provider: { pbkdf2: { stack: { passphrase: escapeTemplate(passphrase), ...KDF } } },
    method: { aes_gcm: { stack: { keys: 'key_provider.pbkdf2.stack' } } },
    state: { method: 'method.aes_gcm.stack', enforced: true },
    plan: { method: 'method.aes_gcm.stack', enforced: true },
  }
  return { TF_ENCRYPTION: JSON.stringify(config) }
}
