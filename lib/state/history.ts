/**
 * Previous versions of the state file, kept byte for byte (still encrypted) in history/ as
 * `<seq>-r<version>-<time>.sops.yaml`, where <version> is the seal version of the state that replaced it
 * (`<seq>-<time>.sops.yaml` from before sealing); number 1 is the most recent. Retention is bounded by the
 * profile. The versions in the names let every read see, without decrypting history, which version the current
 * state must at least be: an older file put back, or an unsealed one, shows.
 */
import { readdirSync } from 'node:fs'
import { link, mkdir, stat, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { UsageError } from '../errors.ts'
import { syncDirectory, writeFileAtomic } from './atomic.ts'

export interface HistoryEntry {
  /** 1 = the version just before the current one. */
  n: number
  file: string
  savedAt: string
  bytes: number
}

const ENTRY = /^(\d{6,})(?:-r(\d+))?-[0-9TZ.-]+\.sops\.yaml$/

async function entryNames(dir: string): Promise<string[]> {
  let names: string[] = []
  try {
    // Synchronous: every read of the state lists history/ (lib/state/atomic.ts, readTextIfExists).
    names = readdirSync(dir)
  } catch {}
  return names.filter((name) => ENTRY.test(name)).sort((a, b) => seqOf(b) - seqOf(a))
}

function seqOf(name: string): number {
  return Number(ENTRY.exec(name)![1])
}

/** Every kept version, newest first. */
export async function listHistory(dir: string): Promise<HistoryEntry[]> {
  const names = await entryNames(dir)
  return Promise.all(
    names.map(async (name, i) => {
      const file = join(dir, name)
      const info = await stat(file)
      return { n: i + 1, file, savedAt: info.mtime.toISOString(), bytes: info.size }
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
  const versions = (await entryNames(dir)).map((name) => Number(ENTRY.exec(name)?.[2] ?? 0))
  return Math.max(0, ...versions)
}

/**
 * Keep the state file `state` (its text `text`, about to be replaced by seal version `replacedBy`) as the newest
 * history entry; returns the entry's path. The entry is a hard link to the file, whose bytes are on disk
 * already: a copy wrote and fsync'ed the whole file again (2.8 MiB at 10,000 sessions, docs/testing.md). The
 * write that follows replaces the state by a rename, so the entry keeps these bytes. Where links are refused,
 * the entry is a copy of `text`.
 */
export async function keepInHistory(
  dir: string,
  state: { file: string; text: string },
  replacedBy: number,
): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const newest = (await entryNames(dir))[0]
  const next = (newest === undefined ? 0 : seqOf(newest)) + 1
  const stamp = new Date().toISOString().replaceAll(':', '-')
  const entry = join(dir, `${String(next).padStart(6, '0')}-r${replacedBy}-${stamp}.sops.yaml`)
  await link(state.file, entry).then(
    () => syncDirectory(dir),
    () => writeFileAtomic(entry, state.text),
  )
  return entry
}

/** Drop the oldest entries beyond `retention`. */
export async function pruneHistory(dir: string, retention: number): Promise<void> {
  for (const old of (await entryNames(dir)).slice(retention)) await unlink(join(dir, old))
}
