/**
 * `cloud:connect`: pinned SSH local forwards for the app ports (127.0.0.1) and, when asked, the host's Docker
 * socket (a unix socket in a private 0700 directory, never a TCP port other local users could reach), one ssh
 * process that is also the ControlMaster. In the foreground it lives as long as the command; in the
 * background ssh detaches itself once every forward listens (`-f` with ExitOnForwardFailure) and
 * `--close` ends it through its control socket.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { CliError, ExitCode } from '../errors.ts'
import { buildChildEnv, type Proc } from '../proc.ts'
import { HostKeyMismatchError, TunnelError } from '../ssh/errors.ts'
import { isHostKeyFailure } from '../ssh/ready.ts'
import { buildSshArgs, type SshTarget } from '../ssh/target.ts'
import {
  buildTunnelArgs,
  type Forward,
  findFreePort,
  isForwardOpen,
  openTunnel,
  setHostNoDelay,
} from '../ssh/tunnel.ts'
import { isProcessDead } from '../state/lock.ts'
import {
  buildControlArgs,
  type ConnectionRecord,
  checkControlMaster,
  connectDirPrefix,
  isConnectionAlive,
  readConnection,
  removeConnection,
  writeConnection,
} from './connection.ts'
import { AlreadyConnectedError } from './errors.ts'
import { type AppForward, chooseLocalPorts } from './ports.ts'
import { publishedPorts, type StackHandle } from './stack.ts'

/** Docker's default socket, used when the host's sessions set no DOCKER_HOST. */
export const DEFAULT_REMOTE_SOCKET = '/var/run/docker.sock'

export interface OpenConnection {
  record: ConnectionRecord
  forwards: AppForward[]
  /** Resolves when the ssh process ends (foreground only; never for background). */
  ended: Promise<void>
  /** End the ssh process and remove the record and sockets. */
  close(): Promise<void>
}

/** The remote Docker socket path from the host's DOCKER_HOST (`unix://…`), or Docker's default when unset. */
export function parseRemoteDockerHost(value: string | undefined): string {
  const text = value?.trim() ?? ''
  if (text === '') return DEFAULT_REMOTE_SOCKET
  if (text.startsWith('unix:///')) return text.slice('unix://'.length)
  throw new CliError(`The host's sessions use DOCKER_HOST=${text}; only a unix socket can be forwarded.`, {
    hint: 'Let dockerd listen on /var/run/docker.sock (the default) on the host.',
    exitCode: ExitCode.badInput,
  })
}

/** Ask the host which Docker socket its SSH sessions use. */
export async function discoverDockerSocket(proc: Proc, ssh: SshTarget): Promise<string> {
  const result = await proc.run(buildSshArgs(ssh, ['printenv', 'DOCKER_HOST']), { env: buildChildEnv() })
  if (isHostKeyFailure(result.stderr)) throw new HostKeyMismatchError(ssh.host)
  // printenv exits 1 when the variable is unset; ssh itself exits 255 when it could not connect.
  if (result.exitCode === 0 || result.exitCode === 1)
    return parseRemoteDockerHost(result.exitCode === 0 ? result.stdout : undefined)
  throw new TunnelError(ssh.host, result.stderr.trim().split('\n').at(-1) || `ssh exited ${result.exitCode}`)
}

/** Refuse when a live connection exists; remove the leftovers of a dead one. */
async function verifyNotConnected(proc: Proc, stack: StackHandle): Promise<void> {
  const existing = await readConnection(stack.paths, stack.name)
  if (!existing) return
  if (await isConnectionAlive(proc, existing)) throw new AlreadyConnectedError(stack.name, existing.pid)
  await removeConnection(stack.paths, stack.name, existing)
}

