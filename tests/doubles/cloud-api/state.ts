/**
 * The double's "cloud": what exists is kept in the `-state=` file the launcher names (so a second plan has
 * no changes and a destroy empties it), and a saved plan is the list of changes against one state serial
 * (so applying it twice is refused as stale, like the real binary). Neither file holds a secret: user data
 * is reduced to a digest and credentials are never written.
 */
import { randomUUID } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import type { DesiredResource, OutputValue, StackKind, StateResource } from './providers.ts'
import type { ChangeAction, ResourceAddress } from './stream.ts'

const MARK = 'tofu-cloud-api-double'

export interface StoredResource extends StateResource {
  config: Record<string, unknown>
}

export interface CloudState {
  double: typeof MARK
  kind: StackKind
  lineage: string
  serial: number
  resources: StoredResource[]
  outputs: Record<string, OutputValue>
}

export interface PlannedChange {
  address: ResourceAddress
  action: ChangeAction
  /** The existing resource (update, replace, delete). */
  before: StoredResource | null
  /** The desired configuration (create, update, replace). */
  after: Record<string, unknown> | null
  /** Attributes that force the replacement. */
  replacePaths: string[]
}

export interface SavedPlan {
  double: typeof MARK
  kind: StackKind
  lineage: string
  priorSerial: number
  destroy: boolean
  /** Non-secret variables (the var file), for the outputs after apply. */
  vars: Record<string, unknown>
  userDataDigest: string
  changes: PlannedChange[]
}

/** The state in `path`, or an empty one (the real binary starts from nothing too). */
export function readState(path: string, kind: StackKind): CloudState {
  if (!existsSync(path))
    return { double: MARK, kind, lineage: randomUUID(), serial: 0, resources: [], outputs: {} }
  const state = JSON.parse(readFileSync(path, 'utf8')) as CloudState
  if (state.double !== MARK || state.kind !== kind)
    throw new Error(`${path} is not a ${kind} state of the cloud-API double.`)
  return state
}

export function writeState(path: string, state: CloudState): void {
  writeFileSync(path, `${JSON.stringify({ ...state, serial: state.serial + 1 }, null, 2)}\n`, { mode: 0o600 })
}

export function readPlan(path: string, kind: StackKind): SavedPlan {
  const plan = JSON.parse(readFileSync(path, 'utf8')) as SavedPlan
  if (plan.double !== MARK || plan.kind !== kind)
    throw new Error(`${path} is not a ${kind} plan of the cloud-API double.`)
  return plan
}

export function writePlan(path: string, plan: SavedPlan): void {
  writeFileSync(path, `${JSON.stringify(plan)}\n`, { mode: 0o600 })
}

const sameAddress = (a: ResourceAddress, b: ResourceAddress) => a.type === b.type && a.name === b.name

function changedKeys(desired: DesiredResource, existing: StoredResource): string[] {
  const keys = new Set([...Object.keys(desired.config), ...Object.keys(existing.config)])
  return [...keys].filter(
    (k) =>
      !desired.ignoreChanges.includes(k) &&
      JSON.stringify(desired.config[k]) !== JSON.stringify(existing.config[k]),
  )
}

/** The changes that take `state` to `desired` (or to nothing, for a destroy plan), in apply order. */
export function buildChanges(
  desired: readonly DesiredResource[],
  state: CloudState,
  destroy: boolean,
): PlannedChange[] {
  const deletes = (
    destroy
      ? state.resources
      : state.resources.filter((r) => !desired.some((d) => sameAddress(d.address, r.address)))
  )
    .map(
      (r): PlannedChange => ({
        address: r.address,
        action: 'delete',
        before: r,
        after: null,
        replacePaths: [],
      }),
    )
    .reverse()
  if (destroy) return deletes
  const upserts: PlannedChange[] = []
  for (const d of desired) {
    const existing = state.resources.find((r) => sameAddress(r.address, d.address))
    if (!existing) {
      upserts.push({ address: d.address, action: 'create', before: null, after: d.config, replacePaths: [] })
      continue
    }
    const changed = changedKeys(d, existing)
    if (changed.length === 0) continue
    const forcing = changed.filter((k) => d.forceNew.includes(k))
    const action = forcing.length > 0 ? 'replace' : 'update'
    upserts.push({ address: d.address, action, before: existing, after: d.config, replacePaths: forcing })
  }
  return [...deletes, ...upserts]
}
