/**
 * The session inventory: which debug sessions are pinned to which host (stack). Pure functions on a
 * StateDocument: the changing verbs return a new document and leave the one given untouched, so they run
 * inside `store.update` unchanged. A session's status is derived from its host, never stored.
 */
import { closest } from '../cli/args.ts'
import { UsageError } from '../errors.ts'
import { requireStack } from '../state/records.ts'
import {
  type Provider,
  SESSION_ID,
  type SessionRecord,
  type StackRecord,
  type StackStatus,
  type StateDocument,
} from '../state/schema.ts'
import { SessionNotFoundError, SessionRuleError } from './errors.ts'

export const SESSION_STATUSES = ['active', 'pending', 'orphaned'] as const
export type SessionStatus = (typeof SESSION_STATUSES)[number]

/** A host that is being torn down or is gone leaves its sessions orphaned until they are moved. */
const STATUS_BY_HOST: Readonly<Record<StackStatus, SessionStatus>> = {
  planned: 'pending',
  applying: 'pending',
  ready: 'active',
  failed: 'orphaned',
  interrupted: 'orphaned',
  destroying: 'orphaned',
  destroyed: 'orphaned',
}

/** The public facts about a session's host; no secrets. */
export interface HostSummary {
  provider: Provider
  status: StackStatus
  address: string | null
  releasedAt: string | null
}

/** A session with its derived status and its host (null when the stack record is missing). */
export interface SessionView extends SessionRecord {
  status: SessionStatus
  host: HostSummary | null
}

export interface SessionChange {
  doc: StateDocument
  session: SessionRecord
}

export interface PinRequest {
  id: string
  stack: string
  label?: string | undefined
  note?: string | undefined
  /** When the debug session itself was created (ISO-8601); defaults to the pin time. */
  createdAt?: string | undefined
  now: Date
}

export interface SessionFilters {
  provider?: Provider | undefined
  stack?: string | undefined
  status?: SessionStatus | undefined
}

const GONE_HINT =
  'Pin it to a running stack (`npm run cloud:status` lists them), or bring one up with `npm run cloud:up`.'

/** The status a session on `host` has: active, pending, or orphaned (also when the host is missing). */
export function sessionStatusOf(host: StackRecord | undefined): SessionStatus {
  return host ? STATUS_BY_HOST[host.status] : 'orphaned'
}

/** Throw a UsageError unless `id` is a valid session id. */
export function verifySessionId(id: string): string {
  if (!SESSION_ID.test(id))
    throw new UsageError(
      `Session id "${id}" is not allowed.`,
      'Use 1-64 letters, digits, ".", "_" and "-", starting with a letter or digit, e.g. "dbg-2025-01-31.a".',
    )
  return id
}

/** The stack `name`, refused when it is unknown, being destroyed, or destroyed. */
export function verifyPinTarget(doc: StateDocument, name: string): StackRecord {
  const stack = requireStack(doc, name)
  if (stack.status === 'destroyed')
    throw new SessionRuleError(
      `Stack "${name}" was destroyed${stack.releasedAt ? ` (released ${stack.releasedAt})` : ''}; sessions cannot be pinned to it.`,
      GONE_HINT,
    )
  if (stack.status === 'destroying')
    throw new SessionRuleError(
      `Stack "${name}" is being destroyed; sessions cannot be pinned to it.`,
      GONE_HINT,
    )
  return stack
}

/** The session `id`, or an error suggesting the closest pinned id. */
export function requireSession(doc: StateDocument, id: string): SessionRecord {
  const session = doc.sessions[verifySessionId(id)]
  if (!session) throw new SessionNotFoundError(id, closest(id, Object.keys(doc.sessions)))
  return session
}

function verifyLabel(label: string | undefined): string | null {
  if (label === undefined) return null
  if (label.length > 80 || /\p{Cc}/u.test(label))
    throw new UsageError(`--label must be one line of at most 80 characters; got ${JSON.stringify(label)}.`)
  return label
}

function verifyCreatedAt(createdAt: string | undefined, now: Date): string {
  if (createdAt === undefined) return now.toISOString()
  const time = Date.parse(createdAt)
  if (Number.isNaN(time))
    throw new UsageError(`--created must be an ISO-8601 time like 2025-01-31T12:00:00Z; got "${createdAt}".`)
  return new Date(time).toISOString()
}

function withSession(doc: StateDocument, session: SessionRecord): SessionChange {
  return { doc: { ...doc, sessions: { ...doc.sessions, [session.id]: session } }, session }
}

