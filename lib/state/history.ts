/**
 * Previous versions of the state file, kept byte for byte (still encrypted) in history/ as
 * `<seq>-r<version>-<time>.sops.yaml`, where <version> is the seal version of the state that replaced it
 * (`<seq>-<time>.sops.yaml` from before sealing); number 1 is the most recent. Retention is bounded by the
 * profile. The versions in the names let every read see, without decrypting history, which version the current
 * state must at least be: an older file put back, or an unsealed one, shows.
 */
import { readdirSync, statSync } from 'node:fs'
import { link, mkdir, stat, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { UsageError } from '../errors.ts'
import { syncDirectory, writeFileAtomic } from './atomic.ts'
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

/** The entries' names, newest first, raw: with a leftover of an interrupted write (isLeftover). */
function allEntryNames(dir: string): string[] {
  let names: string[] = []
  try {
    // Synchronous: every read of the state lists history/ (lib/state/atomic.ts, readTextIfExists).
    names = readdirSync(dir)
  } catch {}
  return names.filter((name) => ENTRY.test(name)).sort((a, b) => seqOf(b) - seqOf(a))
}

/**
 * True when history entry `name` is the state file itself (a hard link to it): what a write that was
 * interrupted between keeping the state in history and replacing it leaves (keepInHistory). Such an entry
 * holds no version but the current one, so it is not one: reads pass over it, and the next command to take
 * the state lock removes it (removeLeftover).
 */
function isLeftover(paths: HistoryPaths, name: string | undefined): boolean {
  if (name === undefined) return false
  try {
    const [entry, state] = [statSync(join(paths.history, name)), statSync(paths.state)]
    return entry.ino === state.ino && entry.dev === state.dev
  } catch {
    return false
  }
}

/** The entries' names, newest first. */
function entryNames(paths: HistoryPaths): string[] {
  const names = allEntryNames(paths.history)
  return isLeftover(paths, names[0]) ? names.slice(1) : names
}

/**
 * Remove a leftover of an interrupted write (isLeftover). Call with the state lock held, before anything
 * replaces the state: then no write is under way, and once the state is replaced, the entry would no longer
 * be the state file but look like a version of its own (and keep the keys of before a rotate-key).
 */
export async function removeLeftover(paths: HistoryPaths): Promise<void> {
  const newest = allEntryNames(paths.history)[0]
  if (isLeftover(paths, newest)) await unlink(join(paths.history, newest!))
}

function seqOf(name: string): number {
  return Number(ENTRY.exec(name)![1])
}

/** When the entry `name` was replaced, from its name (the time with `-` for `:`), else its file's mtime. */
function savedAt(name: string, mtime: Date): string {
  const time = new Date(ENTRY.exec(name)![3]!.replace(/T(\d\d)-(\d\d)-/, 'T$1:$2:'))
  return Number.isNaN(time.getTime()) ? mtime.toISOString() : time.toISOString()
}

/** Every kept version, newest first. */
export async function listHistory(paths: HistoryPaths): Promise<HistoryEntry[]> {
  return Promise.all(
    entryNames(paths).map(async (name, i) => {
      const file = join(paths.history, name)
      const info = await stat(file)
      return { n: i + 1, file, savedAt: savedAt(name, info.mtime), bytes: info.size }
    }),
  )
}

/** The entry numbered `n` (1 = newest), or a UsageError listing what exists. */
export async function historyEntry(paths: HistoryPaths, n: number): Promise<HistoryEntry> {
  const entries = await listHistory(paths)
  const entry = entries[n - 1]
  if (!Number.isInteger(n) || n < 1 || entry === undefined)
    throw new UsageError(
      `There is no history entry ${n}; ${entries.length} version(s) are kept.`,
      'List them with `npm run state -- history`.',
    )
  return entry
}

/** The highest seal version that replaced a history entry (0 when none did): the current state is at least it. */
export async function latestReplacingVersion(paths: HistoryPaths): Promise<number> {
  const versions = entryNames(paths).map((name) => Number(ENTRY.exec(name)?.[2] ?? 0))
  return Math.max(0, ...versions)
}

/**
 * Keep the state file (its text `text`, about to be replaced by seal version `replacedBy`) as the newest
 * history entry; returns the entry's path. Call with the state lock held (after removeLeftover). The entry is a hard link to the
 * file, whose bytes are on disk already: a copy wrote and fsync'ed the whole file again (2.8 MiB at 10,000
 * sessions, docs/testing.md). The write that follows replaces the state by a rename, so the entry keeps these
 * bytes. Where links are refused, or the state file has other links, the entry is a copy of `text`. On a
 * failure no entry is left.
 */
export async function keepInHistory(paths: HistoryPaths, text: string, replacedBy: number): Promise<string> {
  const dir = paths.history
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const names = allEntryNames(dir)
  const next = (names[0] === undefined ? 0 : seqOf(names[0])) + 1
  const stamp = new Date().toISOString().replaceAll(':', '-')
  const entry = join(dir, `${String(next).padStart(6, '0')}-r${replacedBy}-${stamp}.sops.yaml`)
  try {
    if (statSync(paths.state).nlink > 1) throw new Error('the state file has other links')
    await link(paths.state, entry)
    await syncDirectory(dir)
  } catch {
    try {
      await writeFileAtomic(entry, text)
    } catch (error) {
      await unlink(entry).catch(() => undefined)
      throw error
    }
  }
  return entry
}

/** Drop the oldest entries beyond `retention`; one that cannot be removed now is by a later write. */
export async function pruneHistory(paths: HistoryPaths, retention: number): Promise<void> {
  for (const old of entryNames(paths).slice(retention))
    await unlink(join(paths.history, old)).catch(() => undefined)
}
