/**
 * sops's value cipher: `ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]`, AES-256-GCM with a 32-byte IV and
 * AAD = the key path joined with `:` plus a trailing `:` (list indices are not part of it).
 */
import { type CipherKey, createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import type { SopsValueType } from './values.ts'

const ENC = /^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]$/
const TYPES: readonly SopsValueType[] = ['str', 'int', 'float', 'bool', 'time', 'comment', 'bytes']

export interface EncValue {
  data: Buffer
  iv: Buffer
  tag: Buffer
  type: SopsValueType
}

/** True when `text` has the shape of a sops encrypted value. */
export function isEncString(text: string): boolean {
  return ENC.test(text)
}

const ENC_PREFIX = 'ENC[AES256_GCM,data:'
const NOT_BASE64 = /[^A-Za-z0-9+/=]/

/**
 * The bytes of a part in standard padded base64 (what Go's `base64.StdEncoding` writes and sops reads);
 * undefined for anything else. Node's own decoder skips what is not base64 (a line break, a space, a `#`)
 * and stops at a `=`: such a value would decrypt here, be refused by sops, and be written back unquoted as
 * YAML that no longer parses. Only the alphabet is tested by a pattern; a `=` before the end, or a wrong
 * length, shows as fewer bytes than the length promises.
 */
function decodePart(text: string): Buffer | undefined {
  if (text === '' || text.length % 4 !== 0 || NOT_BASE64.test(text)) return undefined
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0
  const bytes = Buffer.from(text, 'base64')
  return bytes.length === (text.length / 4) * 3 - padding ? bytes : undefined
}

/**
 * Split an `ENC[...]` string into its parts; undefined when it is not one (or names an unknown type, or a
 * part is not base64). The parts are found by their separators (base64 has no `,`, so the first of each
 * kind is the one) and checked by `decodePart`: as fast as `ENC`'s backtracking was (18 ms over the 15,000
 * values of the benchmark's state), and strict where `ENC`'s `(.+)` took any character.
 */
export function parseEncString(text: string): EncValue | undefined {
  if (!text.startsWith(ENC_PREFIX) || text.charCodeAt(text.length - 1) !== 0x5d /* ] */) return undefined
  const iv = text.indexOf(',iv:', ENC_PREFIX.length)
  const tag = iv < 0 ? -1 : text.indexOf(',tag:', iv)
  const type = tag < 0 ? -1 : text.indexOf(',type:', tag)
  if (type < 0) return undefined
  const name = text.slice(type + 6, -1) as SopsValueType
  if (!TYPES.includes(name)) return undefined
  const data = decodePart(text.slice(ENC_PREFIX.length, iv))
  const ivBytes = decodePart(text.slice(iv + 4, tag))
  const tagBytes = decodePart(text.slice(tag + 5, type))
  if (!data || !ivBytes || !tagBytes) return undefined
  return { data, iv: ivBytes, tag: tagBytes, type: name }
}

/**
 * IVs are drawn from a buffer of fresh random bytes refilled 256 IVs at a time: a `randomBytes` call
 * costs about as much as an AES-GCM encryption of a short value, whatever its size. Each byte is used
 * once; IVs are public, so sharing one draw among them gives nothing away.
 */
const IV_SIZE = 32
const IV_BATCH = 256
let ivPool = Buffer.alloc(0)
let ivOffset = 0

function nextIv(): Buffer {
  if (ivOffset + IV_SIZE > ivPool.length) {
    ivPool = randomBytes(IV_SIZE * IV_BATCH)
    ivOffset = 0
  }
  ivOffset += IV_SIZE
  return ivPool.subarray(ivOffset - IV_SIZE, ivOffset)
}

/** Encrypt `plaintext` as sops does: fresh 32-byte IV, standard base64 with padding. */
export function encryptValue(plaintext: string, type: SopsValueType, key: CipherKey, aad: string): string {
  const iv = nextIv()
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  cipher.setAAD(Buffer.from(aad, 'utf8'))
  // GCM is a stream mode: final() adds no bytes, it only computes the tag.
  const data = cipher.update(plaintext, 'utf8')
  cipher.final()
  const tag = cipher.getAuthTag()
  return `ENC[AES256_GCM,data:${data.toString('base64')},iv:${iv.toString('base64')},tag:${tag.toString('base64')},type:${type}]`
}

/** Decrypt a parsed value; throws when GCM authentication fails (wrong key, AAD or tampered bytes). */
export function decryptValue(value: EncValue, key: CipherKey, aad: string): string {
  if (value.tag.length !== 16 || value.iv.length === 0) throw new Error('malformed iv or tag')
  const decipher = createDecipheriv('aes-256-gcm', key, value.iv)
  decipher.setAAD(Buffer.from(aad, 'utf8'))
  decipher.setAuthTag(value.tag)
  const data = decipher.update(value.data)
  decipher.final()
  return data.toString('utf8')
}
