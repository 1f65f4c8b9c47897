/**
 * Where a booted machine lives and how it is started. Pure builders, no processes.
 *
 * A machine claims slot k (1..250) by creating `<BENCH_ROOT>/machines/dcvm<k>` (the same atomic claim as the
 * bench hosts, in its own directory so hosts and machines never take each other's names). The slot gives the
 * names: network namespace `dcvm<k>`, root-side veth `dcvmv<k>` with 10.214.<k>.1/24, the machine's `eth0`
 * with 10.214.<k>.2/24 (the address the cloud stand-in returns), cgroup `dcvm<k>`.
 * In the directory: `rootfs/` (an overlayfs over the cached image, upper and work beside it), `docker/`
 * (bound to /var/lib/docker: overlay2 cannot run on an overlayfs), `console.log` and `machine.json`.
 */
import { join } from 'node:path'
import { BENCH_ROOT, MAX_SLOT } from './layout.ts'

export const MACHINES_DIR = join(BENCH_ROOT, 'machines')

export interface MachineLayout {
  slot: number
  name: string
  netns: string
  veth: string
  address: string
  gateway: string
  dir: string
  rootfs: string
  upper: string
  work: string
  dockerDir: string
  consoleLog: string
  recordPath: string
  cgroupParent: string
}

export interface MachineRecord {
  /** The test process that owns the machine. */
  owner: number
  /** systemd-nspawn, whose SIGTERM powers the machine off. */
  nspawnPid?: number
}

/** Names, addresses and paths of the machine in slot k. */
export function buildMachineLayout(slot: number): MachineLayout {
  const name = `dcvm${slot}`
  const dir = join(MACHINES_DIR, name)
  return {
    slot,
    name,
    netns: name,
    veth: `dcvmv${slot}`,
    address: `10.214.${slot}.2`,
    gateway: `10.214.${slot}.1`,
    dir,
    rootfs: join(dir, 'rootfs'),
    upper: join(dir, 'upper'),
    work: join(dir, 'work'),
    dockerDir: join(dir, 'docker'),
    consoleLog: join(dir, 'console.log'),
    recordPath: join(dir, 'machine.json'),
    cgroupParent: name,
  }
}

/** The slot encoded in a machine directory or namespace name, or undefined for foreign names. */
export function parseMachineSlot(name: string): number | undefined {
  const match = /^dcvm(\d+)$/.exec(name)
  if (!match) return undefined
  const slot = Number(match[1])
  return slot >= 1 && slot <= MAX_SLOT ? slot : undefined
}

/** `ip -batch` lines in the root namespace: the machine's namespace and the veth pair, root side up. */
export function buildRootNetworkCommands(m: MachineLayout): string {
  return `${[
    `netns add ${m.netns}`,
    `link add ${m.veth} type veth peer name eth0 netns ${m.netns}`,
    `addr add ${m.gateway}/24 dev ${m.veth}`,
    `link set ${m.veth} up`,
  ].join('\n')}\n`
}

/** `ip -n <netns> -batch` lines: the machine's side, wired before it boots (cloud-init leaves it alone). */
export function buildMachineNetworkCommands(m: MachineLayout): string {
  return `${[
    'link set lo up',
    `addr add ${m.address}/24 dev eth0`,
    'link set eth0 up',
    `route add default via ${m.gateway}`,
  ].join('\n')}\n`
}

/** The NoCloud meta-data: a fresh instance id (cloud-init runs its first boot) and the server's name. */
export function buildMetaData(instanceId: string, hostname: string): string {
  return `instance-id: ${instanceId}\nlocal-hostname: ${hostname}\n`
}

/**
 * systemd-nspawn booting the machine (systemd as PID 1) in its network namespace:
 * - `--register=no --keep-unit`: there is no systemd on the host side to register with or ask for a scope,
 *   so nspawn stays in the cgroup the bench put it in (`dcvm<k>`);
 * - `--capability=all` and the keyring/bpf system calls: dockerd and runc inside need them, as on a VM;
 * - `--console=read-only`: the machine's console goes to nspawn's stdout, which is the console log.
 */
export function buildNspawnArgv(m: MachineLayout): string[] {
  return [
    'systemd-nspawn',
    '--quiet',
    `--directory=${m.rootfs}`,
    `--machine=${m.name}`,
    '--boot',
    '--register=no',
    '--keep-unit',
    `--network-namespace-path=/run/netns/${m.netns}`,
    '--console=read-only',
    '--capability=all',
    '--system-call-filter=@keyring bpf',
    `--bind=${m.dockerDir}:/var/lib/docker`,
  ]
}

/**
 * Environment of nspawn. On a cgroup v1 host (this one: v1 controllers plus an empty cgroup2 at
 * /sys/fs/cgroup/unified) nspawn would give the machine v1 controllers mounted read-only, and runc fails
 * with "mkdir /sys/fs/cgroup/cpuset/docker: read-only file system"; a unified (v2) hierarchy delegated to
 * the machine lets dockerd and runc create their cgroups. /proc/sys/net is made writable because dockerd
 * turns on IP forwarding in the machine's own network namespace, as it does on a VM.
 */
export const NSPAWN_ENV = {
  SYSTEMD_NSPAWN_UNIFIED_HIERARCHY: '1',
  SYSTEMD_NSPAWN_API_VFS_WRITABLE: 'network',
}
