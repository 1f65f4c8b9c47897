/**
 * A directory lock (mkdir is atomic) with the holder's pid, host, command and start time inside. A lock whose
 * holder is gone from this host is stale and taken over; a live holder is named in the error. Generic, so the
 * launcher can take per-stack locks with the same function.
 */
import { randomBytes } from 'node:crypto'
import { readFileSync, readlinkSync } from 'node:fs'
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import { readProcStat } from '../gate/proc.ts'
import { LockHeldError, StateIoError } from './errors.ts'

export interface LockHolder {
  pid: number
  host: string
  command: string
  startedAt: string
  /**
   * The kernel's boot id, the holder's pid namespace and its process's start (clock ticks since boot), where
   * /proc is the holder's own: a pid outlives neither a reboot nor its process, and pids are reused (after a
   * crash and a reboot, the pid in a lock often belongs to some other process). Absent in holder files written
   * before they were recorded.
   */
  boot?: string
  pidNs?: string
  startTicks?: number
}

/** Call to release the lock (idempotent). */
export type ReleaseLock = () => Promise<void>

const HOLDER_FILE = 'holder.json'
/** A lock directory without a holder file is a crash between mkdir and write; give a live writer this long. */
const ORPHAN_GRACE_MS = 10_000

function readProc(read: () => string): string | undefined {
  try {
    return read()
  } catch {
    return undefined
  }
}

type OwnProcess = Pick<LockHolder, 'boot' | 'pidNs' | 'startTicks'>

/** This process as /proc shows it; nothing when /proc belongs to another pid namespace (it names another self). */
function readOwnProcess(): OwnProcess {
  if (readProc(() => readlinkSync('/proc/self')) !== String(process.pid)) return {}
  const boot = readProc(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim())
  const pidNs = readProc(() => readlinkSync('/proc/self/ns/pid'))
  const startTicks = readProcStat('self')?.startTime
  return { ...(boot && { boot }), ...(pidNs && { pidNs }), ...(startTicks !== undefined && { startTicks }) }
}

let own: OwnProcess | undefined
const ownProcess = (): OwnProcess => (own ??= readOwnProcess())

/** The holder record of this process. */
export function buildHolder(command: string): LockHolder {
  return { pid: process.pid, host: hostname(), command, startedAt: new Date().toISOString(), ...ownProcess() }
}

/** True when `pid` is no longer running on this machine. */
export function isProcessDead(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return false
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH'
  }
}

/** Human description of a holder, for errors. */
export function describeHolder(h: LockHolder): string {
  return `pid ${h.pid} on ${h.host} ("${h.command}", since ${h.startedAt})`
}

async function readHolder(lockPath: string): Promise<LockHolder | undefined> {
  try {
    return JSON.parse(await readFile(`${lockPath}/${HOLDER_FILE}`, 'utf8')) as LockHolder
  } catch {
    return undefined
  }
}

async function isStale(lockPath: string, holder: LockHolder | undefined): Promise<boolean> {
  if (holder === undefined) {
    const info = await stat(lockPath).catch(() => undefined)
    return info !== undefined && Date.now() - info.mtimeMs > ORPHAN_GRACE_MS
  }
  if (holder.host !== hostname()) return false
  if (isProcessDead(holder.pid)) return true
  // Only what this process's /proc shows decides, and a start tick only within the holder's own pid namespace:
  // an unreadable, foreign or hand-edited record never frees a live holder's lock.
  const me = ownProcess()
  if (typeof holder.boot === 'string' && me.boot !== undefined && holder.boot !== me.boot) return true
  if (holder.pidNs === undefined || holder.pidNs !== me.pidNs || typeof holder.startTicks !== 'number')
    return false
  const ticks = readProcStat(holder.pid)?.startTime
  return ticks !== undefined && ticks !== holder.startTicks
}

/** Move a stale lock aside first, so two processes taking it over cannot delete each other's fresh lock. */
async function removeStale(lockPath: string): Promise<void> {
  const aside = `${lockPath}.stale-${randomBytes(4).toString('hex')}`
  try {
    await rename(lockPath, aside)
  } catch {
    return // someone else moved it first
  }
  await rm(aside, { recursive: true, force: true })
}

/**
 * Take the lock at `lockPath` (a directory that must not exist yet) for `holder`. Throws LockHeldError naming
 * the holder when a live process has it; takes over a stale one. Returns the release function.
 */
export async function acquireLock(lockPath: string, holder: LockHolder): Promise<ReleaseLock> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await mkdir(lockPath, { mode: 0o700 })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      const current = await readHolder(lockPath)
      if (!(await isStale(lockPath, current)))
        throw new LockHeldError(
          lockPath,
          current ? describeHolder(current) : 'a process that is still starting',
        )
      await removeStale(lockPath)
      continue
    }
    try {
      await writeFile(`${lockPath}/${HOLDER_FILE}`, `${JSON.stringify(holder)}\n`, { mode: 0o600 })
    } catch (error) {
      await rm(lockPath, { recursive: true, force: true })
      const code = (error as NodeJS.ErrnoException).code
      throw new StateIoError(
        `Could not take the lock ${lockPath} (${code}); nothing was changed.`,
        'Free disk space or fix permissions, then run again.',
        error,
      )
    }
    let released = false
    return async () => {
      if (released) return
      released = true
      const now = await readHolder(lockPath)
      if (now?.pid === holder.pid && now.host === holder.host && now.startedAt === holder.startedAt)
        await rm(lockPath, { recursive: true, force: true })
    }
  }
  throw new LockHeldError(lockPath, 'processes that keep taking it over')
}
