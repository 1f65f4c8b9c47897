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

const recordPath = (layout: HostLayout) => join(layout.dir, 'host.json')

/** The host's record, or undefined when it is missing or unreadable. */
export function readHostRecord(layout: HostLayout): HostRecord | undefined {
  try {
    return JSON.parse(readFileSync(recordPath(layout), 'utf8')) as HostRecord
  } catch {
    return undefined
  }
}

/** Replace the host's record. */
export function writeHostRecord(layout: HostLayout, record: HostRecord): void {
  writeFileSync(recordPath(layout), `${JSON.stringify(record)}\n`)
}