/** Pin a new session to a stack that is not gone; refuses an id that is already pinned, naming where. */
export function pinSession(doc: StateDocument, request: PinRequest): SessionChange {
  const id = verifySessionId(request.id)
  const existing = doc.sessions[id]
  if (existing)
    throw new SessionRuleError(
      `Session "${id}" is already pinned to stack "${existing.stack}" (since ${existing.pinnedAt}).`,
      `Move it with \`npm run cloud:sessions -- move ${id} --to ${request.stack}\`, or unpin it first.`,
    )
  verifyPinTarget(doc, request.stack)
  return withSession(doc, {
    id,
    stack: request.stack,
    label: verifyLabel(request.label),
    note: request.note ?? null,
    createdAt: verifyCreatedAt(request.createdAt, request.now),
    pinnedAt: request.now.toISOString(),
    movedFrom: null,
  })
}

/** Remove the pin of session `id`; returns the removed record. */
export function unpinSession(doc: StateDocument, id: string): SessionChange {
  const session = requireSession(doc, id)
  const sessions = { ...doc.sessions }
  delete sessions[session.id]
  return { doc: { ...doc, sessions }, session }
}

/** Re-pin session `id` to `toStack` (not gone, not its current stack), recording where it came from. */
export function moveSession(doc: StateDocument, id: string, toStack: string, now: Date): SessionChange {
  const session = requireSession(doc, id)
  if (session.stack === toStack)
    throw new SessionRuleError(
      `Session "${id}" is already pinned to stack "${toStack}".`,
      'Give another stack with --to.',
    )
  verifyPinTarget(doc, toStack)
  return withSession(doc, {
    ...session,
    stack: toStack,
    movedFrom: session.stack,
    pinnedAt: now.toISOString(),
  })
}

/** A session with its derived status and host summary. */
export function buildSessionView(doc: StateDocument, session: SessionRecord): SessionView {
  return toView(session, buildHostView(doc, session.stack))
}

/** What a session's view says about its host: the same for every session of that stack. */
function buildHostView(doc: StateDocument, stack: string): Pick<SessionView, 'status' | 'host'> {
  const host = doc.stacks[stack]
  return {
    status: sessionStatusOf(host),
    host: host
      ? { provider: host.provider, status: host.status, address: host.address, releasedAt: host.releasedAt }
      : null,
  }
}

function byStackThenId(a: SessionRecord, b: SessionRecord): number {
  if (a.stack !== b.stack) return a.stack < b.stack ? -1 : 1
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}

/** Every session matching all given filters, sorted by stack then id. */
export function listSessions(doc: StateDocument, filters: SessionFilters = {}): SessionView[] {
  const views: SessionView[] = []
  // One host view per stack, not per session: 10,000 sessions live on a few hundred hosts.
  const hosts = new Map<string, Pick<SessionView, 'status' | 'host'>>()
  for (const session of Object.values(doc.sessions)) {
    if (filters.stack !== undefined && session.stack !== filters.stack) continue
    let host = hosts.get(session.stack)
    if (!host) {
      host = buildHostView(doc, session.stack)
      hosts.set(session.stack, host)
    }
    if (filters.status !== undefined && host.status !== filters.status) continue
    if (filters.provider !== undefined && host.host?.provider !== filters.provider) continue
    views.push(toView(session, host))
  }
  return views.sort(byStackThenId)
}

/** `{ ...session, ...host }` spelled out: one object shape for every view (5 against 30 ms for 10,000). */
function toView(s: SessionRecord, host: Pick<SessionView, 'status' | 'host'>): SessionView {
  const { id, stack, label, note, createdAt, pinnedAt, movedFrom } = s
  return { id, stack, label, note, createdAt, pinnedAt, movedFrom, status: host.status, host: host.host }
}

/** The sessions pinned to `stack`, sorted by id (what `destroy` must list before it may release them). */
export function pinnedSessions(doc: StateDocument, stack: string): SessionRecord[] {
  return Object.values(doc.sessions)
    .filter((s) => s.stack === stack)
    .sort(byStackThenId)
}

/** Sessions whose host is gone or failed, for `cloud:status` and `list --status orphaned`. */
export function orphanedSessions(doc: StateDocument): SessionView[] {
  return listSessions(doc, { status: 'orphaned' })
}

export interface ReleasedSession extends SessionRecord {
  releasedAt: string
}

/** What `destroy --release-sessions` calls: removes the pins of `stack` and returns them, stamped `now`. */
export function releaseSessions(
  doc: StateDocument,
  stack: string,
  now: Date,
): { doc: StateDocument; released: ReleasedSession[] } {
  const released = pinnedSessions(doc, stack).map((s) => ({ ...s, releasedAt: now.toISOString() }))
  const sessions = { ...doc.sessions }
  for (const session of released) delete sessions[session.id]
  return { doc: { ...doc, sessions }, released }
}
