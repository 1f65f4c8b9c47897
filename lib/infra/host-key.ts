/**
 * Pre-generated SSH host keys: the CLI creates the host's ed25519 key itself, hands the private half to
 * cloud-init and pins the public half in known_hosts before the first connection (no trust on first use).
 */
import { generateKeyPairSync } from 'node:crypto'
import {
  encodeOpenSshEd25519PrivateKey,
  encodeSshEd25519PublicKey,
  fingerprintSshEd25519,
} from './openssh-key.ts'

export interface HostKey {
  /** OpenSSH private key text; a secret. */
  privateKey: string
  /** `ssh-ed25519 AAAA… <comment>` */
  publicKey: string
  /** `SHA256:…` as printed by `ssh-keygen -l -E sha256`. */
  fingerprint: string
}

/**
 * Generate an ed25519 host key in memory (node:crypto) and encode it in OpenSSH's formats: no temp file, so
 * nothing of the private key can be left on disk by a crash or a kill.
 */
export function generateHostKey(comment = 'debug-cloud-host'): HostKey {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519')
  const pub = Buffer.from(publicKey.export({ format: 'jwk' }).x ?? '', 'base64url')
  const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d ?? '', 'base64url')
  try {
    return {
      privateKey: encodeOpenSshEd25519PrivateKey(seed, pub, comment),
      publicKey: encodeSshEd25519PublicKey(pub, comment),
      fingerprint: fingerprintSshEd25519(pub),
    }
  } finally {
    seed.fill(0)
  }
}

/** A known_hosts line pinning `publicKey` (comment dropped) for host[:port]; `[host]:port` when port ≠ 22. */
export function buildKnownHostsLine(host: string, port: number, publicKey: string): string {
  const [type, blob] = publicKey.trim().split(/\s+/)
  if (type === undefined || blob === undefined)
    throw new TypeError('buildKnownHostsLine: publicKey must be "<type> <base64>"')
  const name = port === 22 ? host : `[${host}]:${port}`
  return `${name} ${type} ${blob}`
}
