/**
 * Leftovers of crashed runs: hosts, machines and benches whose owning test process is gone, and namespaces,
 * veths and cgroups of a slot that has no directory. Those of live test processes (parallel runs) are left
 * alone.
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { BENCHES_DIR, buildHostLayout, HOSTS_DIR, MAX_SLOT, parseSlot } from './layout.ts'
import { buildMachineLayout, MACHINES_DIR, type MachineRecord, parseMachineSlot } from './machine-layout.ts'
import { readHostRecord, readRecord } from './record.ts'
import { isAlive } from './system.ts'
import { cgroupDirs, NETNS_DIR, teardownHost, teardownMachine } from './teardown.ts'

/** A record without an owner is trusted for a minute (its owner may be writing it right now). */
const GRACE_MS = 60_000

function isOrphan(dir: string, owner: number | undefined): boolean {
  if (owner !== undefined) return !isAlive(owner)
  return Date.now() - statSync(dir).mtimeMs > GRACE_MS
}

function readOwner(benchDir: string): number | undefined {
  try {
    return Number(readFileSync(join(benchDir, 'owner'), 'utf8'))
  } catch {
    return undefined
  }
}

/** Remove every leftover of dead test processes; returns the names removed. */
export async function sweepLeftovers(): Promise<string[]> {
  const removed: string[] = []
  for (const name of existsSync(HOSTS_DIR) ? readdirSync(HOSTS_DIR) : []) {
    const slot = parseSlot(name)
    if (slot === undefined) continue
    const layout = buildHostLayout(slot)
    if (!isOrphan(layout.dir, readHostRecord(layout)?.owner)) continue
    await teardownHost(layout)
    removed.push(name)
  }
  for (const name of existsSync(BENCHES_DIR) ? readdirSync(BENCHES_DIR) : []) {
    const dir = join(BENCHES_DIR, name)
    if (!isOrphan(dir, readOwner(dir))) continue
    rmSync(dir, { recursive: true, force: true })
    removed.push(name)
  }
  for (const slot of (existsSync(NETNS_DIR) ? readdirSync(NETNS_DIR) : []).map(parseSlot)) {
    if (slot === undefined) continue
    const layout = buildHostLayout(slot)
    if (existsSync(layout.dir)) continue
    await teardownHost(layout)
    removed.push(layout.netns)
  }
  for (let slot = 1; slot <= MAX_SLOT; slot++) {
    const layout = buildHostLayout(slot)
    if (!existsSync(layout.dir) && cgroupDirs(layout).length > 0) {
      await teardownHost(layout)
      removed.push(`cgroup ${layout.cgroupParent}`)
    }
  }
  removed.push(...(await sweepMachines()))
  return removed
}

async function sweepMachines(): Promise<string[]> {
  const removed: string[] = []
  for (const name of existsSync(MACHINES_DIR) ? readdirSync(MACHINES_DIR) : []) {
    const slot = parseMachineSlot(name)
    if (slot === undefined) continue
    const layout = buildMachineLayout(slot)
    if (!isOrphan(layout.dir, readRecord<MachineRecord>(layout.recordPath)?.owner)) continue
    await teardownMachine(layout)
    removed.push(name)
  }
  for (const slot of (existsSync(NETNS_DIR) ? readdirSync(NETNS_DIR) : []).map(parseMachineSlot)) {
    if (slot === undefined) continue
    const layout = buildMachineLayout(slot)
    if (existsSync(layout.dir)) continue
    await teardownMachine(layout)
    removed.push(layout.netns)
  }
  for (let slot = 1; slot <= MAX_SLOT; slot++) {
    const layout = buildMachineLayout(slot)
    if (!existsSync(layout.dir) && cgroupDirs(layout).length > 0) {
      await teardownMachine(layout)
      removed.push(`cgroup ${layout.cgroupParent}`)
    }
  }
  return removed
}
