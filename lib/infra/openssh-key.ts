/**
 * The OpenSSH wire and file formats of an ed25519 key (PROTOCOL.key in openssh-portable): the public key line,
 * its SHA256 fingerprint, and the unencrypted `openssh-key-v1` private key file, built in memory so that a
 * key never has to pass through a file on disk to be made.
 */
import { createHash, randomBytes } from 'node:crypto'

const KEY_TYPE = 'ssh-ed25519'

/** An SSH `string`: a 4-byte big-endian length, then the bytes. */
function sshString(value: Buffer | string): Buffer {
  const body = typeof value === 'string' ? Buffer.from(value) : value
  return Buffer.concat([uint32(body.length), body])
}

function uint32(n: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeUInt32BE(n)
  return b
}

/** The public key blob: `string "ssh-ed25519"`, `string <32-byte key>`. */
function publicBlob(publicKey: Buffer): Buffer {
  return Buffer.concat([sshString(KEY_TYPE), sshString(publicKey)])
}

/** `ssh-ed25519 AAAA… <comment>`, as in a .pub file (without the newline). */
export function encodeSshEd25519PublicKey(publicKey: Buffer, comment: string): string {
  return `${KEY_TYPE} ${publicBlob(publicKey).toString('base64')} ${comment}`.trim()
}

/** `SHA256:<base64 without padding>` of the public key blob, what `ssh-keygen -l -E sha256` prints. */
export function fingerprintSshEd25519(publicKey: Buffer): string {
  const digest = createHash('sha256').update(publicBlob(publicKey)).digest('base64')
  return `SHA256:${digest.replace(/=+$/, '')}`
}

/**
 * The unencrypted `openssh-key-v1` private key file for an ed25519 `seed` (32 bytes) and its public key. The
 * two check integers are random, as ssh-keygen makes them; the padding is 1, 2, 3, … to the block size 8.
 */
export function encodeOpenSshEd25519PrivateKey(seed: Buffer, publicKey: Buffer, comment: string): string {
  const check = randomBytes(4)
  const secret = Buffer.concat([
    check,
    check,
    publicBlob(publicKey),
    sshString(Buffer.concat([seed, publicKey])),
    sshString(comment),
  ])
  const pad = Buffer.from(Array.from({ length: (8 - (secret.length % 8)) % 8 }, (_, i) => i + 1))
  const blob = Buffer.concat([
    Buffer.from('openssh-key-v1\0'),
    sshString('none'),
    sshString('none'),
    sshString(''),
    uint32(1),
    sshString(publicBlob(publicKey)),
    sshString(Buffer.concat([secret, pad])),
  ])
  const lines = blob.toString('base64').match(/.{1,70}/g) ?? []
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join('\n')}\n-----END OPENSSH PRIVATE KEY-----\n`
}
