/**
 * The verbs of `npm run cloud:sessions -- <verb>`. They change only the operator's local state (never
 * infrastructure), so none of them asks the human gate. scripts/sessions.ts parses flags and dispatches here.
 */
import type { Output } from '../cli/output.ts'
import { ExitCode, UsageError } from '../errors.ts'
import { requireStack } from '../state/records.ts'
import type { Provider } from '../state/schema.ts'
import type { StateStore } from '../state/store.ts'
import { countByStatus, formatCounts, formatSessionDetails, formatSessionTable } from './format.ts'
import {
  buildSessionView,
  listSessions,
  moveSession,
  pinSession,
  requireSession,
  type SessionChange,
  type SessionStatus,
  unpinSession,
} from './inventory.ts'
import { updateInventory } from './update.ts'

export const SESSION_VERBS = ['pin', 'unpin', 'move', 'list', 'show'] as const
export type SessionVerb = (typeof SESSION_VERBS)[number]

export interface SessionFlags {
  stack: string | undefined
  to: string | undefined
  label: string | undefined
  note: string | undefined
  created: string | undefined
  provider: Provider | undefined
  status: SessionStatus | undefined
  json: boolean
}

export interface SessionCommandContext {
  store: StateStore
  out: Output
  /** Positionals after the verb. */
  args: string[]
  flags: SessionFlags
  now: () => Date
}

type VerbFlag = Exclude<keyof SessionFlags, 'json'>

/** The flags each verb takes (beyond --json and --operator), and how many positionals. */
const VERB_SHAPES: Record<SessionVerb, { usage: string; ids: 0 | 1; flags: readonly VerbFlag[] }> = {
  pin: {
    usage: 'pin <session-id> --stack <name> [--label x] [--note y] [--created time]',
    ids: 1,
    flags: ['stack', 'label', 'note', 'created'],
  },
  unpin: { usage: 'unpin <session-id>', ids: 1, flags: [] },
  move: { usage: 'move <session-id> --to <stack>', ids: 1, flags: ['to'] },
  list: {
    usage: 'list [--provider p] [--stack s] [--status st]',
    ids: 0,
    flags: ['provider', 'stack', 'status'],
  },
  show: { usage: 'show <session-id>', ids: 1, flags: [] },
}

/** Throw a UsageError unless the positionals and flags fit `verb`. Returns the session id, if the verb takes one. */
export function verifyVerbArgs(verb: SessionVerb, args: readonly string[], flags: SessionFlags): string {
  const shape = VERB_SHAPES[verb]
  const example = `npm run cloud:sessions -- ${shape.usage}`
  if (args.length !== shape.ids)
    throw new UsageError(
      shape.ids === 1
        ? `${verb} needs one session id${args.length > 1 ? `, got ${args.length} arguments` : ''}.`
        : `${verb} takes no arguments, got "${args.join(' ')}".`,
      `Usage: ${example}`,
    )
  for (const name of Object.keys(flags) as (keyof SessionFlags)[])
    if (name !== 'json' && flags[name] !== undefined && !shape.flags.includes(name))
      throw new UsageError(`--${name} does not apply to ${verb}.`, `Usage: ${example}`)
  if (verb === 'pin' && flags.stack === undefined)
    throw new UsageError('pin needs the stack to pin to: --stack <name>.', `Usage: ${example}`)
  if (verb === 'move' && flags.to === undefined)
    throw new UsageError('move needs the stack to move to: --to <name>.', `Usage: ${example}`)
  return args[0] ?? ''
}

function reportChange(ctx: SessionCommandContext, change: SessionChange, line: string): number {
  const view = buildSessionView(change.doc, change.session)
  if (ctx.flags.json) ctx.out.emitJson({ ok: true, session: view })
  else ctx.out.success(line)
  if (!ctx.flags.json && view.status !== 'active' && change.doc.sessions[view.id])
    ctx.out.warn(
      `Stack "${view.stack}" is ${view.host?.status}: the session is listed as ${view.status} until the host is ready.`,
    )
  return ExitCode.ok
}

async function pin(ctx: SessionCommandContext, id: string): Promise<number> {
  const { stack, label, note, created } = ctx.flags
  const change = await updateInventory(ctx.store, (doc) =>
    pinSession(doc, { id, stack: stack!, label, note, createdAt: created, now: ctx.now() }),
  )
  return reportChange(ctx, change, `Pinned session ${id} to stack ${stack}.`)
}

async function unpin(ctx: SessionCommandContext, id: string): Promise<number> {
  const change = await updateInventory(ctx.store, (doc) => unpinSession(doc, id))
  return reportChange(ctx, change, `Unpinned session ${id} (it was on stack ${change.session.stack}).`)
}

async function move(ctx: SessionCommandContext, id: string): Promise<number> {
  const change = await updateInventory(ctx.store, (doc) => moveSession(doc, id, ctx.flags.to!, ctx.now()))
  return reportChange(
    ctx,
    change,
    `Moved session ${id} from stack ${change.session.movedFrom} to ${change.session.stack}.`,
  )
}

async function list(ctx: SessionCommandContext): Promise<number> {
  const { doc } = await ctx.store.read()
  const { provider, stack, status } = ctx.flags
  // A filter naming a stack that never existed is a typo, not an empty answer.
  if (stack !== undefined) requireStack(doc, stack)
  const views = listSessions(doc, { provider, stack, status })
  const counts = countByStatus(views)
  if (ctx.flags.json) {
    ctx.out.emitJson({ sessions: views, counts })
    return ExitCode.ok
  }
  if (views.length > 0) ctx.out.data(formatSessionTable(views))
  ctx.out.info(formatCounts(counts))
  if (counts.orphaned > 0)
    ctx.out.warn(
      `${counts.orphaned} orphaned: their host failed or is gone. Move them with \`move <id> --to <stack>\` or \`unpin <id>\`.`,
    )
  return ExitCode.ok
}

async function show(ctx: SessionCommandContext, id: string): Promise<number> {
  const { doc } = await ctx.store.read()
  const view = buildSessionView(doc, requireSession(doc, id))
  if (ctx.flags.json) ctx.out.emitJson({ session: view })
  else ctx.out.data(formatSessionDetails(view))
  return ExitCode.ok
}

const VERBS: Record<SessionVerb, (ctx: SessionCommandContext, id: string) => Promise<number>> = {
  pin,
  unpin,
  move,
  list,
  show,
}

/** Check the arguments of `verb`, then run it. */
export function runSessionVerb(verb: SessionVerb, ctx: SessionCommandContext): Promise<number> {
  const id = verifyVerbArgs(verb, ctx.args, ctx.flags)
  return VERBS[verb](ctx, id)
}
