/**
 * Removing a host, from its on-disk record alone: kill its PID 1 (the kernel then kills every process in
 * the host's PID namespace, containers included), delete the namespace and veth, the cgroups dockerd made,
 * any mount left under the host directory, and the directory (which frees the slot). Machines likewise.
 */
import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { HostLayout } from './layout.ts'
import type { MachineLayout, MachineRecord } from './machine-layout.ts'
import { readHostRecord, readRecord } from './record.ts'
import { isAlive, run, waitFor } from './system.ts'

const CGROUP_ROOT = '/sys/fs/cgroup'
export const NETNS_DIR = '/run/netns'
/** nspawn's per-machine directory for mounts into a running machine (it warns and leaves it behind). */
export const NSPAWN_PROPAGATE_DIR = '/run/systemd/nspawn/propagate'

/**
 * Whether the command line of `pid` names a path in `dir`, as every process of the host or machine there does
 * (`<dir>/init.sh`, `--directory=<dir>/rootfs`, `<dir>/ssh/sshd_config`); with the slash, slot 1 is not slot 10.
 * A recorded pid is checked so before it is signalled: pids wrap at 32768 here, so one recorded long enough ago
 * may belong to another process by now.
 */
export function namesDir(pid: number | string, dir: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(`${dir}/`)
  } catch {
    return false
  }
}

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL')
  } catch {
    /* already gone */
  }
}

/** The cgroup directories dockerd created for this host's containers (every v1 controller and v2). */
export function cgroupDirs(layout: Pick<HostLayout, 'cgroupParent'>): string[] {
  if (!existsSync(CGROUP_ROOT)) return []
  const tops = readdirSync(CGROUP_ROOT).map((c) => join(CGROUP_ROOT, c, layout.cgroupParent))
  return [join(CGROUP_ROOT, layout.cgroupParent), ...tops].filter((d) => existsSync(d))
}

function removeCgroupTree(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true }))
    if (entry.isDirectory()) removeCgroupTree(join(dir, entry.name))
  try {
    rmdirSync(dir)
  } catch {
    /* a controller mounted twice (cpu,cpuacct) already removed it */
  }
}

/** Mount points under `dir` in this mount namespace (there should be none; listed for the leftover check). */
export function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((point) => point === dir || point.startsWith(`${dir}/`))
}

/** The pids still inside the host's network namespace (compared by namespace inode, no `ip` spawn). */
export function netnsPids(netns: string): number[] {
  let inode: number
  try {
    inode = statSync(join(NETNS_DIR, netns)).ino
  } catch {
    return []
  }
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return statSync(`/proc/${pid}/ns/net`).ino === inode
      } catch {
        return false
      }
    })
    .map(Number)
}

/** Remove everything the host may have left; safe to call twice or on a half-started host. */
export async function teardownHost(layout: HostLayout): Promise<void> {
  const record = readHostRecord(layout)
  const pids = [record?.unsharePid, record?.initPid].filter(
    (p): p is number => p !== undefined && namesDir(p, layout.dir),
  )
  for (const pid of [...pids, ...netnsPids(layout.netns)]) kill(pid)
  await waitFor(() => pids.every((p) => !isAlive(p)), 5000)
  // -force: keep going when the namespace or the veth is already gone.
  await run(['ip', '-force', '-batch', '-'], `netns delete ${layout.netns}\nlink delete ${layout.veth}\n`)
  for (const dir of cgroupDirs(layout)) removeCgroupTree(dir)
  for (const point of mountsUnder(layout.dir).reverse()) await run(['umount', '-l', point])
  rmSync(layout.dir, { recursive: true, force: true })
}

/** Every pid in a cgroup tree (every v1 hierarchy and v2 list the same processes; all are read). */
function cgroupPids(dir: string): number[] {
  const pids: number[] = []
  try {
    pids.push(...readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number))
    for (const entry of readdirSync(dir, { withFileTypes: true }))
      if (entry.isDirectory()) pids.push(...cgroupPids(join(dir, entry.name)))
  } catch {
    /* the cgroup went away while we looked */
  }
  return pids
}

/**
 * Remove a machine from its record alone; safe to call twice or on a half-started machine. A running one is
 * powered off first (SIGTERM to nspawn is an orderly shutdown of the machine, `poweroff` as on a VM), up to
 * `graceMs`; then whatever is left in its cgroup or network namespace is killed, the namespace, veth,
 * overlay mount, cgroups, nspawn's propagation directory and the machine's directory are removed.
 */
export async function teardownMachine(layout: MachineLayout, graceMs = 20_000): Promise<void> {
  const record = readRecord<MachineRecord>(layout.recordPath)
  const nspawn = record?.nspawnPid
  if (nspawn !== undefined && namesDir(nspawn, layout.dir)) {
    process.kill(nspawn, 'SIGTERM')
    await waitFor(() => !isAlive(nspawn), graceMs)
  }
  const left = () => [...cgroupDirs(layout).flatMap(cgroupPids), ...netnsPids(layout.netns)]
  for (const pid of left()) kill(pid)
  await waitFor(() => left().length === 0, 5000)
  await run(['ip', '-force', '-batch', '-'], `netns delete ${layout.netns}\nlink delete ${layout.veth}\n`)
  for (const point of mountsUnder(layout.dir).reverse()) await run(['umount', '-l', point])
  for (const dir of cgroupDirs(layout)) removeCgroupTree(dir)
  rmSync(join(NSPAWN_PROPAGATE_DIR, layout.name), { recursive: true, force: true })
  rmSync(layout.dir, { recursive: true, force: true })
}
