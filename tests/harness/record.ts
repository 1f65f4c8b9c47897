/** The on-disk record of a host (`<hostDir>/host.json`): enough for teardown and for a later sweep. */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { HostLayout } from './layout.ts'

export interface HostRecord {
  /** The test process that owns the host. */
  owner: number
  /** `unshare`, whose death takes the host's PID 1 and everything in it along. */
  unsharePid?: number
  /** The host's PID 1 (a shell running init.sh). */
  initPid?: number
}

/** A JSON record file, or undefined when it is missing or unreadable (a half-claimed slot). */
export function readRecord<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T
  } catch {
    return undefined
  }
}

/** Replace a JSON record file. */
export function writeRecord(path: string, record: object): void {
  writeFileSync(path, `${JSON.stringify(record)}\n`)
}

const recordPath = (layout: HostLayout) => join(layout.dir, 'host.json')

/** The host's record, or undefined when it is missing or unreadable. */
export function readHostRecord(layout: HostLayout): HostRecord | undefined {
  return readRecord<HostRecord>(recordPath(layout))
}

/** Replace the host's record. */
export function writeHostRecord(layout: HostLayout, record: HostRecord): void {
  writeRecord(recordPath(layout), record)
}
