/**
 * Previous versions of the state file, kept byte for byte (still encrypted) in history/ as
 * `<seq>-r<version>-<time>.sops.yaml`, where <version> is the seal version of the state that replaced it
 * (`<seq>-<time>.sops.yaml` from before sealing); number 1 is the most recent. Retention is bounded by the
 * profile. The versions in the names let every read see, without decrypting history, which version the current
 * state must at least be: an older file put back, or an unsealed one, shows.
 */
import { readdirSync, statSync } from 'node:fs'
import { link, mkdir, rename, stat, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { UsageError } from '../errors.ts'
import { readTextIfExists, syncDirectory, writeFileAtomic } from './atomic.ts'
import type { OperatorPaths } from './paths.ts'

export interface HistoryEntry {
  /** 1 = the version just before the current one. */
  n: number
  file: string
  /** When it was replaced (from its name). */
  savedAt: string
  bytes: number
}

/** Where history is kept, and the state file whose versions it keeps. */
export type HistoryPaths = Pick<OperatorPaths, 'history' | 'state'>

const ENTRY = /^(\d{6,})(?:-r(\d+))?-([0-9TZ.-]+)\.sops\.yaml$/

/** Every name in `dir`, none when it cannot be listed. */
function namesIn(dir: string): string[] {
  try {
    // Synchronous: every read of the state lists history/ (lib/state/atomic.ts, readTextIfExists).
    return readdirSync(dir)
  } catch {
    return []
  }
}

/** The entries' names, newest first. */
function entryNames(dir: string): string[] {
  return namesIn(dir)
    .filter((name) => ENTRY.test(name))
    .sort((a, b) => seqOf(b) - seqOf(a))
}

/**
 * An entry being kept is first written under this prefix, which ENTRY does not match: reads do not count it
 * until the state it holds has been replaced (commitHistory). Counted any earlier, a write cut short in between
 * would leave an entry naming a version never written, and every later read would refuse the state as rolled
 * back; told apart by comparing it with the state, any process able to write here could make an older version
 * look like such a leftover.
 */
const PENDING = '.pending-'

function seqOf(name: string): number {
  return Number(ENTRY.exec(name)![1])
}

/** When the entry `name` was replaced, from its name (the time with `-` for `:`), else its file's mtime. */
function savedAt(name: string, mtime: Date): string {
  const time = new Date(ENTRY.exec(name)![3]!.replace(/T(\d\d)-(\d\d)-/, 'T$1:$2:'))
  return Number.isNaN(time.getTime()) ? mtime.toISOString() : time.toISOString()
}

/** Every kept version, newest first. */
export async function listHistory(dir: string): Promise<HistoryEntry[]> {
  return Promise.all(
    entryNames(dir).map(async (name, i) => {
      const file = join(dir, name)
      const info = await stat(file)
      return { n: i + 1, file, savedAt: savedAt(name, info.mtime), bytes: info.size }
    }),
  )
}

/** The entry numbered `n` (1 = newest), or a UsageError listing what exists. */
export async function historyEntry(dir: string, n: number): Promise<HistoryEntry> {
  const entries = await listHistory(dir)
  const entry = entries[n - 1]
  if (!Number.isInteger(n) || n < 1 || entry === undefined)
    throw new UsageError(
      `There is no history entry ${n}; ${entries.length} version(s) are kept.`,
      'List them with `npm run state -- history`.',
    )
  return entry
}

/** The highest seal version that replaced a history entry (0 when none did): the current state is at least it. */
export async function latestReplacingVersion(dir: string): Promise<number> {
  const versions = entryNames(dir).map((name) => Number(ENTRY.exec(name)?.[2] ?? 0))
  return Math.max(0, ...versions)
}

/**
 * Start keeping the state file (its text `text`, about to be replaced by seal version `replacedBy`) as the newest
 * history entry: a pending entry (PENDING) until commitHistory, returned. Call with the state lock held, after
 * settlePending. The entry is a hard link to the file, whose bytes are on disk already: a copy wrote and
 * fsync'ed the whole file again (2.8 MiB at 10,000 sessions, docs/testing.md); the write that follows replaces
 * the state by a rename, so the entry keeps these bytes. Where links are refused, or the state file has other
 * links, the entry is a copy of `text`. On a failure no entry is left.
 */
export async function stageHistory(paths: HistoryPaths, text: string, replacedBy: number): Promise<string> {
  const dir = paths.history
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const newest = entryNames(dir)[0]
  const next = (newest === undefined ? 0 : seqOf(newest)) + 1
  const stamp = new Date().toISOString().replaceAll(':', '-')
  const pending = join(dir, `${PENDING}${String(next).padStart(6, '0')}-r${replacedBy}-${stamp}.sops.yaml`)
  try {
    if (statSync(paths.state).nlink > 1) throw new Error('the state file has other links')
    await link(paths.state, pending)
    // On disk before the state is replaced: a crash after that rename must still find the previous version.
    await syncDirectory(dir)
  } catch {
    try {
      await writeFileAtomic(pending, text)
    } catch (error) {
      await unlink(pending).catch(() => undefined)
      throw error
    }
  }
  return pending
}

/** Make the pending entry `pending` an entry: the state it holds has been replaced. */
export async function commitHistory(pending: string): Promise<void> {
  await rename(pending, join(dirname(pending), basename(pending).slice(PENDING.length)))
  await syncDirectory(dirname(pending))
}

/**
 * Settle the pending entries that a write left (cut short, or failed): one whose bytes the state still holds
 * was never replaced, and is removed; any other is the version the state replaced, and becomes an entry, unless
 * `name` is false (a write whose directory fsync failed: a crash may yet bring that version back as the state,
 * and the next command to take the lock decides again). Call with the state lock held, before anything replaces
 * the state (StateStore.withLock does).
 */
export async function settlePending(paths: HistoryPaths, name = true): Promise<void> {
  const names = namesIn(paths.history).filter(
    (n) => n.startsWith(PENDING) && ENTRY.test(n.slice(PENDING.length)),
  )
  for (const entry of names) {
    const pending = join(paths.history, entry)
    if (readTextIfExists(pending) === readTextIfExists(paths.state)) await unlink(pending)
    else if (name) await commitHistory(pending)
  }
}

/** Drop the oldest entries beyond `retention`; one that cannot be removed now is by a later write. */
export async function pruneHistory(dir: string, retention: number): Promise<void> {
  for (const old of entryNames(dir).slice(retention)) await unlink(join(dir, old)).catch(() => undefined)
}
