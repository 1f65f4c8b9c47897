/**
 * The verbs of `npm run state -- <verb>`. Each takes the opened store and the parsed flags and prints
 * through Output; scripts/state.ts only parses flags and dispatches here.
 */
import { lstat } from 'node:fs/promises'
import YAML from 'yaml'
import { formatTable, type Output } from '../cli/output.ts'
import { CliError, ExitCode, UsageError } from '../errors.ts'
import { verifyAuditChain } from '../gate/audit-chain.ts'
import { requireHuman } from '../gate/index.ts'
import type { Proc } from '../proc.ts'
import { editState } from './edit.ts'
import { StateSealError } from './errors.ts'
import { historyEntry, listHistory } from './history.ts'
import type { Passphrases } from './init.ts'
import type { Keyring } from './keyring.ts'
import { rotateKey } from './rotate.ts'
import { redactState } from './schema.ts'
import type { StateStore, VerifiedFile } from './store.ts'
import type { StateVerb } from './verbs.ts'

export { STATE_VERBS, type StateVerb } from './verbs.ts'

export interface StateCommandContext {
  store: StateStore
  out: Output
  proc: Proc
  env: NodeJS.ProcessEnv
  sopsPath: string
  args: string[]
  flags: { reveal: boolean; redacted: boolean; json: boolean; yes: boolean }
  /** The person's passphrases, asked on the terminal (rotate-key). */
  passphrases: Passphrases
  /** A keyring over an identity held in this process (rotate-key seals with the new one). */
  keyringOf(identity: string): Promise<Keyring>
}

function printData(out: Output, value: unknown, json: boolean): void {
  if (json) out.emitJson(value)
  else out.data(YAML.stringify(value))
}

/**
 * Every verb that shows plaintext secrets (show --reveal, edit, decrypt) or decides what the state is (restore,
 * reseal, rotate-key) asks a person first.
 */
function requireApproval(ctx: StateCommandContext, command: string, ...summary: string[]): Promise<void> {
  return requireHuman({
    command,
    operator: ctx.store.operator,
    summary,
    confirmName: ctx.store.operator,
    yes: ctx.flags.yes,
    out: ctx.out,
    keyring: ctx.store.keyring,
  })
}

async function show(ctx: StateCommandContext): Promise<number> {
  if (ctx.flags.reveal)
    await requireApproval(
      ctx,
      'state show --reveal',
      `Print the secrets of operator ${ctx.store.operator} in plain text (tokens, keys, passphrases).`,
    )
  const { doc } = await ctx.store.read()
  printData(ctx.out, ctx.flags.reveal ? doc : redactState(doc), ctx.flags.json)
  return ExitCode.ok
}

async function exportState(ctx: StateCommandContext): Promise<number> {
  if (!ctx.flags.redacted)
    throw new UsageError(
      'state export only writes redacted data; pass --redacted.',
      'To see secrets, use `npm run state -- show --reveal` (asks a person to confirm).',
    )
  printData(ctx.out, redactState((await ctx.store.read()).doc), ctx.flags.json)
  return ExitCode.ok
}

async function edit(ctx: StateCommandContext): Promise<number> {
  await requireApproval(
    ctx,
    'state edit',
    `Open the state of operator ${ctx.store.operator} in plain text in your editor (secrets included).`,
  )
  const outcome = await editState(ctx)
  if (outcome === 'unchanged') ctx.out.info('No changes.')
  else ctx.out.success(`Saved ${ctx.store.paths.state}; the previous version is history entry 1.`)
  return ExitCode.ok
}

async function history(ctx: StateCommandContext): Promise<number> {
  const entries = await listHistory(ctx.store.paths.history)
  if (ctx.flags.json) ctx.out.emitJson(entries)
  else if (entries.length === 0) ctx.out.info('No previous versions kept yet.')
  else
    ctx.out.data(
      formatTable(
        ['N', 'SAVED', 'BYTES', 'FILE'],
        entries.map((e) => [String(e.n), e.savedAt, String(e.bytes), e.file]),
      ),
    )
  return ExitCode.ok
}

async function restore(ctx: StateCommandContext): Promise<number> {
  const n = Number(ctx.args[0])
  if (ctx.args.length !== 1 || !Number.isInteger(n) || n < 1)
    throw new UsageError(
      'state restore needs one history number, e.g. `npm run state -- restore 1`.',
      'See the numbers with `npm run state -- history`.',
    )
  const entry = await historyEntry(ctx.store.paths.history, n)
  const { seal } = await ctx.store.readStateFile(entry.file)
  await requireApproval(
    ctx,
    'state restore',
    `Make history entry ${n} (saved ${entry.savedAt}, ${seal ? `sealed version ${seal.version}` : 'from before sealing'}) the current state of ${ctx.store.operator}.`,
    'The current state becomes history entry 1.',
  )
  await ctx.store.restore(n)
  ctx.out.success(`Restored history entry ${n}; the state it replaced is now history entry 1.`)
  return ExitCode.ok
}

/** One verified file: a state file (StateStore.verifyAll) or the audit log; `what` says what was verified. */
type VerifyResult = Omit<VerifiedFile, 'seal'> & { what: string }

