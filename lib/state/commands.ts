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
import { listHistory } from './history.ts'
import { rotateKey } from './rotate.ts'
import { redactState } from './schema.ts'
import type { StateStore } from './store.ts'

export const STATE_VERBS = [
  'show',
  'edit',
  'history',
  'restore',
  'export',
  'verify',
  'rotate-key',
  'decrypt',
] as const
export type StateVerb = (typeof STATE_VERBS)[number]

export interface StateCommandContext {
  store: StateStore
  out: Output
  proc: Proc
  env: NodeJS.ProcessEnv
  sopsPath: string
  args: string[]
  flags: { reveal: boolean; redacted: boolean; json: boolean; yes: boolean }
}

function printData(out: Output, value: unknown, json: boolean): void {
  if (json) out.emitJson(value)
  else out.data(YAML.stringify(value))
}

/** Every verb that shows plaintext secrets (show --reveal, edit, decrypt) asks a person first. */
function requireRevealApproval(ctx: StateCommandContext, command: string, what: string): Promise<void> {
  return requireHuman({
    command,
    operator: ctx.store.operator,
    summary: [what],
    confirmName: ctx.store.operator,
    yes: ctx.flags.yes,
    out: ctx.out,
  })
}

async function show(ctx: StateCommandContext): Promise<number> {
  if (ctx.flags.reveal)
    await requireRevealApproval(
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
  await requireRevealApproval(
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
  await ctx.store.restore(n)
  ctx.out.success(`Restored history entry ${n}; the state it replaced is now history entry 1.`)
  return ExitCode.ok
}

interface VerifyResult {
  file: string
  ok: boolean
  /** What was verified, for the success line. */
  what: string
  error?: string
  exitCode?: number
}

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

async function verify(ctx: StateCommandContext): Promise<number> {
  const results: VerifyResult[] = []
  const what = 'MAC and schema verified'
  for (const file of await ctx.store.allFiles()) {
    try {
      await ctx.store.readStateFile(file)
      results.push({ file, ok: true, what })
    } catch (error) {
      if (!(error instanceof CliError)) throw error
      results.push({ file, ok: false, what, error: error.message, exitCode: error.exitCode })
    }
  }
  const audit = await verifyAuditLog(ctx.store.paths.audit)
  if (audit) results.push(audit)
  const failed = results.filter((r) => !r.ok)
  if (ctx.flags.json) ctx.out.emitJson({ ok: failed.length === 0, files: results })
  else for (const r of results) r.ok ? ctx.out.success(`${r.file}: ${r.what}`) : ctx.out.warn(r.error!)
  return failed[0]?.exitCode ?? ExitCode.ok
}

async function rotate(ctx: StateCommandContext): Promise<number> {
  const result = await rotateKey(ctx.store, ctx.env)
  if (ctx.flags.json) ctx.out.emitJson(result)
  else {
    ctx.out.success(
      `Re-encrypted ${result.files.length} file(s) to the new recipient ${result.newRecipient}.`,
    )
    ctx.out.info(
      `The new identity is in ${result.identityFile}. Nothing is encrypted to ${result.oldRecipients.join(', ')} any more;`,
    )
    ctx.out.info('remove that old identity from the keys file once no other file needs it.')
  }
  return ExitCode.ok
}

async function decrypt(ctx: StateCommandContext): Promise<number> {
  const [file] = ctx.args
  if (file === undefined || ctx.args.length !== 1)
    throw new UsageError('state decrypt needs one file, e.g. `npm run state -- decrypt secrets/x.sops.yaml`.')
  await requireRevealApproval(ctx, 'state decrypt', `Print ${file} decrypted, secrets included.`)
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
}

/** Run one verb. */
export function runStateVerb(verb: StateVerb, ctx: StateCommandContext): Promise<number> {
  return VERBS[verb](ctx)
}
