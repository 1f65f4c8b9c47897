/**
 * Deterministic inputs for snapshot tests. The "private key" is a placeholder with the right armour, not a
 * key: snapshots must not depend on ssh-keygen's randomness, and no real private key is committed.
 */
import type { HostKey } from '../../lib/infra/host-key.ts'

export const HOST_KEY: HostKey = {
  privateKey: '-----BEGIN OPENSSH PRIVATE KEY-----\ncGxhY2Vob2xkZXI=\n-----END OPENSSH PRIVATE KEY-----\n',
  publicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostKeyPlaceholderForSnapshotTests0000 host',
  fingerprint: 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
}

export const OPERATOR_KEY =
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOperatorKeyPlaceholderForSnapshotTests00 operator@laptop'
