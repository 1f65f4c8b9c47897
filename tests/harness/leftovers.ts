/**
 * What a host or machine left behind, for the tests that prove clean-up: processes, namespace, veth, cgroups,
 * mounts and its directory. Found from the slot's layout alone: a recorded pid may belong to another process by now.
 */
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { buildHostLayout, parseSlot } from './layout.ts'
import { buildMachineLayout, parseMachineSlot } from './machine-layout.ts'
import { cgroupDirs, mountsUnder, NETNS_DIR, NSPAWN_PROPAGATE_DIR, namesDir, netnsPids } from './teardown.ts'

/** Pids whose command line names a path in `dir` (the recorded unshare, init and nspawn, sshd and dockerd all do). */
function processesNaming(dir: string): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p) && namesDir(p, dir))
    .map(Number)
}

/** Human-readable descriptions of everything host `name` left behind; empty when it is all gone. */
export function listLeftovers(name: string): string[] {
  const slot = parseSlot(name)
  if (slot === undefined) return [`${name} is not a bench host name`]
  const layout = buildHostLayout(slot)
  const left: string[] = []
  for (const pid of [...netnsPids(layout.netns), ...processesNaming(layout.dir)]) left.push(`pid ${pid}`)
  if (existsSync(join(NETNS_DIR, layout.netns))) left.push(`netns ${layout.netns}`)
  if (existsSync(`/sys/class/net/${layout.veth}`)) left.push(`veth ${layout.veth}`)
  left.push(...cgroupDirs(layout).map((d) => `cgroup ${d}`))
  left.push(...mountsUnder(layout.dir).map((m) => `mount ${m}`))
  if (existsSync(layout.dir)) left.push(`dir ${layout.dir}`)
  return left
}

/** Everything machine `name` left behind (its nspawn, processes, namespace, veth, cgroups, mounts, files). */
export function listMachineLeftovers(name: string): string[] {
  const slot = parseMachineSlot(name)
  if (slot === undefined) return [`${name} is not a machine name`]
  const layout = buildMachineLayout(slot)
  const left: string[] = []
  for (const pid of [...netnsPids(layout.netns), ...processesNaming(layout.dir)]) left.push(`pid ${pid}`)
  if (existsSync(join(NETNS_DIR, layout.netns))) left.push(`netns ${layout.netns}`)
  if (existsSync(`/sys/class/net/${layout.veth}`)) left.push(`veth ${layout.veth}`)
  left.push(...cgroupDirs(layout).map((d) => `cgroup ${d}`))
  left.push(...mountsUnder(layout.dir).map((m) => `mount ${m}`))
  const propagate = join(NSPAWN_PROPAGATE_DIR, layout.name)
  if (existsSync(propagate)) left.push(`dir ${propagate}`)
  if (existsSync(layout.dir)) left.push(`dir ${layout.dir}`)
  return left
}
