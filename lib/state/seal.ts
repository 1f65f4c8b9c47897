/**
 * The seal: what makes the state the operator's own. SOPS encrypts to public keys, so anyone can write a file
 * that decrypts and passes sops's MAC; the seal is a MAC keyed by a secret derived from the operator's identity
 * (lib/gate/agent/seal-key.ts), so only a holder of the identity — with a sealed identity, only the person who
 * typed the passphrase — can make one. It covers the document, the recipients the file is encrypted to (so a
 * recipient slipped into profile.yaml shows), and a version that only counts up, chained to the seal it replaced
 * (so an older file put back shows, within the limits docs/spec.md names).
 *
 * Stored in the state file itself, as the JSON string `seal`, so a file and its seal are written in one rename
 * and every history entry keeps its own.
 */
import { createHash } from 'node:crypto'
import { isPlainObject, type Plain } from './check.ts'
import { StateSealError } from './errors.ts'
import type { Keyring } from './keyring.ts'

export interface StateSeal {
  v: 1
  /** The recipient whose identity made the seal (one of the operator's own). */
  by: string
  /** One more than the version it replaced; never reused. */
  version: number
  /** The MAC of the seal this version replaced, null for the first. */
  previous: string | null
  /** Every recipient the file is encrypted to (own and recovery), sorted. */
  recipients: string[]
  /**
   * Set by `state reseal`: fileDigest() of the version it replaced, which a person accepted although its seal
   * did not verify (a hand edit with the real sops). That version, kept in history, verifies through this.
   */
  accepts: string | null
  /** base64 HMAC-SHA256 over sealDigest(). */
  mac: string
}

type SealFields = Omit<StateSeal, 'mac'>

/** JSON with object keys sorted at every level, so equal documents give equal bytes. */
export function canonicalJson(value: unknown): string {
  // Appended in loops, not mapped and joined: every read of the state seals it whole (a third faster).
  if (Array.isArray(value)) {
    let text = '['
    for (let i = 0; i < value.length; i++) text += `${i > 0 ? ',' : ''}${canonicalJson(value[i])}`
    return `${text}]`
  }
  if (isPlainObject(value)) {
    const keys = Object.keys(value).sort()
    let text = '{'
    for (let i = 0; i < keys.length; i++)
      text += `${i > 0 ? ',' : ''}${JSON.stringify(keys[i])}:${canonicalJson(value[keys[i]!])}`
    return `${text}}`
  }
  return JSON.stringify(value) ?? 'null'
}

/** What the MAC covers: the operator, every seal field but the MAC, and the stored document without its seal. */
export function sealDigest(operator: string, fields: SealFields, content: Plain): Uint8Array {
  const message = canonicalJson({ domain: 'debug-cloud state seal v1', operator, seal: fields, content })
  return new Uint8Array(createHash('sha256').update(message).digest())
}

/** What a reseal names as accepted: SHA-256 (base64) of a decrypted file, its seal included. */
export function fileDigest(data: Plain): string {
  return createHash('sha256').update(canonicalJson(data)).digest('base64')
}

/** A new seal over `content` (the stored document, without `seal`), made with the keyring's identity `by`. */
export async function createSeal(
  keyring: Keyring,
  operator: string,
  content: Plain,
  fields: Omit<SealFields, 'v'>,
): Promise<StateSeal> {
  const full: SealFields = { v: 1, ...fields, recipients: [...new Set(fields.recipients)].sort() }
  const mac = await keyring.mac(full.by, sealDigest(operator, full, content))
  return { ...full, mac: Buffer.from(mac).toString('base64') }
}

/** The seal stored in a decrypted file, or undefined when it has none; throws StateSealError when it is damaged. */
export function readSeal(data: Plain, file: string): StateSeal | undefined {
  const raw = data.seal
  if (raw === undefined) return undefined
  let seal: unknown
  try {
    seal = typeof raw === 'string' ? JSON.parse(raw) : raw
  } catch {
    throw new StateSealError(file, 'damaged', 'its seal is not valid JSON')
  }
  const ok =
    isPlainObject(seal) &&
    seal.v === 1 &&
    typeof seal.by === 'string' &&
    Number.isInteger(seal.version) &&
    (seal.previous === null || typeof seal.previous === 'string') &&
    Array.isArray(seal.recipients) &&
    seal.recipients.every((r) => typeof r === 'string') &&
    (seal.accepts === null || typeof seal.accepts === 'string') &&
    typeof seal.mac === 'string'
  if (!ok) throw new StateSealError(file, 'damaged', 'its seal lacks a field or has one of the wrong type')
  return seal as unknown as StateSeal
}

/** The stored document without its seal. */
export function withoutSeal(data: Plain): Plain {
  const { seal: _seal, ...content } = data
  return content
}

export interface SealCheck {
  operator: string
  /** The operator's own recipients now (profile.yaml): the seal must be by one of them. */
  ownRecipients: readonly string[]
  /**
   * Every recipient the state is encrypted to now (profile.yaml, own and recovery), for the current file; a
   * history entry was sealed with the recipients of its time, so it leaves this out.
   */
  recipients?: readonly string[]
}

/** Throw StateSealError, naming what is wrong, unless `seal` is a seal of `content` by the operator's identity. */
export async function verifySeal(
  keyring: Keyring,
  file: string,
  content: Plain,
  seal: StateSeal,
  check: SealCheck,
): Promise<void> {
  if (!check.ownRecipients.includes(seal.by) || !keyring.recipients.includes(seal.by))
    throw new StateSealError(
      file,
      'foreign',
      `it was sealed by ${seal.by}, which is not an identity of yours`,
    )
  const { mac, ...fields } = seal
  const expected = Buffer.from(await keyring.mac(seal.by, sealDigest(check.operator, fields, content)))
  if (!expected.equals(Buffer.from(mac, 'base64')))
    throw new StateSealError(file, 'mismatch', 'its content or seal changed since your identity sealed it')
  if (check.recipients === undefined) return
  const now = [...new Set(check.recipients)].sort()
  const added = now.filter((r) => !seal.recipients.includes(r))
  const removed = seal.recipients.filter((r) => !now.includes(r))
  if (added.length > 0 || removed.length > 0)
    throw new StateSealError(
      file,
      'recipients',
      `profile.yaml's recipients differ from the sealed ones (${[
        ...added.map((r) => `added ${r}`),
        ...removed.map((r) => `removed ${r}`),
      ].join(', ')})`,
    )
}
