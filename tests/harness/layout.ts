/**
 * Where a test host lives and the files that configure it. Pure builders, no processes.
 *
 * Every host claims a slot k (1..250) by creating `<BENCH_ROOT>/hosts/dcbench<k>` (mkdir is atomic, so
 * benches of parallel test runs never collide). The slot gives the names: network namespace `dcbench<k>`,
 * root-side veth `dcbv<k>` with 10.213.<k>.1/24, the host's `eth0` with 10.213.<k>.2/24.
 * Inside the host's private mount namespace, `<hostDir>/run` is bind-mounted over /run, so the host has its
 * own /run/cloud-init, /run/sshd and /run/docker.sock, all visible from outside under `<hostDir>/run`.
 */
import { join } from 'node:path'

/** Root-owned 0755 (sshd's StrictModes refuses a world-writable parent such as /tmp). */
export const BENCH_ROOT = '/var/lib/debug-cloud-bench'
export const HOSTS_DIR = join(BENCH_ROOT, 'hosts')
export const BENCHES_DIR = join(BENCH_ROOT, 'benches')
export const MAX_SLOT = 250
export const SSH_USER = 'deploy'

export interface HostLayout {
  slot: number
  name: string
  netns: string
  veth: string
  address: string
  gateway: string
  dir: string
  runDir: string
  sshDir: string
  dockerSocket: string
  cgroupParent: string
}

/** Names, addresses and paths of the host in slot k. */
export function buildHostLayout(slot: number): HostLayout {
  const name = `dcbench${slot}`
  const dir = join(HOSTS_DIR, name)
  const runDir = join(dir, 'run')
  return {
    slot,
    name,
    netns: name,
    veth: `dcbv${slot}`,
    address: `10.213.${slot}.2`,
    gateway: `10.213.${slot}.1`,
    dir,
    runDir,
    sshDir: join(dir, 'ssh'),
    dockerSocket: join(runDir, 'docker.sock'),
    cgroupParent: name,
  }
}

/** The slot encoded in a host directory or namespace name, or undefined for foreign names. */
export function parseSlot(name: string): number | undefined {
  const match = /^dcbench(\d+)$/.exec(name)
  if (!match) return undefined
  const slot = Number(match[1])
  return slot >= 1 && slot <= MAX_SLOT ? slot : undefined
}

/** sshd_config: key-only login for `deploy`, the pinned host key, sessions that reach this host's dockerd. */
export function buildSshdConfig(host: HostLayout): string {
  return `${[
    `ListenAddress ${host.address}:22`,
    `HostKey ${join(host.sshDir, 'ssh_host_ed25519_key')}`,
    'PidFile /run/sshd.pid',
    `AuthorizedKeysFile ${join(host.sshDir, 'authorized_keys')}`,
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin no',
    `AllowUsers ${SSH_USER}`,
    'UsePAM no',
    'AllowTcpForwarding yes',
    'AllowStreamLocalForwarding yes',
    'SetEnv DOCKER_HOST=unix:///run/docker.sock',
    'Subsystem sftp internal-sftp',
    'LogLevel VERBOSE',
  ].join('\n')}\n`
}

/**
 * dockerd argv: own data root, exec root, pidfile and socket; containers under the slot's cgroup parent. The
 * gateway is an insecure (plain HTTP) registry address: the tests' registry stand-in (tests/helpers/registry.ts)
 * listens there without TLS.
 */
export function buildDockerdArgv(host: HostLayout): string[] {
  return [
    'dockerd',
    '--data-root',
    join(host.dir, 'docker'),
    '--exec-root',
    '/run/docker',
    '--pidfile',
    '/run/docker.pid',
    '--host',
    'unix:///run/docker.sock',
    '--group',
    'docker',
    '--cgroup-parent',
    `/${host.cgroupParent}`,
    '--shutdown-timeout',
    '2',
    '--insecure-registry',
    `${host.gateway}/32`,
    '--log-level',
    'warn',
  ]
}

function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`
}

/**
 * The host's PID 1 (a shell in fresh mount + PID namespaces, already inside the network namespace):
 * private /run, then dockerd and sshd with their logs in the host directory. When it dies the kernel
 * kills everything in the host, containers included.
 */
export function buildInitScript(host: HostLayout): string {
  const sshd = ['/usr/sbin/sshd', '-D', '-e', '-f', join(host.sshDir, 'sshd_config')]
  return [
    'set -e',
    `mount --bind ${quote(host.runDir)} /run`,
    'ip link set lo up',
    `ip addr add ${host.address}/24 dev eth0`,
    'ip link set eth0 up',
    `ip route add default via ${host.gateway}`,
    `PATH=/usr/sbin:/usr/bin:/sbin:/bin ${buildDockerdArgv(host).map(quote).join(' ')} >>${quote(join(host.dir, 'dockerd.log'))} 2>&1 &`,
    `${sshd.map(quote).join(' ')} >>${quote(join(host.dir, 'sshd.log'))} 2>&1 &`,
    'wait',
    '',
  ].join('\n')
}

export type CloudInitStatus = 'running' | 'done'

/**
 * The files cloud-init writes in /run/cloud-init, as `cloud-init status` reads them: `done` is a finished
 * boot (status.json with every stage finished, plus result.json); `running` is stuck in modules-final.
 */
export function buildCloudInitFiles(
  status: CloudInitStatus,
  now: number,
): Record<string, string | undefined> {
  const stage = (finished: boolean) => ({ start: now - 5, finished: finished ? now - 1 : null, errors: [] })
  const done = status === 'done'
  const v1 = {
    datasource: 'DataSourceNoCloud [seed=/var/lib/cloud/seed/nocloud-net][dsmode=net]',
    stage: done ? null : 'modules-final',
    init: stage(true),
    'init-local': stage(true),
    'modules-config': stage(true),
    'modules-final': stage(done),
  }
  return {
    'status.json': `${JSON.stringify({ v1 }, null, 1)}\n`,
    'result.json': done
      ? `${JSON.stringify({ v1: { datasource: v1.datasource, errors: [] } }, null, 1)}\n`
      : undefined,
  }
}

/** A known_hosts line pinning exactly this host key for the address (port 22: no brackets). */
export function buildKnownHosts(address: string, hostPublicKey: string): string {
  return `${address} ${hostPublicKey}\n`
}

/** ssh options that pin the host key and use the client key, nothing from ~/.ssh. */
export function buildSshOpts(clientKeyPath: string, knownHostsPath: string): string[] {
  return [
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    `UserKnownHostsFile=${knownHostsPath}`,
    '-o',
    'GlobalKnownHostsFile=/dev/null',
    '-o',
    'IdentitiesOnly=yes',
    '-i',
    clientKeyPath,
    '-o',
    'BatchMode=yes',
    '-o',
    'ConnectTimeout=5',
  ]
}
