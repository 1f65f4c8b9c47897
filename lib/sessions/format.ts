/**
 * How sessions are shown to people: an aligned table for `list` (and for `destroy` naming the sessions it
 * would release), a detail block for `show`, and a one-line count by status.
 */
import { formatTable } from '../cli/output.ts'
import { SESSION_STATUSES, type SessionStatus, type SessionView } from './inventory.ts'

/** `2025-01-31T12:05:00.000Z` as `2025-01-31 12:05Z`: minutes are enough in a table. */
function shortTime(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}Z`
}

/** One row per session: id, derived status, stack, provider, host status, pin time, label. */
export function formatSessionTable(views: readonly SessionView[]): string {
  return formatTable(
    ['SESSION', 'STATUS', 'STACK', 'PROVIDER', 'HOST', 'PINNED', 'LABEL'],
    views.map((v) => [
      v.id,
      v.status,
      v.stack,
      v.host?.provider ?? '-',
      v.host?.status ?? 'missing',
      shortTime(v.pinnedAt),
      v.label ?? '-',
    ]),
  )
}

/** Every field of one session and its host, one `key: value` line each. */
export function formatSessionDetails(view: SessionView): string {
  const host = view.host
  const rows: [string, string][] = [
    ['session', view.id],
    ['status', view.status],
    ['stack', view.stack],
    ['provider', host?.provider ?? '-'],
    ['host', host ? host.status : 'missing (no such stack in the state)'],
    ['address', host?.address ?? '-'],
    ['released', host?.releasedAt ?? '-'],
    ['label', view.label ?? '-'],
    ['note', view.note ?? '-'],
    ['created', view.createdAt],
    ['pinned', view.pinnedAt],
    ['moved from', view.movedFrom ?? '-'],
  ]
  const width = Math.max(...rows.map(([key]) => key.length)) + 1
  return rows.map(([key, value]) => `${`${key}:`.padEnd(width)} ${value}`).join('\n')
}

/** How many of `views` have each status. */
export function countByStatus(views: readonly SessionView[]): Record<SessionStatus, number> {
  const counts = { active: 0, pending: 0, orphaned: 0 }
  for (const view of views) counts[view.status]++
  return counts
}

/** `3 sessions: 2 active, 1 orphaned` (statuses with no session left out). */
export function formatCounts(counts: Readonly<Record<SessionStatus, number>>): string {
  const total = SESSION_STATUSES.reduce((sum, s) => sum + counts[s], 0)
  const parts = SESSION_STATUSES.filter((s) => counts[s] > 0).map((s) => `${counts[s]} ${s}`)
  const noun = total === 1 ? 'session' : 'sessions'
  return parts.length > 0 ? `${total} ${noun}: ${parts.join(', ')}` : `0 ${noun}`
}
