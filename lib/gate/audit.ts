/**
 * The gate's audit log: one JSON line per approval, denial, unlock or lock, appended to the operator's
 * `audit.jsonl` (0600), or to the fallback log when no operator directory resolves. Records carry the
 * NAMES of the signals that fired, never environment values. Each line is chained to the one before by its
 * `prev` hash and the file is never followed through a symlink (audit-chain.ts).
 */
import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { hostname } from 'node:os'
import { dirname } from 'node:path'
import { fallbackAuditPath, OPERATOR_NAME, operatorPaths } from '../state/paths.ts'
import { appendChained } from './audit-chain.ts'
import { readTerminalPath } from './terminal.ts'

export type AuditOutcome = 'approved' | 'denied' | 'unlocked' | 'locked'

export interface AuditEntry {
  time: string
  operator: string | null
  command: string
  /** What the person had to type: the stack name, or the operator name for reveal and unlock. */
  target: string
  outcome: AuditOutcome
  /** How an approval was given: the typed name, or --yes within an explicit cloud:unlock. */
  via?: 'typed' | 'unlock'
  /** Reason codes of a denial, in exit-code order. */
  reasons: string[]
  /** Names of the variables and checks that fired. */
  signals: string[]
  tty: string | null
  pid: number
  ppid: number
  uid: number | null
  host: string
  /** Free-form extra facts (unlock expiry, …); never secrets. */
  detail?: Record<string, string | number>
}

export type AuditFields = Pick<AuditEntry, 'operator' | 'command' | 'target' | 'outcome'> &
  Partial<Pick<AuditEntry, 'via' | 'reasons' | 'signals' | 'detail'>>

/** A complete audit entry for this process at this moment. */
export function buildAuditEntry(fields: AuditFields, now: Date = new Date()): AuditEntry {
  return {
    time: now.toISOString(),
    operator: fields.operator,
    command: fields.command,
    target: fields.target,
    outcome: fields.outcome,
    ...(fields.via === undefined ? {} : { via: fields.via }),
    reasons: fields.reasons ?? [],
    signals: fields.signals ?? [],
    tty: readTerminalPath(),
    pid: process.pid,
    ppid: process.ppid,
    uid: process.getuid?.() ?? null,
    host: hostname(),
    ...(fields.detail === undefined ? {} : { detail: fields.detail }),
  }
}

/** The log an entry for `operator` goes to: the operator's own when its directory exists, else the fallback. */
export function resolveAuditPath(operator: string | null, env: NodeJS.ProcessEnv = process.env): string {
  if (operator !== null && OPERATOR_NAME.test(operator)) {
    const paths = operatorPaths(operator, env)
    if (existsSync(paths.dir)) return paths.audit
  }
  return fallbackAuditPath(env)
}

/** Append one entry as a chained JSON line (one write, O_APPEND, file 0600, no symlink); returns the log's path. */
export async function appendAudit(entry: AuditEntry, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const path = resolveAuditPath(entry.operator, env)
  await mkdir(dirname(path), { recursive: true, mode: 0o700 })
  await appendChained(path, entry)
  return path
}
