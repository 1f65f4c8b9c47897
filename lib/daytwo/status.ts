/**
 * `cloud:status`: one row per stack of the operator from the encrypted record alone (fast, offline); with
 * --refresh, refresh.ts adds the observed health and drift. Nothing is ever changed: not the infrastructure,
 * not the record.
 */
import { formatTable } from '../cli/output.ts'
import type { Proc } from '../proc.ts'
import { pinnedSessions, sessionStatusOf } from '../sessions/inventory.ts'
import type { OperatorPaths } from '../state/paths.ts'
import type { StateDocument } from '../state/schema.ts'
import { isConnectionAlive, readConnection } from './connection.ts'
import type { Drift } from './drift.ts'

export interface StatusRow {
  stack: string
  provider: string
  status: string
  address: string | null
  createdAt: string
  age: string
  /** Observed app health (--refresh only). */
  health: string | null
  sessions: number
  orphanedSessions: number
  /** The open cloud:connect of the stack, if its ssh process still answers. */
  tunnel: { pid: number; mode: string } | null
  /** Drift found by --refresh; null without it. */
  drift: Drift[] | null
  lastError: string | null
}

/** "45s", "12m", "5h", "3d" since `from`. */
export function formatAge(from: string, now: Date): string {
  const seconds = Math.max(0, Math.floor((now.getTime() - Date.parse(from)) / 1000))
  if (seconds < 60) return `${seconds}s`
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h`
  return `${Math.floor(seconds / 86_400)}d`
}

/** The record-only row of one stack (tunnel liveness is asked of the local ControlMaster, if any). */
export async function buildStatusRow(
  proc: Proc,
  paths: OperatorPaths,
  doc: StateDocument,
  name: string,
  now: Date,
): Promise<StatusRow> {
  const record = doc.stacks[name]!
  const connection = await readConnection(paths, name)
  const alive = connection !== undefined && (await isConnectionAlive(proc, connection))
  const pinned = pinnedSessions(doc, name).length
  return {
    stack: name,
    provider: record.provider,
    status: record.status,
    address: record.address,
    createdAt: record.createdAt,
    age: formatAge(record.createdAt, now),
    health: null,
    sessions: pinned,
    // All sessions of one stack share its status: orphaned when the stack is.
    orphanedSessions: sessionStatusOf(record) === 'orphaned' ? pinned : 0,
    tunnel: alive ? { pid: connection.pid, mode: connection.mode } : null,
    drift: null,
    lastError: record.lastError?.message ?? null,
  }
}

/** The table `cloud:status` prints, then one line per drift and per orphaned session. */
export function formatStatus(rows: readonly StatusRow[]): string {
  const header = ['PROVIDER', 'STACK', 'STATE', 'ADDRESS', 'AGE', 'HEALTH', 'SESSIONS', 'TUNNEL']
  const table = formatTable(
    header,
    rows.map((r) => [
      r.provider,
      r.stack,
      r.status,
      r.address ?? '-',
      r.age,
      r.health ?? 'not checked',
      String(r.sessions),
      r.tunnel ? `${r.tunnel.mode} pid ${r.tunnel.pid}` : '-',
    ]),
  )
  const notes = rows.flatMap((r) => [
    ...(r.drift ?? []).map((d) => `drift ${r.stack}: ${d.kind}: ${d.message}`),
    ...(r.orphanedSessions > 0
      ? [`${r.stack}: ${r.orphanedSessions} orphaned session(s); see npm run cloud:sessions`]
      : []),
    ...(r.lastError && r.status !== 'ready' ? [`${r.stack}: last error: ${r.lastError}`] : []),
  ])
  return [table, ...(notes.length > 0 ? ['', ...notes] : [])].join('\n')
}
