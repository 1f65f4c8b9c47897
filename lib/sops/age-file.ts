/**
 * Opening the age files sops stores (`sops.age[].enc`: the data key wrapped for one recipient) on node:crypto,
 * as age v1 specifies them (https://age-encryption.org/v1): the armor, the header and its HMAC, the STREAM
 * payload, and X25519 identities. A state read needs nothing else of age, and age-encryption (its curves and
 * ML-KEM tables are evaluated at import, a quarter of a small command's start-up) stays unloaded until a
 * command writes or seals. Identities that are not X25519 strings (the unlock agent's) unwrap their own stanzas.
 */
import {
  createDecipheriv,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  hkdfSync,
  type KeyObject,
  timingSafeEqual,
} from 'node:crypto'
import { bech32 } from '@scure/base'
import type { AgeKey } from './types.ts'

/** DER prefixes that turn 32 raw X25519 bytes into a PKCS#8 private or SPKI public key for node:crypto. */
const X25519_PKCS8 = Buffer.from('302e020100300506032b656e04220420', 'hex')
const X25519_SPKI = Buffer.from('302a300506032b656e032100', 'hex')
const BEGIN = '-----BEGIN AGE ENCRYPTED FILE-----'
const END = '-----END AGE ENCRYPTED FILE-----'
/** Longer than any X25519 identity or recipient (bech32's own limit is 90). */
const BECH32_LIMIT = 100
const CHUNK_SIZE = 64 * 1024
const TAG_SIZE = 16

export interface AgeStanzaBlock {
  args: string[]
  body: Uint8Array
}

function hkdf(ikm: Uint8Array, salt: Uint8Array, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', ikm, salt, info, 32))
}

/** ChaCha20-Poly1305 open; throws when the tag does not verify. */
function openChaCha(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array): Buffer {
  if (sealed.length < TAG_SIZE) throw new Error('ciphertext shorter than its tag')
  const decipher = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_SIZE })
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_SIZE))
  return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG_SIZE)), decipher.final()])
}

/** Unpadded standard base64, as age writes it. */
function decodeBase64(text: string): Buffer {
  if (!/^[A-Za-z0-9+/]*$/.test(text)) throw new Error('invalid base64 in the age header')
  return Buffer.from(text, 'base64')
}

/** The binary age file inside an ASCII armor. */
export function decodeArmor(text: string): Uint8Array {
  const lines = text.trim().split(/\r?\n/)
  if (lines[0] !== BEGIN || lines.at(-1) !== END) throw new Error('not an armored age file')
  const body = lines.slice(1, -1).join('')
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) throw new Error('invalid base64 in the age armor')
  return new Uint8Array(Buffer.from(body, 'base64'))
}

/** Whether `identity` is an X25519 one (`AGE-SECRET-KEY-1…`), the kind this module opens itself. */
export function isX25519Identity(identity: string): boolean {
  return identity.trim().toUpperCase().startsWith('AGE-SECRET-KEY-1')
}

/** Open the file with age-encryption (typage), for identities of other types. */
async function openWithTypage(file: Uint8Array, identities: readonly string[]): Promise<Uint8Array> {
  const { Decrypter } = await import('age-encryption')
  const decrypter = new Decrypter()
  for (const identity of identities) decrypter.addIdentity(identity)
  return decrypter.decrypt(file, 'uint8array')
}

interface X25519Identity {
  key: KeyObject
  publicBytes: Buffer
}

/**
 * The identities opened so far, by their text: a command validates its identity when it reads the key file,
 * maps it to its recipient, then unwraps with it: each opening (checksum, two key objects) cost 0.6–1.5 ms.
 * The process holds the identity's text anyway; this holds its key object beside it.
 */
const opened = new Map<string, X25519Identity>()

/** An X25519 identity's private key and public bytes; throws for anything but an `AGE-SECRET-KEY-1…` string. */
function x25519Identity(identity: string): X25519Identity {
  const known = opened.get(identity)
  if (known) return known
  const decoded = bech32.decode(identity.trim().toLowerCase() as `${string}1${string}`, BECH32_LIMIT)
  const secret = bech32.fromWords(decoded.words)
  if (decoded.prefix !== 'age-secret-key-' || secret.length !== 32)
    throw new Error('not an X25519 age identity')
  const key = createPrivateKey({ key: Buffer.concat([X25519_PKCS8, secret]), format: 'der', type: 'pkcs8' })
  const spki = createPublicKey(key).export({ format: 'der', type: 'spki' })
  const made = { key, publicBytes: spki.subarray(X25519_SPKI.length) }
  opened.set(identity, made)
  return made
}

