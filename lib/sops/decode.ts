/**
 * Decrypting a SOPS file: parse, read the metadata, unwrap the data key with age, decrypt every value
 * with its path as AAD, and ALWAYS verify the MAC. Each failure is its own named error.
 */
import { createSecretKey, type KeyObject } from 'node:crypto'
import { unwrapDataKey } from './age.ts'
import { decryptValue, isEncString, parseEncString } from './cipher.ts'
import {
  SopsFormatError,
  SopsMacTamperedError,
  SopsNoKeyError,
  SopsStructureChangedError,
  SopsUnsupportedError,
  SopsValueTamperedError,
} from './errors.ts'
import { MacBuilder } from './mac.ts'
import { normaliseLastModified, readMetadata } from './metadata.ts'
import { ReuseMaterial, type Step } from './reuse.ts'
import { buildRuleMatcher, type RuleMatcher } from './rules.ts'
import { parseTree } from './tree.ts'
import { isTreeMap, isTreeSeq, type TreeMap, type TreeNode } from './tree-node.ts'
import type { DecryptedSops, DecryptionKeys } from './types.ts'
import { parseTyped, type SopsScalar, toGoText } from './values.ts'

interface WalkContext {
  dataKey: KeyObject
  rule: RuleMatcher
  mac: MacBuilder
  reuse: ReuseMaterial
  /** The structural path (keys and list indices) of the node being walked, pushed and popped as the walk goes. */
  path: Step[]
}

/** What a leaf walk returns for a sequence comment (`- ENC[…,type:comment]`) instead of a value. */
const COMMENT = Symbol('comment')

function decryptLeaf(enc: string, aad: string, ctx: WalkContext): SopsScalar | typeof COMMENT {
  const parsed = parseEncString(enc)
  if (!parsed)
    throw new SopsValueTamperedError(
      aad,
      isEncString(enc)
        ? 'is not a valid sops encrypted value'
        : 'is not encrypted although the file says it must be',
    )
  let plaintext: string
  try {
    plaintext = decryptValue(parsed, ctx.dataKey, aad)
  } catch (error) {
    throw new SopsValueTamperedError(aad, 'fails authentication (AES-GCM)', error)
  }
  let value: SopsScalar
  try {
    value = parseTyped(plaintext, parsed.type)
  } catch (error) {
    if (error instanceof SopsUnsupportedError) throw error
    throw new SopsValueTamperedError(aad, `does not decrypt to a valid ${parsed.type}`, error)
  }
  if (parsed.type === 'comment') return COMMENT
  ctx.reuse.remember(aad, parsed.type, plaintext, enc)
  ctx.mac.add(parsed.type === 'time' || parsed.type === 'bytes' ? plaintext : toGoText(value), true)
  return value
}

function walkLeaf(
  node: SopsScalar,
  aad: string,
  encrypted: boolean,
  ctx: WalkContext,
): SopsScalar | typeof COMMENT {
  if (node === null) return null
  if (!encrypted) {
    ctx.mac.add(toGoText(node), false)
    return node
  }
  if (node === '') {
    ctx.mac.add('', true)
    return ''
  }
  if (typeof node !== 'string')
    throw new SopsValueTamperedError(aad, 'is not encrypted although the file says it must be')
  return decryptLeaf(node, aad, ctx)
}

/**
 * Decrypt a subtree. `aad` is the AAD prefix (the mapping keys so far, each followed by `:`), `matched`
 * whether a key on the path matches the encryption rule.
 */
