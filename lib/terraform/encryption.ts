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
    key_provider: { pbkdf2: { stack: { passphrase: escapeTemplate(passphrase) } } },
    method: { aes_gcm: { stack: { keys: 'key_provider.pbkdf2.stack' } } },
    state: { method: 'method.aes_gcm.stack', enforced: true },
    plan: { method: 'method.aes_gcm.stack', enforced: true },
  }
  return { TF_ENCRYPTION: JSON.stringify(config) }
}
