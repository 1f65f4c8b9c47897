/**
 * The record of an open `cloud:connect`: a 0600 JSON file in the operator's stack folder with the ssh pid,
 * its ControlMaster socket and the private runtime directory, so `--close` (or Ctrl-C in the foreground)
 * can end exactly that process and `status` can show it. Nothing secret is in it.
 */
import { readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildChildEnv, type Proc } from '../proc.ts'
import { writeFileAtomic } from '../state/atomic.ts'
import type { OperatorPaths } from '../state/paths.ts'
import { findPrivateDirProblem } from '../state/private-dir.ts'
import { stackFolder } from '../state/workspace.ts'

export interface ConnectionRecord {
  pid: number
  mode: 'foreground' | 'background'
  /** 0700 directory holding the ControlMaster socket and the local Docker socket. */
  runtimeDir: string
  controlPath: string
  /** The forwarded Docker socket (`unix://…`), or null when only app ports were forwarded. */
  dockerHost: string | null
  urls: { name: string; url: string }[]
  startedAt: string
}

/** The prefix of every runtime directory connect makes (`mkdtemp` makes them 0700). */
export function connectDirPrefix(): string {
  return join(tmpdir(), 'dc-connect-')
}

/** Where the connection record of `stack` lives. */
export function connectionRecordPath(paths: OperatorPaths, stack: string): string {
  return join(stackFolder(paths, stack), 'connect.json')
}

/** The recorded connection, or undefined when none is (or the file is unreadable). */
export async function readConnection(
  paths: OperatorPaths,
  stack: string,
): Promise<ConnectionRecord | undefined> {
  const text = await readFile(connectionRecordPath(paths, stack), 'utf8').catch(() => undefined)
  if (text === undefined) return undefined
  try {
    const value = JSON.parse(text) as ConnectionRecord
    return Number.isInteger(value.pid) && typeof value.controlPath === 'string' ? value : undefined
  } catch {
    return undefined
  }
}

/** Persist the record (0600, atomic). */
export async function writeConnection(
  paths: OperatorPaths,
  stack: string,
  record: ConnectionRecord,
): Promise<void> {
  await writeFileAtomic(connectionRecordPath(paths, stack), `${JSON.stringify(record, null, 2)}\n`, 0o600)
}

/** Remove the record and the runtime directory (sockets) it names. */
export async function removeConnection(
  paths: OperatorPaths,
  stack: string,
  record: ConnectionRecord,
): Promise<void> {
  // The record is a file a person could edit: only ever remove a directory connect itself made.
  if ((await findPrivateDirProblem(record.runtimeDir, connectDirPrefix())) === undefined)
    await rm(record.runtimeDir, { recursive: true, force: true })
  await rm(connectionRecordPath(paths, stack), { force: true })
}

/** argv of an `ssh -O <command>` request to the ControlMaster behind `controlPath`. */
export function buildControlArgs(controlPath: string, command: 'check' | 'exit'): string[] {
  // The host argument is required by ssh but unused: the request goes to the socket.
  return ['ssh', '-F', '/dev/null', '-o', `ControlPath=${controlPath}`, '-O', command, 'debug-cloud']
}

/** The pid of the ControlMaster answering on `controlPath`, or undefined when none answers. */
export async function checkControlMaster(proc: Proc, controlPath: string): Promise<number | undefined> {
  const result = await proc.run(buildControlArgs(controlPath, 'check'), { env: buildChildEnv() })
  if (result.exitCode !== 0) return undefined
  // ssh has no machine-readable form of this answer: "Master running (pid=1234)".
  const match = /\(pid=(\d+)\)/.exec(result.stderr)
  return match ? Number(match[1]) : undefined
}

/** True while the ssh process of this connection still answers on its control socket. */
export async function isConnectionAlive(
  proc: Proc,
  record: Pick<ConnectionRecord, 'pid' | 'controlPath'>,
): Promise<boolean> {
  return (await checkControlMaster(proc, record.controlPath)) === record.pid
}