function walk(node: TreeNode, aad: string, matched: boolean, ctx: WalkContext): unknown {
  if (isTreeMap(node)) {
    const out: Record<string, unknown> = {}
    for (const [key, value] of node.entries) {
      ctx.path.push(key)
      const comments = node.comments.size > 0 ? node.comments.get(key) : undefined
      if (comments) ctx.reuse.rememberComments(ctx.path, comments)
      const data = walk(value, `${aad}${key}:`, matched || ctx.rule.matchesKey(key), ctx)
      ctx.path.pop()
      // `__proto__` is a key like any other in a file: an own property, never the prototype.
      if (key === '__proto__')
        Object.defineProperty(out, key, { value: data, enumerable: true, writable: true, configurable: true })
      else out[key] = data
    }
    return out
  }
  const leafAad = aad === '' ? ':' : aad
  const encrypted = matched === ctx.rule.encryptsMatched
  if (isTreeSeq(node)) {
    const items: unknown[] = []
    for (const item of node.items) {
      if (isTreeMap(item) || isTreeSeq(item)) {
        ctx.path.push(items.length)
        items.push(walk(item, aad, matched, ctx))
        ctx.path.pop()
        continue
      }
      // sops writes comments inside sequences as `- ENC[…,type:comment]` items: verify, keep aside, drop from data.
      const leaf = walkLeaf(item, leafAad, encrypted, ctx)
      if (leaf === COMMENT) ctx.reuse.rememberListComment(ctx.path, items.length, item as string)
      else items.push(leaf)
    }
    return items
  }
  const leaf = walkLeaf(node, leafAad, encrypted, ctx)
  if (leaf === COMMENT) throw new SopsValueTamperedError(leafAad, 'is a comment where a value belongs')
  return leaf
}

function verifyMac(
  stored: string | undefined,
  lastModified: string,
  computed: string,
  dataKey: KeyObject,
): void {
  if (!stored) throw new SopsMacTamperedError('is missing')
  const parsed = parseEncString(stored)
  if (!parsed) throw new SopsMacTamperedError('is not a sops encrypted value')
  let plaintext: string
  try {
    plaintext = decryptValue(parsed, dataKey, normaliseLastModified(lastModified))
  } catch (error) {
    if (error instanceof SopsFormatError) throw error
    throw new SopsMacTamperedError('does not decrypt with this data key and lastmodified', error)
  }
  if (plaintext !== computed) throw new SopsStructureChangedError()
}

function detectFormat(text: string): 'yaml' | 'json' {
  return text.trimStart().startsWith('{') ? 'json' : 'yaml'
}

function splitSops(doc: TreeMap): { body: TreeMap; sops: TreeNode | undefined } {
  const sops = doc.entries.find(([key]) => key === 'sops')?.[1]
  return { body: { ...doc, entries: doc.entries.filter(([key]) => key !== 'sops') }, sops }
}

/** Decrypt and verify (MAC always) a SOPS YAML or JSON document. Throws the Sops*Error classes. */
export async function decryptSops(
  text: string,
  identities: DecryptionKeys,
  format: 'yaml' | 'json' = detectFormat(text),
): Promise<DecryptedSops> {
  const docs = await parseTree(text, format)

  const [first, ...more] = docs
  if (first === undefined) throw new SopsFormatError('The file is empty.')
  if (more.length > 0) throw new SopsUnsupportedError('Multi-document YAML files are not supported.')
  const { body, sops } = splitSops(first)
  if (sops === undefined)
    throw new SopsFormatError('The file has no sops: block, so it is not encrypted with sops.')
  const meta = readMetadata(sops)
  if (identities.identities.length === 0) throw new SopsNoKeyError(identities.searched)
  const dataKey = await unwrapDataKey(meta.age, identities.identities)
  const ctx: WalkContext = {
    dataKey: createSecretKey(dataKey),
    rule: buildRuleMatcher(meta.rule),
    mac: new MacBuilder(meta.macOnlyEncrypted),
    reuse: new ReuseMaterial(meta.age, meta.rule, meta.macOnlyEncrypted),
    path: [],
  }
  const data = walk(body, '', false, ctx) as Record<string, unknown>
  verifyMac(meta.mac, meta.lastModified, ctx.mac.digest(), ctx.dataKey)
  return {
    data,
    recipients: meta.age.map((a) => a.recipient),
    dataKey,
    version: meta.version ?? '',
    lastModified: meta.lastModified,
    format,
    reuse: ctx.reuse,
  }
}
