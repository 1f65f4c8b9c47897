/**
 * What a host or machine left behind, for the tests that prove clean-up: processes, namespace, veth, cgroups,
 * mounts and its directory. Call it with the record read before teardown (teardown deletes the record).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { buildHostLayout, parseSlot } from './layout.ts'
import { buildMachineLayout, type MachineRecord, parseMachineSlot } from './machine-layout.ts'
import type { HostRecord } from './record.ts'
import { isAlive } from './system.ts'
import { cgroupDirs, mountsUnder, NETNS_DIR, NSPAWN_PROPAGATE_DIR, netnsPids } from './teardown.ts'

/** Pids whose command line names `dir` (sshd, dockerd and the init all do). */
function processesNaming(dir: string): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(dir)
      } catch {
        return false
      }
    })
    .map(Number)
}

/** Human-readable descriptions of everything host `name` left behind; empty when it is all gone. */
export function listLeftovers(name: string, record: HostRecord | undefined): string[] {
  const slot = parseSlot(name)
  if (slot === undefined) return [`${name} is not a bench host name`]
  const layout = buildHostLayout(slot)
  const left: string[] = []
  for (const pid of [record?.unsharePid, record?.initPid])
    if (pid !== undefined && isAlive(pid)) left.push(`pid ${pid}`)
  for (const pid of [...netnsPids(layout.netns), ...processesNaming(layout.dir)]) left.push(`pid ${pid}`)
  if (existsSync(join(NETNS_DIR, layout.netns))) left.push(`netns ${layout.netns}`)
  if (existsSync(`/sys/class/net/${layout.veth}`)) left.push(`veth ${layout.veth}`)
  left.push(...cgroupDirs(layout).map((d) => `cgroup ${d}`))
  left.push(...mountsUnder(layout.dir).map((m) => `mount ${m}`))
  if (existsSync(layout.dir)) left.push(`dir ${layout.dir}`)
  return left
}

/** Everything machine `name` left behind (its nspawn, processes, namespace, veth, cgroups, mounts, files). */
export function listMachineLeftovers(name: string, record: MachineRecord | undefined): string[] {
  const slot = parseMachineSlot(name)
  if (slot === undefined) return [`${name} is not a machine name`]
  const layout = buildMachineLayout(slot)
  const left: string[] = []
  if (record?.nspawnPid !== undefined && isAlive(record.nspawnPid)) left.push(`pid ${record.nspawnPid}`)
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
