/**
 * The state-seal key of an identity, for MACs over what only the operator may write (recipients, state,
 * history). The same derivation runs in the agent (sealkey.go) for a sealed identity; this one is for a
 * plaintext identity in this process:
 *
 *   K   = HMAC-SHA256(key = the identity's 32-byte X25519 secret, message = "debug-cloud state seal v1")
 *   MAC = HMAC-SHA256(key = K, message = data)
 *
 * The secret is the Bech32 payload of the AGE-SECRET-KEY-1… string. A test vector is shared by
 * tests/gate/agent/seal-key.test.ts and lib/gate/agent/sealkey_test.go.
 */
import { createHmac } from 'node:crypto'
import { bech32 } from '@scure/base'

export const SEAL_LABEL = 'debug-cloud state seal v1'

/** A Bech32 string of the 32-byte X25519 secret is 74 characters; Bech32's usual 90 is not an age limit. */
const MAX_IDENTITY_LENGTH = 1024

/** K for an `AGE-SECRET-KEY-1…` identity; throws on anything else (PQ and plugin identities have no K). */
export function deriveSealKey(identity: string): Uint8Array {
  const decoded = bech32.decode(identity.trim().toLowerCase() as `${string}1${string}`, MAX_IDENTITY_LENGTH)
  if (decoded.prefix !== 'age-secret-key-') throw new Error('Not an X25519 age identity (AGE-SECRET-KEY-1…).')
  const secret = bech32.fromWords(decoded.words)
  if (secret.length !== 32) throw new Error('An X25519 age identity holds 32 bytes.')
  const key = createHmac('sha256', secret).update(SEAL_LABEL).digest()
  secret.fill(0)
  return new Uint8Array(key)
}

/** MAC = HMAC-SHA256(K, data). */
export function computeSealMac(sealKey: Uint8Array, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac('sha256', sealKey).update(data).digest())
}
