/**
 * Decrypting a SOPS file: parse, read the metadata, unwrap the data key with age, decrypt every value
 * with its path as AAD, and ALWAYS verify the MAC. Each failure is its own named error.
 */
import { unwrapDataKey } from './age.ts'
import { buildAad, decryptValue, isEncString, parseEncString } from './cipher.ts'
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
import { buildShouldEncrypt } from './rules.ts'
import { isTreeMap, isTreeSeq, parseTree, type TreeMap, type TreeNode } from './tree.ts'
import type { DecryptedSops, DecryptionKeys } from './types.ts'
import { parseTyped, type SopsScalar, toGoText } from './values.ts'

interface WalkContext {
  dataKey: Uint8Array
  shouldEncrypt: (path: readonly string[]) => boolean
  mac: MacBuilder
  reuse: ReuseMaterial
}

function decryptLeaf(
  enc: string,
  path: readonly string[],
  ctx: WalkContext,
): { value: SopsScalar; comment: boolean } {
  const aad = buildAad(path)
  const parsed = parseEncString(enc)
  if (!parsed) throw new SopsValueTamperedError(aad, 'is not a valid sops encrypted value')
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
  if (parsed.type === 'comment') return { value, comment: true }
  ctx.reuse.remember(aad, parsed.type, plaintext, enc)
  ctx.mac.add(parsed.type === 'time' || parsed.type === 'bytes' ? plaintext : toGoText(value), true)
  return { value, comment: false }
}

function walkLeaf(
  node: SopsScalar,
  path: readonly string[],
  ctx: WalkContext,
): { value: SopsScalar; comment: boolean } {
  if (node === null) return { value: null, comment: false }
  const encrypted = ctx.shouldEncrypt(path)
  if (!encrypted) {
    ctx.mac.add(toGoText(node), false)
    return { value: node, comment: false }
  }
  if (node === '') {
    ctx.mac.add('', true)
    return { value: '', comment: false }
  }
  if (typeof node !== 'string' || !isEncString(node))
    throw new SopsValueTamperedError(buildAad(path), 'is not encrypted although the file says it must be')
  return decryptLeaf(node, path, ctx)
}

/** Decrypt a subtree; `path` is the AAD path (keys only), `at` the structural path (with list indices). */
function walk(node: TreeNode, path: readonly string[], at: readonly Step[], ctx: WalkContext): unknown {
  if (isTreeMap(node)) {
    return Object.fromEntries(
      node.entries.map(([key, value]) => {
        const comments = node.comments.get(key)
        if (comments) ctx.reuse.rememberComments([...at, key], comments)
        return [key, walk(value, [...path, key], [...at, key], ctx)]
      }),
    )
  }
  if (isTreeSeq(node)) {
    const items: unknown[] = []
    for (const item of node.items) {
      if (isTreeMap(item) || isTreeSeq(item)) {
        items.push(walk(item, path, [...at, items.length], ctx))
        continue
      }
      // sops writes comments inside sequences as `- ENC[…,type:comment]` items: verify, keep aside, drop from data.
      const leaf = walkLeaf(item, path, ctx)
      if (leaf.comment) ctx.reuse.rememberListComment(at, items.length, item as string)
      else items.push(leaf.value)
    }
    return items
  }
  const leaf = walkLeaf(node, path, ctx)
  if (leaf.comment) throw new SopsValueTamperedError(buildAad(path), 'is a comment where a value belongs')
  return leaf.value
}

function verifyMac(
  stored: string | undefined,
  lastModified: string,
  computed: string,
  dataKey: Uint8Array,
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
  const docs = parseTree(text, format)
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
    dataKey,
    shouldEncrypt: buildShouldEncrypt(meta.rule),
    mac: new MacBuilder(meta.macOnlyEncrypted),
    reuse: new ReuseMaterial(meta.age, meta.rule, meta.macOnlyEncrypted),
  }
  const data = walk(body, [], [], ctx) as Record<string, unknown>
  verifyMac(meta.mac, meta.lastModified, ctx.mac.digest(), dataKey)
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
