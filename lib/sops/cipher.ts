/**
 * sops's value cipher: `ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]`, AES-256-GCM with a 32-byte IV and
 * AAD = the key path joined with `:` plus a trailing `:` (list indices are not part of it).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
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

/** Split an `ENC[...]` string into its parts; undefined when it is not one (or names an unknown type). */
export function parseEncString(text: string): EncValue | undefined {
  const match = ENC.exec(text)
  if (!match) return undefined
  const [, data = '', iv = '', tag = '', type = ''] = match
  if (!TYPES.includes(type as SopsValueType)) return undefined
  return {
    data: Buffer.from(data, 'base64'),
    iv: Buffer.from(iv, 'base64'),
    tag: Buffer.from(tag, 'base64'),
    type: type as SopsValueType,
  }
}

/** The AAD sops uses for a value at `path` (mapping keys only). */
export function buildAad(path: readonly string[]): string {
  return `${path.join(':')}:`
}

/** Encrypt `plaintext` as sops does: fresh 32-byte IV, standard base64 with padding. */
export function encryptValue(plaintext: string, type: SopsValueType, key: Uint8Array, aad: string): string {
  const iv = randomBytes(32)
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  cipher.setAAD(Buffer.from(aad, 'utf8'))
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
  const tag = cipher.getAuthTag()
  return `ENC[AES256_GCM,data:${data.toString('base64')},iv:${iv.toString('base64')},tag:${tag.toString('base64')},type:${type}]`
}

/** Decrypt a parsed value; throws when GCM authentication fails (wrong key, AAD or tampered bytes). */
export function decryptValue(value: EncValue, key: Uint8Array, aad: string): string {
  if (value.tag.length !== 16 || value.iv.length === 0) throw new Error('malformed iv or tag')
  const decipher = createDecipheriv('aes-256-gcm', key, value.iv)
  decipher.setAAD(Buffer.from(aad, 'utf8'))
  decipher.setAuthTag(value.tag)
  return Buffer.concat([decipher.update(value.data), decipher.final()]).toString('utf8')
}
