/**
 * State files on disk. Crash- and disk-full-safe replacement: write a temp file in the same directory, fsync
 * it, rename it over the target, fsync the directory; on a failure before the rename the temp file is removed
 * and the old file is intact. Reads are synchronous (readTextIfExists).
 */
import { randomBytes } from 'node:crypto'
import { readFileSync, realpathSync } from 'node:fs'
import { open, rename, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { StateIoError } from './errors.ts'

/** Flush a directory entry change (rename, create) to disk. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/**
 * Replace `path` with `data` atomically (mode 0600 by default). Throws StateIoError: the old file stays intact,
 * unless only the directory's fsync after the rename failed (the message says which).
 */
export async function writeFileAtomic(path: string, data: string, mode = 0o600): Promise<void> {
  const dir = dirname(path)
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
  let renamed = false
  try {
    const handle = await open(temp, 'wx', mode)
    try {
      await handle.writeFile(data)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(temp, path)
    renamed = true
    await syncDirectory(dir)
  } catch (error) {
    await unlink(temp).catch(() => undefined)
    const code = (error as NodeJS.ErrnoException).code
    const hint =
      code === 'ENOSPC' || code === 'EDQUOT'
        ? `The disk holding ${dir} is full: free some space and run the command again.`
        : `Check that ${dir} exists and is writable, then run the command again.`
    throw new StateIoError(
      renamed
        ? `Wrote ${path}, but could not sync its directory (${code ?? String(error)}): a crash now may bring back the previous file.`
        : `Could not write ${path} (${code ?? String(error)}); the previous file is intact.`,
      hint,
      error,
    )
  }
}

/** The file's text, or undefined when it does not exist. */
export function readTextIfExists(path: string): string | undefined {
  try {
    // Synchronous: a command waits for each of its files in turn anyway, and a read handed to libuv's thread
    // pool and back cost more than reading the file (idle time in a `cloud:status` profile, docs/testing.md).
    return readFileSync(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new StateIoError(`Cannot read ${path}.`, 'Check its permissions.', error)
  }
}

/** The real path of `path`, or `path` itself when it cannot be resolved (gone, a dangling link). */
export function realpathOrSelf(path: string): string {
  try {
    return realpathSync.native(path)
  } catch {
    return path
  }
}
