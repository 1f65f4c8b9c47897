/**
 * A saved plan (`show -json <planfile>`) summarised for the human gate: counts, each resource's action and the
 * names (never values) of the attributes that change, and loud flags for the provider quirks that destroy data
 * (each provider module says which: lib/providers). The show document contains secrets; nothing of it but names
 * is kept.
 */
import { isDeepStrictEqual } from 'node:util'

export type ResourceAction = 'create' | 'update' | 'delete' | 'replace' | 'read' | 'no-op' | 'forget'

export interface ResourceChange {
  address: string
  type: string
  action: ResourceAction
  /** Names of top-level attributes that change (or become unknown). */
  changedAttributes: string[]
  /** Why this change destroys data or money, when it does. */
  destructive?: string
}

export interface PlanSummary {
  /** Like Terraform's "N to add, N to change, N to destroy": a replacement counts in adds and destroys. */
  adds: number
  changes: number
  destroys: number
  replaces: number
  resources: ResourceChange[]
  destructive: ResourceChange[]
  hasChanges: boolean
}

type Json = Record<string, unknown>
const obj = (v: unknown): Json =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {}

function actionOf(actions: unknown): ResourceAction {
  const list = Array.isArray(actions) ? actions.map(String) : []
  if (list.includes('delete') && list.includes('create')) return 'replace'
  const [first = 'no-op'] = list
  return (
    ['create', 'update', 'delete', 'read', 'forget'].includes(first) ? first : 'no-op'
  ) as ResourceAction
}

function changedAttributes(change: Json): string[] {
  // For a replacement Terraform names the attributes that forced it; prefer those to every recomputed one.
  const forced = Array.isArray(change.replace_paths) ? change.replace_paths : []
  const forcedNames = forced.map((path) => (Array.isArray(path) ? String(path[0]) : '')).filter(Boolean)
  if (forcedNames.length > 0) return [...new Set(forcedNames)].sort()
  const before = obj(change.before)
  const after = obj(change.after)
  const unknown = obj(change.after_unknown)
  const names = new Set([...Object.keys(before), ...Object.keys(after)])
  const changed = [...names].filter((n) => !isDeepStrictEqual(before[n], after[n]) || unknown[n] === true)
  return changed.filter((n) => !(n in unknown && !(n in before))).sort()
}

/** A planned change as a provider's quirk check sees it (names only, never values). */
export type PlannedChange = Pick<ResourceChange, 'type' | 'action' | 'changedAttributes'>

/** Why a planned change destroys data or money on a provider, or undefined when it does not. */
export type PlanQuirk = (change: PlannedChange) => string | undefined

const noQuirks: PlanQuirk = () => undefined

/** Summarise a parsed `show -json <planfile>` document. */
export function buildPlanSummary(plan: unknown, destructiveReason: PlanQuirk = noQuirks): PlanSummary {
  const rawChanges = obj(plan).resource_changes
  const resources: ResourceChange[] = []
  for (const raw of Array.isArray(rawChanges) ? rawChanges : []) {
    const item = obj(raw)
    const change = obj(item.change)
    const action = actionOf(change.actions)
    if (action === 'no-op' || action === 'read') continue
    const type = String(item.type ?? '')
    const attributes = action === 'update' || action === 'replace' ? changedAttributes(change) : []
    const reason = destructiveReason({ type, action, changedAttributes: attributes })
    resources.push({
      address: String(item.address ?? ''),
      type,
      action,
      changedAttributes: attributes,
      ...(reason === undefined ? {} : { destructive: reason }),
    })
  }
  const count = (a: ResourceAction) => resources.filter((r) => r.action === a).length
  const replaces = count('replace')
  return {
    adds: count('create') + replaces,
    changes: count('update'),
    destroys: count('delete') + replaces,
    replaces,
    resources,
    destructive: resources.filter((r) => r.destructive !== undefined),
    hasChanges: resources.length > 0,
  }
}
