/**
 * SSH local forwards (`ssh -N -L …`) with the pinned host key: opened, waited for until every local port
 * accepts connections, and closed on the same code path. ExitOnForwardFailure makes a busy or refused
 * forward fail at once instead of leaving a half-open tunnel.
 */
import { createConnection, createServer } from 'node:net'
import { buildChildEnv, type Child, type Proc } from '../proc.ts'
import { HostKeyMismatchError, TunnelError } from './errors.ts'
import { isHostKeyFailure } from './ready.ts'
import { buildSshArgs, type SshTarget } from './target.ts'

/** Where the host connects to: a TCP `host:port` or an absolute unix socket path. */
export type ForwardRemote = { host: string; port: number } | { socket: string }

/** The local end is a TCP port on 127.0.0.1, or a unix socket path (put it in a private directory). */
export type Forward =
  | { localPort: number; remote: ForwardRemote }
  | { localSocket: string; remote: ForwardRemote }

export interface Tunnel {
  readonly pid: number | undefined
  readonly forwards: readonly Forward[]
  /** Resolves when the ssh process has exited (closed, or the connection dropped). */
  readonly ended: Promise<void>
  close(): Promise<void>
}

/** A TCP port on 127.0.0.1 that is free right now. */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      )
    })
  })
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
export function isPortOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

/** True when something accepts connections on the unix socket at `path`. */
export function isSocketOpen(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ path })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

/** True when the local end of `f` accepts connections. */
export function isForwardOpen(f: Forward): Promise<boolean> {
  return 'localSocket' in f ? isSocketOpen(f.localSocket) : isPortOpen(f.localPort)
}

function forwardSpec(f: Forward): string {
  const remote = 'socket' in f.remote ? f.remote.socket : `${f.remote.host}:${f.remote.port}`
  return 'localSocket' in f ? `${f.localSocket}:${remote}` : `127.0.0.1:${f.localPort}:${remote}`
}

/**
 * The tunnel's ciphers, best first: AES-GCM runs on the CPU's AES instructions (every x86-64 and arm64 cloud
 * VM has them) and is an AEAD, so no separate MAC; chacha20-poly1305 (OpenSSH's own default) stays as the
 * fallback. On the bench, AES-GCM moved more bytes per second than chacha20 through the same tunnel
 * (docs/testing.md, "Benchmarks"). The host key is pinned all the same (buildSshOptions).
 */
const TUNNEL_CIPHERS = 'aes128-gcm@openssh.com,aes256-gcm@openssh.com,chacha20-poly1305@openssh.com'

/** argv of the tunnel's ssh process. */
export function buildTunnelArgs(
  target: SshTarget,
  forwards: readonly Forward[],
  controlPath?: string,
): string[] {
  return buildSshArgs(
    target,
    [],
    [
      '-N',
      '-o',
      'ExitOnForwardFailure=yes',
      '-o',
      `Ciphers=${TUNNEL_CIPHERS}`,
      ...(controlPath ? ['-o', 'ControlMaster=yes', '-o', `ControlPath=${controlPath}`] : []),
      ...(forwards.some((f) => 'localSocket' in f) ? ['-o', 'StreamLocalBindUnlink=yes'] : []),
      ...forwards.flatMap((f) => ['-L', forwardSpec(f)]),
    ],
  )
}

/**
 * argv that runs `true` in a session over the tunnel's ControlMaster. OpenSSH before 9.7 (Debian 12 has 9.2)
 * turns on TCP_NODELAY for its side of a connection only when a session runs a command there, so without one
 * every response written in two pieces waited on a delayed ACK: about 40 ms per request through the tunnel
 * (docs/testing.md, "Benchmarks"). The option outlives the session. `-n`: the session reads nothing. The full
 * target, not just the socket, so that a master gone meanwhile means a pinned connection of its own, never some
 * other host.
 */
export function buildNoDelayArgs(target: SshTarget, controlPath: string): string[] {
  return buildSshArgs(target, ['true'], ['-n', '-o', 'ControlMaster=no', '-o', `ControlPath=${controlPath}`])
}

/**
 * Switch the host's end of a tunnel's connection to TCP_NODELAY (buildNoDelayArgs), once its ControlMaster
 * answers on `controlPath` (ssh opens the forwards before it listens there). Only a latency gain: when the
 * master does not answer within a second, or the host refuses the command or keeps it waiting (a forced
 * command), the tunnel works all the same; the session is stopped after 5 s.
 */
export async function setHostNoDelay(proc: Proc, target: SshTarget, controlPath: string): Promise<void> {
  const deadline = Date.now() + 1000
  while (!(await isSocketOpen(controlPath))) {
    if (Date.now() > deadline) return
    await new Promise((r) => setTimeout(r, 20))
  }
  await proc.run(buildNoDelayArgs(target, controlPath), {
    env: buildChildEnv(),
    signal: AbortSignal.timeout(5000),
  })
}

/**
 * Open the forwards and wait (up to `timeoutMs`) until every local port answers. With a `controlPath` the
 * host's end of the connection is also switched to TCP_NODELAY (setHostNoDelay); without it, it stays as
 * OpenSSH left it (a short-lived health check).
 */
export async function openTunnel(
  proc: Proc,
  target: SshTarget,
  forwards: readonly Forward[],
  options: { timeoutMs?: number; controlPath?: string } = {},
): Promise<Tunnel> {
  const child: Child = proc.start(buildTunnelArgs(target, forwards, options.controlPath), {
    env: buildChildEnv(),
  })
  const stderr: string[] = []
  child.onStderr((line) => stderr.push(line))
  let exited = false
  const ended = child.done.then(() => {
    exited = true
  })
  const close = async () => {
    if (!exited) child.kill('SIGTERM')
    await child.done
  }
  const deadline = Date.now() + (options.timeoutMs ?? 15_000)
  for (;;) {
    if (exited) {
      const text = stderr.join('\n')
      if (isHostKeyFailure(text)) throw new HostKeyMismatchError(target.host)
      throw new TunnelError(target.host, stderr.at(-1) ?? 'ssh exited')
    }
    const open = await Promise.all(forwards.map(isForwardOpen))
    if (open.every(Boolean)) {
      if (options.controlPath) await setHostNoDelay(proc, target, options.controlPath)
      return { pid: child.pid, forwards, ended, close }
    }
    if (Date.now() > deadline) {
      await close()
      throw new TunnelError(target.host, 'the forwards did not start listening in time')
    }
    await new Promise((r) => setTimeout(r, 100))
  }
}
