/**
 * A saved plan (`show -json <planfile>`) summarised for the human gate: counts, each resource's action and the
 * names (never values) of the attributes that change, and loud flags for provider quirks that destroy data:
 * an in-place update of a `contabo_instance` touching user_data/ssh_keys/image_id/root_password reinstalls
 * the VM (disk wiped), deleting one cancels the contract, and an `hcloud_server` replacement recreates the
 * server with a new disk and address. The show document contains secrets; nothing of it but names is kept.
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

const CONTABO_REINSTALL = ['user_data', 'ssh_keys', 'image_id', 'root_password']

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

function destructiveReason(type: string, action: ResourceAction, attributes: string[]): string | undefined {
  if (type === 'contabo_instance' && action === 'update') {
    const touched = attributes.filter((a) => CONTABO_REINSTALL.includes(a))
    if (touched.length > 0) {
      return `DESTRUCTIVE REINSTALL: Contabo reinstalls this VM in place (its disk is wiped) because ${touched.join(', ')} changed.`
    }
  }
  if (type === 'contabo_instance' && (action === 'delete' || action === 'replace')) {
    return 'Contabo cancels the contract of this VM when it is destroyed.'
  }
  if (type === 'hcloud_server' && action === 'replace') {
    return `REPLACEMENT: the server is destroyed and recreated (new disk, new IP address) because ${attributes.join(', ') || 'its configuration'} changed.`
  }
  return undefined
}

/** Summarise a parsed `show -json <planfile>` document. */
export function buildPlanSummary(plan: unknown): PlanSummary {
  const rawChanges = obj(plan).resource_changes
  const resources: ResourceChange[] = []
  for (const raw of Array.isArray(rawChanges) ? rawChanges : []) {
    const item = obj(raw)
    const change = obj(item.change)
    const action = actionOf(change.actions)
    if (action === 'no-op' || action === 'read') continue
    const type = String(item.type ?? '')
    const attributes = action === 'update' || action === 'replace' ? changedAttributes(change) : []
    const reason = destructiveReason(type, action, attributes)
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
