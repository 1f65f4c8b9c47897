/**
 * Slots of the bench's hosts and machines: slot k (1..250) is claimed by creating its directory (mkdir is
 * atomic, so parallel test runs never collide), and the claimer's record is written into it at once so a
 * later sweep knows whose it is.
 */
import { chmodSync, mkdirSync } from 'node:fs'
import { MAX_SLOT } from './layout.ts'
import { BenchError } from './system.ts'

/** Claim the first free slot under `parent`; `build` names a slot's directory, `record` marks it ours. */
export function claimSlot<L extends { dir: string }>(
  parent: string,
  build: (slot: number) => L,
  record: (layout: L) => void,
): L {
  mkdirSync(parent, { recursive: true, mode: 0o755 })
  for (let slot = 1; slot <= MAX_SLOT; slot++) {
    const layout = build(slot)
    try {
      mkdirSync(layout.dir, { mode: 0o755 })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue
      throw error
    }
    chmodSync(layout.dir, 0o755)
    record(layout)
    return layout
  }
  throw new BenchError(`All ${MAX_SLOT} bench slots are taken.`, `Remove stale entries under ${parent}.`)
}