/** The audit log's hash chain (verify): every break named by its line. */
async function verifyAuditLog(file: string): Promise<VerifyResult | undefined> {
  // lstat, not exists: a dangling symlink in the log's place must be reported, not skipped.
  if ((await lstat(file).catch(() => undefined)) === undefined) return undefined
  const what = 'audit chain verified'
  try {
    const { lines, problems } = await verifyAuditChain(file)
    if (problems.length === 0) return { file, ok: true, what: `${what} (${lines} lines)` }
    const error = problems.map((p) => `${file} line ${p.line} ${p.problem}.`).join('\n')
    return { file, ok: false, what, error, exitCode: ExitCode.auditTampered }
  } catch (error) {
    if (!(error instanceof CliError)) throw error
    return { file, ok: false, what, error: error.message, exitCode: error.exitCode }
  }
}

/** Every state file's MAC, seal and schema, that each history entry is the one the next replaced, the audit chain. */
async function verify(ctx: StateCommandContext): Promise<number> {
  const results: VerifyResult[] = (await ctx.store.verifyAll()).map(({ seal: _s, ...r }) => ({
    ...r,
    what: r.acceptedBy
      ? `accepted as it is by the reseal in ${r.acceptedBy}`
      : 'MAC, seal and schema verified',
  }))
  const audit = await verifyAuditLog(ctx.store.paths.audit)
  if (audit) results.push(audit)
  const failed = results.filter((r) => !r.ok)
  if (ctx.flags.json) ctx.out.emitJson({ ok: failed.length === 0, files: results })
  else for (const r of results) r.ok ? ctx.out.success(`${r.file}: ${r.what}`) : ctx.out.warn(r.error ?? '')
  return failed[0]?.exitCode ?? ExitCode.ok
}

/** Accept the state as it is now (after a hand edit with the real sops, a recipient change, from before sealing). */
async function reseal(ctx: StateCommandContext): Promise<number> {
  const why = await ctx.store.read().then(
    () => undefined,
    (error: unknown) => (error instanceof StateSealError ? error.message : undefined),
  )
  if (why === undefined) {
    ctx.out.success(`${ctx.store.paths.state} is sealed by your identity already; nothing to do.`)
    return ExitCode.ok
  }
  const { doc } = await ctx.store.readStateFile(ctx.store.paths.state, false)
  await requireApproval(
    ctx,
    'state reseal',
    `Accept the state of ${ctx.store.operator} as it is now, and seal it with your identity:`,
    `  ${why}`,
    `  it holds ${Object.keys(doc.stacks).length} stack(s), ${Object.keys(doc.sessions).length} session(s), ${Object.keys(doc.credentials).length} credential(s);`,
    `  encrypted to ${ctx.store.recipients.join(', ')}. Check it first with \`npm run state -- show\` if unsure.`,
  )
  await ctx.store.reseal()
  ctx.out.success(`Sealed ${ctx.store.paths.state}; the version before it is history entry 1.`)
  return ExitCode.ok
}

async function rotate(ctx: StateCommandContext): Promise<number> {
  await requireApproval(
    ctx,
    'state rotate-key',
    `Give operator ${ctx.store.operator} a new identity and re-encrypt the state, its history and sealed Terraform states to it.`,
  )
  const result = await rotateKey(ctx.store, ctx.passphrases, ctx.keyringOf, ctx.env)
  if (ctx.flags.json) ctx.out.emitJson(result)
  else {
    ctx.out.success(
      `Re-encrypted ${result.files.length} file(s) to the new recipient ${result.newRecipient}.`,
    )
    ctx.out.info(
      `The new identity is in ${result.identityFile}. Nothing is encrypted to ${result.oldRecipients.join(', ')} any more;`,
    )
    ctx.out.info('remove that old identity from the keys file once no other file needs it.')
    for (const file of result.untouched)
      ctx.out.warn(`${file} does not decrypt, so it was left as it is (state verify names it).`)
  }

  return ExitCode.ok
}

async function decrypt(ctx: StateCommandContext): Promise<number> {
  const [file] = ctx.args
  if (file === undefined || ctx.args.length !== 1)
    throw new UsageError('state decrypt needs one file, e.g. `npm run state -- decrypt secrets/x.sops.yaml`.')
  await requireApproval(ctx, 'state decrypt', `Print ${file} decrypted, secrets included.`)
  const format = file.endsWith('.json') ? 'json' : undefined
  const { decrypted } = await ctx.store.decryptFile(file, format)
  if (ctx.flags.json || decrypted.format === 'json') ctx.out.emitJson(decrypted.data)
  else ctx.out.data(YAML.stringify(decrypted.data))
  return ExitCode.ok
}

const VERBS: Record<StateVerb, (ctx: StateCommandContext) => Promise<number>> = {
  show,
  edit,
  history,
  restore,
  export: exportState,
  verify,
  'rotate-key': rotate,
  decrypt,
  reseal,
}

/** Run one verb. */
export function runStateVerb(verb: StateVerb, ctx: StateCommandContext): Promise<number> {
  return VERBS[verb](ctx)
}