/** The `age1…` recipient of an `AGE-SECRET-KEY-1…` identity; throws on a bad checksum or length. */
export function x25519Recipient(identity: string): string {
  return bech32.encode('age', bech32.toWords(x25519Identity(identity).publicBytes), BECH32_LIMIT)
}

/** The file key from the X25519 stanza made for `identity`, or null when none was. */
function unwrapX25519(identity: string, stanzas: readonly AgeStanzaBlock[]): Uint8Array | null {
  const { key, publicBytes } = x25519Identity(identity)
  for (const stanza of stanzas) {
    if (stanza.args[0] !== 'X25519' || stanza.args.length !== 2 || stanza.body.length !== 32) continue
    const share = decodeBase64(stanza.args[1]!)
    if (share.length !== 32) continue
    let shared: Buffer
    try {
      const peer = createPublicKey({ key: Buffer.concat([X25519_SPKI, share]), format: 'der', type: 'spki' })
      shared = diffieHellman({ privateKey: key, publicKey: peer })
    } catch {
      continue // a low-order share: not for any identity
    }
    if (shared.every((b) => b === 0)) continue
    const wrapKey = hkdf(shared, Buffer.concat([share, publicBytes]), 'age-encryption.org/v1/X25519')
    try {
      return openChaCha(wrapKey, Buffer.alloc(12), stanza.body)
    } catch {
      // Made for another recipient.
    }
  }
  return null
}

/** The header's stanzas, the bytes its MAC covers, the MAC, and the payload after it. */
function parseHeader(file: Uint8Array) {
  const bytes = Buffer.from(file.buffer, file.byteOffset, file.byteLength)
  let at = 0
  const nextLine = (): string => {
    const end = bytes.indexOf(0x0a, at)
    if (end < 0) throw new Error('truncated age header')
    const line = bytes.toString('latin1', at, end)
    at = end + 1
    return line
  }
  if (nextLine() !== 'age-encryption.org/v1') throw new Error('not an age v1 file')
  const stanzas: AgeStanzaBlock[] = []
  for (;;) {
    const start = at
    const line = nextLine()
    if (line.startsWith('--- ')) {
      return {
        stanzas,
        covered: bytes.subarray(0, start + 3),
        mac: decodeBase64(line.slice(4)),
        payload: bytes.subarray(at),
      }
    }
    if (!line.startsWith('-> ')) throw new Error('invalid age header line')
    let body = ''
    for (;;) {
      const part = nextLine()
      body += part
      if (part.length < 64) break
    }
    stanzas.push({ args: line.slice(3).split(' '), body: decodeBase64(body) })
  }
}

/**
 * Decrypt an age file (binary, as decodeArmor returns it) with the first of `identities` that unwraps its file
 * key; throws when none does, the header MAC fails, or the payload does not verify.
 */
export async function openAgeFile(file: Uint8Array, identities: readonly AgeKey[]): Promise<Uint8Array> {
  const header = parseHeader(file)
  let fileKey: Uint8Array | null = null
  for (const identity of identities) {
    if (typeof identity === 'string' && !isX25519Identity(identity)) continue
    fileKey =
      typeof identity === 'string'
        ? unwrapX25519(identity, header.stanzas)
        : await identity.unwrapFileKey(header.stanzas)
    if (fileKey) break
  }
  if (!fileKey) {
    // Other identity types (age's post-quantum AGE-SECRET-KEY-PQ-1…) are left to the reference implementation.
    const others = identities.filter((i): i is string => typeof i === 'string' && !isX25519Identity(i))
    if (others.length > 0) return openWithTypage(file, others)
    throw new Error("no identity matched any of the file's recipients")
  }
  if (fileKey.length !== 16) throw new Error(`the file key is ${fileKey.length} bytes, not 16`)
  const mac = createHmac('sha256', hkdf(fileKey, Buffer.alloc(0), 'header'))
    .update(header.covered)
    .digest()
  if (mac.length !== header.mac.length || !timingSafeEqual(mac, header.mac))
    throw new Error('invalid header HMAC')
  // The data key is one chunk: the last (and only) one, counter 0 with the last-chunk flag.
  const nonce = header.payload.subarray(0, 16)
  const sealed = header.payload.subarray(16)
  if (nonce.length !== 16 || sealed.length > CHUNK_SIZE + TAG_SIZE)
    throw new Error('unexpected age payload size')
  const chunkNonce = Buffer.alloc(12)
  chunkNonce[11] = 1
  return new Uint8Array(openChaCha(hkdf(fileKey, nonce, 'payload'), chunkNonce, sealed))
}
