/**
 * The audit log as a hash chain: every line carries `prev`, the SHA-256 (hex) of the exact text of the line
 * before it (of the empty string for the first line), so editing, removing, inserting or reordering lines
 * breaks the chain at a line that `state verify` names. The file is only ever opened without following
 * symlinks, and appended to under a short lock so two processes never link to the same line.
 *
 * Honest limit: the chain cannot show that lines were cut off the END (or the whole file removed), since
 * nothing outside the file remembers its last line.
 */
import { createHash } from 'node:crypto'
import { constants } from 'node:fs'
import { type FileHandle, open } from 'node:fs/promises'
import { LockHeldError, StateUnsafeError } from '../state/errors.ts'
import { acquireLock, buildHolder } from '../state/lock.ts'

/** The chain link a line after `previousLine` (its text without the newline) carries. */
export function chainLink(previousLine: string): string {
  return createHash('sha256').update(previousLine).digest('hex')
}

/** How many bytes from the end are read to find the last line (an entry is well under 4 KiB). */
const TAIL_BYTES = 64 * 1024
const LOCK_WAIT_MS = 5000

/** Open `path` without following a symlink at its end; a link is refused, not followed. */
export async function openNoFollow(path: string, flags: number, mode = 0o600): Promise<FileHandle> {
  try {
    return await open(path, flags | constants.O_NOFOLLOW, mode)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP')
      throw new StateUnsafeError(
        `${path} is a symlink; the audit log is never read or written through links.`,
        'Replace it with the real file (move the link aside and run again: a new log starts).',
      )
    throw error
  }
}

/** The file's last line (without its newline) and whether the file ends with a newline. */
async function readLastLine(file: FileHandle): Promise<{ last: string; complete: boolean }> {
  const { size } = await file.stat()
  const start = Math.max(0, size - TAIL_BYTES)
  const { buffer, bytesRead } = await file.read(Buffer.alloc(size - start), 0, size - start, start)
  let text = buffer.subarray(0, bytesRead).toString('utf8')
  // A last line longer than the window (never written by us): read the whole file once.
  if (start > 0 && !text.slice(0, -1).includes('\n')) text = (await file.readFile()).toString('utf8')
  const complete = text === '' || text.endsWith('\n')
  const body = complete ? text.slice(0, -1) : text
  return { last: body.slice(body.lastIndexOf('\n') + 1), complete }
}

/** Take the log's append lock (`<log>.lock/`), waiting briefly for another appender; returns the release. */
async function lockLog(path: string): Promise<() => Promise<void>> {
  const deadline = Date.now() + LOCK_WAIT_MS
  for (;;) {
    try {
      return await acquireLock(`${path}.lock`, buildHolder('audit append'))
    } catch (error) {
      if (!(error instanceof LockHeldError) || Date.now() > deadline) throw error
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }
}

/** Append `entry` as one JSON line chained to the last line of the log at `path` (created 0600). */
export async function appendChained(path: string, entry: object): Promise<void> {
  const release = await lockLog(path)
  try {
    const file = await openNoFollow(path, constants.O_RDWR | constants.O_APPEND | constants.O_CREAT)
    try {
      const { last, complete } = await readLastLine(file)
      // A torn last line (a crash mid-write) stays a line of its own, which verify then reports.
      const line = `${complete ? '' : '\n'}${JSON.stringify({ prev: chainLink(last), ...entry })}\n`
      await file.write(line)
    } finally {
      await file.close()
    }
  } finally {
    await release()
  }
}

export interface ChainProblem {
  /** 1-based line number. */
  line: number
  problem: string
}

/** Every break in the chain of the log at `path` (an empty list: intact). */
export async function verifyAuditChain(path: string): Promise<{ lines: number; problems: ChainProblem[] }> {
  const file = await openNoFollow(path, constants.O_RDONLY)
  const text = await file.readFile('utf8').finally(() => file.close())
  const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n')
  if (text === '') return { lines: 0, problems: [] }
  const problems: ChainProblem[] = []
  lines.forEach((line, i) => {
    const expected = chainLink(i === 0 ? '' : (lines[i - 1] ?? ''))
    let prev: unknown
    try {
      prev = (JSON.parse(line) as { prev?: unknown }).prev
    } catch {
      problems.push({ line: i + 1, problem: 'is not a JSON entry (edited, or torn by a crash)' })
      return
    }
    if (prev === undefined)
      problems.push({
        line: i + 1,
        problem: 'has no chain link (written before the log was chained, or edited)',
      })
    else if (prev !== expected)
      problems.push({
        line: i + 1,
        problem:
          i === 0
            ? 'does not start the chain: lines before it were removed'
            : `does not follow line ${i}: a line was edited, removed, inserted or moved here`,
      })
  })
  return { lines: lines.length, problems }
}
