/**
 * What a build stamp knows of the binary it vouches for: its SHA-256, taken right after the build, and the
 * file's identity then (inode, size, change time). Before a pinned binary is used (and handed secrets in its
 * environment) it is checked against that record: an unchanged identity means the file was not written since
 * (its change time cannot be set back without root), otherwise its content is hashed again and must match.
 * A replaced binary is refused. Honest limit: whoever can replace the binary can rewrite the stamp beside it
 * too; the record catches a binary swapped or overwritten by anything that does not know about stamps.
 */
import { createHash } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import { ToolReplacedError } from './errors.ts'

export interface BinaryRecord {
  sha256: string
  size: number
  ino: number
  ctimeMs: number
}

function sha256Of(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex')
}

/** Hash and identify the binary at `path` (right after building it). */
export function recordBinary(path: string): BinaryRecord {
  const info = statSync(path)
  return { sha256: sha256Of(path), size: info.size, ino: info.ino, ctimeMs: info.ctimeMs }
}

/** True when `value` is a complete binary record (stamps written before binaries were recorded have none). */
export function isBinaryRecord(value: unknown): value is BinaryRecord {
  const r = value as Partial<BinaryRecord> | undefined
  return (
    typeof r?.sha256 === 'string' &&
    typeof r.size === 'number' &&
    typeof r.ino === 'number' &&
    typeof r.ctimeMs === 'number'
  )
}

/** Throw ToolReplacedError unless the binary at `path` is the one `recorded` describes. */
export function verifyBinary(tool: string, path: string, recorded: unknown): void {
  if (!isBinaryRecord(recorded)) throw new ToolReplacedError(tool, path, 'has no recorded hash')
  const info = statSync(path)
  if (info.ino === recorded.ino && info.size === recorded.size && info.ctimeMs === recorded.ctimeMs) return
  if (info.size !== recorded.size || sha256Of(path) !== recorded.sha256)
    throw new ToolReplacedError(tool, path, 'is not the binary that was built (its SHA-256 changed)')
}
