/**
 * Short-lived `--yes` grants, like sudo's timestamp: created by a person with `npm run cloud:unlock`,
 * bound to one operator and one terminal session (tty device, session id, session leader start time, uid),
 * stored as 0600 JSON in `<operator dir>/grants/`. A grant only skips the typed prompt; every other gate
 * check still runs.
 */
import { createHash } from 'node:crypto'
import { lstatSync, readFileSync } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { UsageError } from '../errors.ts'
import { writeFileAtomic } from '../state/atomic.ts'
import { operatorPaths } from '../state/paths.ts'
import type { GateReason } from './errors.ts'
import type { TerminalBinding } from './terminal.ts'

export const GRANT_DEFAULT_MINUTES = 5
export const GRANT_MAX_MINUTES = 30

export interface Grant {
  operator: string
  binding: TerminalBinding
  createdAt: string
  expiresAt: string
}

/** Parse `--minutes`: a whole number from 1 to GRANT_MAX_MINUTES; the default when not given. */
export function verifyGrantMinutes(value: string | undefined): number {
  if (value === undefined) return GRANT_DEFAULT_MINUTES
  const minutes = Number(value)
  if (!/^\d+$/.test(value) || minutes < 1 || minutes > GRANT_MAX_MINUTES) {
    throw new UsageError(
      `--minutes must be a whole number from 1 to ${GRANT_MAX_MINUTES}; got "${value}".`,
      `Leave it out for ${GRANT_DEFAULT_MINUTES} minutes, or give e.g. --minutes 10.`,
    )
  }
  return minutes
}

/** Where the grant of `operator` for this terminal session lives. */
export function grantPath(
  operator: string,
  binding: TerminalBinding,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const key = `${binding.uid}:${binding.ttyDevice}:${binding.sessionId}:${binding.sessionStart}`
  const name = createHash('sha256').update(key).digest('hex').slice(0, 32)
  return join(operatorPaths(operator, env).dir, 'grants', `${name}.json`)
}

/** Write a grant valid for `minutes` from `now` (temp file, then rename); returns it. */
export async function writeGrant(
  operator: string,
  binding: TerminalBinding,
  minutes: number,
  now: Date = new Date(),
  env: NodeJS.ProcessEnv = process.env,
): Promise<Grant> {
  const grant: Grant = {
    operator,
    binding,
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + minutes * 60_000).toISOString(),
  }
  const path = grantPath(operator, binding, env)
  await mkdir(join(path, '..'), { recursive: true, mode: 0o700 })
  await writeFileAtomic(path, `${JSON.stringify(grant, null, 2)}\n`)
  return grant
}

/** Remove this terminal's grant; true when there was one. */
export async function revokeGrant(
  operator: string,
  binding: TerminalBinding,
  env: NodeJS.ProcessEnv = process.env,
): Promise<boolean> {
  const path = grantPath(operator, binding, env)
  try {
    lstatSync(path)
  } catch {
    return false
  }
  await rm(path, { force: true })
  return true
}

function sameBinding(a: TerminalBinding, b: TerminalBinding): boolean {
  return (
    a.ttyDevice === b.ttyDevice &&
    a.sessionId === b.sessionId &&
    a.sessionStart === b.sessionStart &&
    a.uid === b.uid
  )
}

function expired(text: string): GateReason {
  return { code: 'grant-expired', text, signals: ['--yes'] }
}

/** Why `--yes` is not covered by a grant for `operator` on this terminal, or undefined when it is. */
export function checkGrant(
  operator: string,
  binding: TerminalBinding | undefined,
  now: Date = new Date(),
  env: NodeJS.ProcessEnv = process.env,
): GateReason | undefined {
  if (binding === undefined) {
    return expired(
      '--yes was given, but this process has no terminal session a cloud:unlock grant could belong to.',
    )
  }
  const path = grantPath(operator, binding, env)
  let grant: Grant
  try {
    const stat = lstatSync(path)
    if (!stat.isFile() || (stat.mode & 0o077) !== 0 || stat.uid !== binding.uid) {
      return expired(
        `--yes was given, but the grant file ${path} is not a private (0600) file of yours; ignored.`,
      )
    }
    grant = JSON.parse(readFileSync(path, 'utf8')) as Grant
  } catch {
    return expired(
      `--yes was given, but there is no cloud:unlock grant for operator "${operator}" on this terminal.`,
    )
  }
  const created = Date.parse(grant.createdAt)
  const expires = Date.parse(grant.expiresAt)
  const valid =
    grant.operator === operator &&
    typeof grant.binding === 'object' &&
    sameBinding(grant.binding, binding) &&
    created <= now.getTime() &&
    expires - created <= GRANT_MAX_MINUTES * 60_000
  if (!valid)
    return expired(
      `--yes was given, but the grant at ${path} is not valid for this terminal (other session, operator or time window); ignored.`,
    )
  if (expires <= now.getTime()) {
    return expired(
      `--yes was given, but the cloud:unlock grant for this terminal expired at ${grant.expiresAt}.`,
    )
  }
  return undefined
}
