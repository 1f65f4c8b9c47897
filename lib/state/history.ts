/**
 * Previous versions of the state file, kept byte for byte (still encrypted) in history/ as
 * `<seq>-r<version>-<time>.sops.yaml`, where <version> is the seal version of the state that replaced it
 * (`<seq>-<time>.sops.yaml` from before sealing); number 1 is the most recent. Retention is bounded by the
 * profile. The versions in the names let every read see, without decrypting history, which version the current
 * state must at least be: an older file put back, or an unsealed one, shows.
 */
import { mkdir, readdir, stat, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { UsageError } from '../errors.ts'
import { writeFileAtomic } from './atomic.ts'

export interface HistoryEntry {
  /** 1 = the version just before the current one. */
  n: number
  file: string
  savedAt: string
  bytes: number
}

const ENTRY = /^(\d{6,})(?:-r(\d+))?-[0-9TZ.-]+\.sops\.yaml$/

async function entryNames(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[])
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
 * Keep `text` (the previous state file, replaced by seal version `replacedBy`) as the newest history entry,
 * then drop entries beyond `retention`.
 */
export async function pushHistory(
  dir: string,
  text: string,
  retention: number,
  replacedBy: number,
): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const names = await entryNames(dir)
  const next = (names[0] === undefined ? 0 : seqOf(names[0])) + 1
  const stamp = new Date().toISOString().replaceAll(':', '-')
  await writeFileAtomic(join(dir, `${String(next).padStart(6, '0')}-r${replacedBy}-${stamp}.sops.yaml`), text)
  for (const old of names.slice(Math.max(0, retention - 1))) await unlink(join(dir, old))
}
