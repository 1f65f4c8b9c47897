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
 * The key derivation: PBKDF2-HMAC-SHA-256 at 600,000 iterations, OWASP's figure for that hash. OpenTofu's default
 * is SHA-512 at the same count: three times the work, and no stronger here,
 * because the passphrase is 256 random bits (mintToken).
 * A tofu run derives a key once per encryption target (state, plan) as it starts and twice for each encrypted
 * file it reads (opentofu internal/encryption/base.go, keyprovider/pbkdf2). Each derivation takes about 0.40 s
 * with SHA-512 on the project's 2-core bench and 0.12 s with SHA-256, which x86 computes in hardware; the two
 * clouds' end-to-end tests spent most of their CPU there. A state records the parameters it was written with,
 * so states written with the default still open.
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