/** Open the forwards of `stack` (which must be reached over SSH); see the module comment. */
export async function openConnection(
  proc: Proc,
  stack: StackHandle & { ssh: SshTarget },
  options: { strictPorts: boolean; background: boolean; docker: boolean },
): Promise<OpenConnection> {
  await verifyNotConnected(proc, stack)
  const remoteSocket = options.docker ? await discoverDockerSocket(proc, stack.ssh) : undefined
  const apps = await chooseLocalPorts(publishedPorts(stack.record), {
    strict: options.strictPorts,
    pickFree: findFreePort,
  })
  const runtimeDir = await mkdtemp(connectDirPrefix())
  const controlPath = join(runtimeDir, 'ctl')
  const dockerSocket = join(runtimeDir, 'docker.sock')
  const forwards: Forward[] = [
    ...apps.map((a) => ({ localPort: a.localPort, remote: a.remote })),
    ...(remoteSocket ? [{ localSocket: dockerSocket, remote: { socket: remoteSocket } }] : []),
  ]
  const base = {
    mode: options.background ? ('background' as const) : ('foreground' as const),
    runtimeDir,
    controlPath,
    dockerHost: remoteSocket ? `unix://${dockerSocket}` : null,
    urls: apps.map((a) => ({ name: a.name, url: `http://127.0.0.1:${a.localPort}` })),
    startedAt: new Date().toISOString(),
  }
  try {
    if (options.background) {
      const pid = await startBackgroundTunnel(proc, stack.ssh, forwards, controlPath)
      const record = { ...base, pid }
      await writeConnection(stack.paths, stack.name, record)
      return {
        record,
        forwards: apps,
        ended: new Promise(() => {}),
        close: () => closeRecorded(proc, stack, record),
      }
    }
    const tunnel = await openTunnel(proc, stack.ssh, forwards, { controlPath })
    const record = { ...base, pid: tunnel.pid ?? -1 }
    await writeConnection(stack.paths, stack.name, record)
    const close = async () => {
      await tunnel.close()
      await removeConnection(stack.paths, stack.name, record)
    }
    return { record, forwards: apps, ended: tunnel.ended, close }
  } catch (error) {
    await rm(runtimeDir, { recursive: true, force: true })
    throw error
  }
}

/** `ssh -f`: returns once every forward listens and ssh has detached; the pid comes from its ControlMaster. */
async function startBackgroundTunnel(
  proc: Proc,
  ssh: SshTarget,
  forwards: readonly Forward[],
  controlPath: string,
): Promise<number> {
  const [binary, ...args] = buildTunnelArgs(ssh, forwards, controlPath)
  const result = await proc.run([binary!, '-f', ...args], { env: buildChildEnv() })
  if (isHostKeyFailure(result.stderr)) throw new HostKeyMismatchError(ssh.host)
  if (result.exitCode !== 0)
    throw new TunnelError(
      ssh.host,
      result.stderr.trim().split('\n').at(-1) || `ssh exited ${result.exitCode}`,
    )
  const pid = await checkControlMaster(proc, controlPath)
  const open = await Promise.all(forwards.map(isForwardOpen))
  if (pid === undefined || !open.every(Boolean)) {
    await proc.run(buildControlArgs(controlPath, 'exit'), { env: buildChildEnv() })
    throw new TunnelError(ssh.host, 'ssh went to the background but its forwards do not answer')
  }
  await setHostNoDelay(proc, ssh, controlPath)
  return pid
}

/** Ask the ControlMaster to exit, wait (≤ 5 s) until its process is gone, remove record and sockets. */
async function closeRecorded(proc: Proc, stack: StackRef, record: ConnectionRecord): Promise<void> {
  if (await isConnectionAlive(proc, record)) {
    await proc.run(buildControlArgs(record.controlPath, 'exit'), { env: buildChildEnv() })
    const deadline = Date.now() + 5000
    while (!isProcessDead(record.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    if (!isProcessDead(record.pid))
      throw new CliError(`The tunnel's ssh process ${record.pid} did not exit.`, {
        hint: `End it with \`kill ${record.pid}\`, then run --close again.`,
      })
  }
  await removeConnection(stack.paths, stack.name, record)
}

/** Which stack's connection: needs no decrypted state, so it works for a destroyed stack too. */
export type StackRef = Pick<StackHandle, 'paths' | 'name'>

/** `--close`: end the recorded connection of `stack`; returns its record, or undefined when none was open. */
export async function closeConnection(proc: Proc, stack: StackRef): Promise<ConnectionRecord | undefined> {
  const record = await readConnection(stack.paths, stack.name)
  if (!record) return undefined
  await closeRecorded(proc, stack, record)
  return record
}
