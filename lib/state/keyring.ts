/**
 * The operator's identity as the store uses it, opened by the gate (lib/gate/unlock.ts): what decrypts the
 * state, and what seals it. A sealed identity lives only in the unlock agent of the person's terminal session;
 * a plaintext one (from before sealing) in this process.
 */
import type { DecryptionKeys } from '../sops/types.ts'

export interface Keyring {
  /**
   * 'agent': unlocked by the passphrase in this terminal session; 'passphrase': opened by the passphrase for
   * this one command (no unlock agent is built); 'plaintext': read from a file anything running as you can read.
   */
  readonly kind: 'agent' | 'passphrase' | 'plaintext'

  /** For the codec: the identities, and where they were looked for. */
  readonly keys: DecryptionKeys
  /** The recipients of the identities held. */
  readonly recipients: readonly string[]
  /** An explicit `cloud:unlock` in this session: `--yes` may skip the typed confirmation. */
  readonly allowYes: boolean
  /** When the unlock ends (agent), or null. */
  readonly expiresAt: string | null
  /** HMAC-SHA256 of `digest` under the seal key of the identity of `recipient` (lib/gate/agent/seal-key.ts). */
  mac(recipient: string, digest: Uint8Array): Promise<Uint8Array>
  /** Release the connection to the agent (the unlock itself stays until it expires or `cloud:lock`). */
  close(): void
}
