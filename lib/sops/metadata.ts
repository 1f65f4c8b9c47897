/**
 * The `sops:` block. Reads the three layouts sops 3.7-3.13 write (3.7-3.9 with empty key lists,
 * 3.10-3.12 without them, 3.13 sorted alphabetically): fields are looked up by name, so order and
 * absent empty lists do not matter.
 */
import { SopsFormatError, SopsUnsupportedError } from './errors.ts'
import { DEFAULT_RULE, type EncryptionRule, RULE_NAMES } from './rules.ts'
import { isTreeMap, isTreeSeq, type TreeMap, type TreeNode } from './tree-node.ts'

/**
 * The sops version we write. The layout we emit is the one sops 3.10-3.12 writes (no empty key lists,
 * struct field order), so we name the release whose layout it is: our pinned test binary. sops 3.8+
 * only requires a semver here; `sops edit` bumps it to its own version when newer.
 */
export const SOPS_FORMAT_VERSION = '3.12.2'

export interface AgeStanza {
  recipient: string
  enc: string
}

export interface SopsMetadata {
  age: AgeStanza[]
  lastModified: string
  mac: string | undefined
  rule: EncryptionRule
  macOnlyEncrypted: boolean
  version: string | undefined
}

const OTHER_KEY_TYPES = ['pgp', 'kms', 'gcp_kms', 'azure_kv', 'hc_vault', 'hckms'] as const

function field(map: TreeMap, name: string): TreeNode | undefined {
  return map.entries.find(([key]) => key === name)?.[1]
}

function text(map: TreeMap, name: string): string | undefined {
  const value = field(map, name)
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string') throw new SopsFormatError(`The sops metadata field ${name} is not a string.`)
  return value
}

function isNonEmptyList(node: TreeNode | undefined): boolean {
  return node !== undefined && isTreeSeq(node) && node.items.length > 0
}

function readAge(list: TreeNode | undefined): AgeStanza[] {
  if (list === undefined || list === null) return []
  if (!isTreeSeq(list)) throw new SopsFormatError('The sops metadata field age is not a list.')
  return list.items.map((item) => {
    if (!isTreeMap(item)) throw new SopsFormatError('An entry of sops.age is not a mapping.')
    const recipient = text(item, 'recipient')
    const enc = text(item, 'enc')
    if (!recipient || !enc)
      throw new SopsFormatError('An entry of sops.age lacks its recipient or enc (truncated file?).')
    return { recipient: recipient.trim(), enc }
  })
}

function readRule(map: TreeMap): EncryptionRule {
  for (const name of ['unencrypted_comment_regex', 'encrypted_comment_regex'])
    if (text(map, name)) throw new SopsUnsupportedError(`Files using sops's ${name} rule are not supported.`)
  const rules = RULE_NAMES.flatMap((name) => {
    const value = text(map, name)
    return value ? [{ name, value }] : []
  })
  if (rules.length > 1) throw new SopsFormatError('The sops metadata names more than one encryption rule.')
  return rules[0] ?? DEFAULT_RULE
}

function verifyVersion(version: string | undefined): void {
  if (version === undefined) return
  const match = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(version)
  if (!match)
    throw new SopsFormatError(`The sops metadata version ${JSON.stringify(version)} is not a version number.`)
  if (match[1] !== '3')
    throw new SopsUnsupportedError(`Files written by sops ${version} are not supported (sops 3.x only).`)
}

/** Read and validate the `sops:` mapping of a document. */
export function readMetadata(sops: TreeNode): SopsMetadata {
  if (!isTreeMap(sops)) throw new SopsFormatError('The sops: block is not a mapping.')
  const version = field(sops, 'version')
  const versionText =
    version === undefined || version === null ? undefined : String(typeof version === 'object' ? '' : version)
  verifyVersion(versionText)
  let ageList = field(sops, 'age')
  const groups = field(sops, 'key_groups')
  if (isNonEmptyList(groups) && groups !== undefined && isTreeSeq(groups)) {
    const [group, ...more] = groups.items
    if (more.length > 0)
      throw new SopsUnsupportedError(
        'Files using several key groups (Shamir secret sharing) are not supported.',
      )
    if (group !== undefined && isTreeMap(group)) ageList = field(group, 'age')
  }
  const age = readAge(ageList)
  if (age.length === 0) {
    const others = OTHER_KEY_TYPES.filter((name) => isNonEmptyList(field(sops, name)))
    if (others.length > 0)
      throw new SopsUnsupportedError(
        `This file's data key is wrapped only for ${others.join(', ')}, not for age.`,
      )
    throw new SopsFormatError('The sops metadata has no key to decrypt the data with (no sops.age entries).')
  }
  const lastModified = text(sops, 'lastmodified')
  if (!lastModified) throw new SopsFormatError('The sops metadata lacks lastmodified (truncated file?).')
  const macOnly = field(sops, 'mac_only_encrypted')
  return {
    age,
    lastModified,
    mac: text(sops, 'mac'),
    rule: readRule(sops),
    macOnlyEncrypted: macOnly === true,
    version: versionText,
  }
}

/** The MAC's AAD: `lastmodified` re-formatted the way Go's `time.Parse`/`Format(RFC3339)` round trip does. */
export function normaliseLastModified(value: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(?:\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.exec(
    value.trim(),
  )
  if (!match)
    throw new SopsFormatError(
      `The sops metadata lastmodified ${JSON.stringify(value)} is not an RFC 3339 time.`,
    )
  const [, date, time, zone = 'Z'] = match
  return `${date}T${time}${zone === 'z' || zone === '+00:00' || zone === '-00:00' ? 'Z' : zone}`
}

/** `lastmodified` for a file written now: UTC, whole seconds, `Z`. */
export function buildLastModified(now: Date = new Date()): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z')
}
