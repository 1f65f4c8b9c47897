/**
 * Encrypting plain data into SOPS YAML as sops 3.12 writes it. With `previous`, unchanged values keep
 * their `ENC[...]` strings and, when the recipients are unchanged, the data key and its wrapped copies
 * stay too, like `sops edit`; new recipients get a new data key, like `sops rotate`.
 */
import { createSecretKey, type KeyObject } from 'node:crypto'
import { generateDataKey, wrapDataKey } from './age.ts'
import { encryptValue } from './cipher.ts'
import { buildScalarNode, type EmitNode, emitYaml } from './emit.ts'
import { SopsRecipientError } from './errors.ts'
import { MacBuilder } from './mac.ts'
import { type AgeStanza, buildLastModified, SOPS_FORMAT_VERSION } from './metadata.ts'
import { ReuseMaterial, type Step } from './reuse.ts'
import { buildRuleMatcher, DEFAULT_RULE, type EncryptionRule, type RuleMatcher } from './rules.ts'
import type { EncryptOptions } from './types.ts'
import { isFloat, SopsFloat, type SopsScalar, toGoText, typeOf } from './values.ts'

interface EncodeContext {
  dataKey: KeyObject
  rule: RuleMatcher
  mac: MacBuilder
  recall: ReturnType<ReuseMaterial['buildRecall']> | undefined
  /** The previous file's material when its data key is kept and it had comments (they stay valid). */
  kept: ReuseMaterial | undefined
  /** The structural path (keys and list indices) of the node being encoded, pushed and popped as the walk goes. */
  path: Step[]
}

function isScalar(value: unknown): value is SopsScalar {
  return (
    value === null ||
    value instanceof SopsFloat ||
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && (Number.isSafeInteger(value) || isFloat(value)))
  )
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

function encodeLeaf(value: SopsScalar, aad: string, encrypted: boolean, ctx: EncodeContext): EmitNode {
  if (value === null) return buildScalarNode(null)
  const text = toGoText(value)
  ctx.mac.add(text, encrypted)
  if (!encrypted || text === '') return buildScalarNode(value)
  const type = typeOf(value)
  const kept = ctx.recall?.(aad, type, text)
  return { kind: 'scalar', text: kept ?? encryptValue(text, type, ctx.dataKey, aad) }
}

/** Comments of the previous file that still have their place: kept byte-identical (same data key only). */
function carriedListComments(index: number, ctx: EncodeContext): EmitNode[] {
  const comments = ctx.kept?.listCommentsBefore(ctx.path, index) ?? []
  return comments.map((enc) => ({ kind: 'scalar', text: enc }))
}

/**
 * Encrypt a subtree. `aad` is the AAD prefix (the mapping keys so far, each followed by `:`), `matched`
 * whether a key on the path matches the encryption rule.
 */
function encodeNode(value: unknown, aad: string, matched: boolean, ctx: EncodeContext): EmitNode {
  if (Array.isArray(value)) {
    const items: EmitNode[] = []
    for (let i = 0; i < value.length; i++) {
      if (ctx.kept) items.push(...carriedListComments(i, ctx))
      ctx.path.push(i)
      items.push(encodeNode(value[i], aad, matched, ctx))
      ctx.path.pop()
    }
    if (ctx.kept) items.push(...carriedListComments(value.length, ctx))
    return { kind: 'seq', items }
  }
  if (isScalar(value))
    return encodeLeaf(value, aad === '' ? ':' : aad, matched === ctx.rule.encryptsMatched, ctx)
  if (isPlainObject(value)) {
    const entries: Array<[string, EmitNode]> = []
    // Comment lines exist only when the previous file had some (and its data key is kept).
    const comments: string[][] | undefined = ctx.kept ? [] : undefined
    for (const key of Object.keys(value)) {
      ctx.path.push(key)
      if (ctx.kept && comments) comments.push([...ctx.kept.commentsBefore(ctx.path)])
      entries.push([key, encodeNode(value[key], `${aad}${key}:`, matched || ctx.rule.matchesKey(key), ctx)])
      ctx.path.pop()
    }
    return { kind: 'map', entries, comments }
  }
  throw new TypeError(
    `encryptSopsYaml: the value at ${aad === '' ? ':' : aad} (${typeof value}) cannot be stored in a SOPS file`,
  )
}

function verifyRecipients(recipients: readonly string[]): void {
  if (recipients.length === 0) throw new SopsRecipientError('', new Error('no recipients given'))
  for (const r of recipients) if (!/^age1[0-9a-z]+$/.test(r)) throw new SopsRecipientError(r)
}

async function wrapFor(dataKey: Uint8Array, recipient: string): Promise<AgeStanza> {
  try {
    return await wrapDataKey(dataKey, recipient)
  } catch (error) {
    throw new SopsRecipientError(recipient, error)
  }
}

function sameRecipients(a: readonly AgeStanza[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((stanza, i) => stanza.recipient === b[i])
}

function buildMetadata(
  stanzas: readonly AgeStanza[],
  lastModified: string,
  mac: string,
  rule: EncryptionRule,
  macOnlyEncrypted: boolean,
): EmitNode {
  const entries: Array<[string, EmitNode]> = [
    [
      'age',
      {
        kind: 'seq',
        items: stanzas.map((s) => ({
          kind: 'map',
          entries: [
            ['recipient', { kind: 'scalar', text: s.recipient }],
            ['enc', { kind: 'literal', text: s.enc }],
          ],
        })),
      },
    ],
    ['lastmodified', buildScalarNode(lastModified)],
    ['mac', { kind: 'scalar', text: mac }],
    [rule.name, buildScalarNode(rule.value)],
  ]
  if (macOnlyEncrypted) entries.push(['mac_only_encrypted', buildScalarNode(true)])
  entries.push(['version', buildScalarNode(SOPS_FORMAT_VERSION)])
  return { kind: 'map', entries }
}

/** Encrypt plain data into SOPS YAML exactly as sops writes it. */
export async function encryptSopsYaml(
  data: Record<string, unknown>,
  options: EncryptOptions,
): Promise<string> {
  verifyRecipients(options.recipients)
  if (Object.hasOwn(data, 'sops'))
    throw new TypeError('encryptSopsYaml: a top-level key named sops is reserved for the metadata')
  const previous = options.previous?.reuse instanceof ReuseMaterial ? options.previous.reuse : undefined
  const keep =
    options.previous !== undefined &&
    previous !== undefined &&
    sameRecipients(previous.stanzas, options.recipients)
  const dataKey = keep && options.previous ? options.previous.dataKey : generateDataKey()
  const stanzas =
    keep && previous
      ? previous.stanzas
      : await Promise.all(options.recipients.map((r) => wrapFor(dataKey, r)))
  const rule = previous?.rule ?? DEFAULT_RULE
  const macOnly = previous?.macOnlyEncrypted ?? false
  const key = createSecretKey(dataKey)
  const ctx: EncodeContext = {
    dataKey: key,
    rule: buildRuleMatcher(rule),
    mac: new MacBuilder(macOnly),
    recall: keep ? previous?.buildRecall() : undefined,
    kept: keep && previous?.hasComments ? previous : undefined,
    path: [],
  }
  const body = encodeNode(data, '', false, ctx)
  if (body.kind !== 'map') throw new TypeError('encryptSopsYaml: data must be a plain object')
  const lastModified = buildLastModified()
  const mac = encryptValue(ctx.mac.digest(), 'str', key, lastModified)
  body.entries.push(['sops', buildMetadata(stanzas, lastModified, mac, rule, macOnly)])
  return emitYaml(body)
}
