/**
 * `show -json <planfile>` of a saved plan, in the plan representation of the pinned OpenTofu (format 1.2,
 * see ../recorded/tofu-1.12.6-show-*.json): resource_changes with actions, before/after and replace_paths.
 */
import { PROVIDER_SOURCES } from './providers.ts'
import type { PlannedChange, SavedPlan } from './state.ts'
import { addressOf, TOFU_VERSION } from './stream.ts'

const ACTIONS: Record<PlannedChange['action'], string[]> = {
  create: ['create'],
  update: ['update'],
  delete: ['delete'],
  replace: ['delete', 'create'],
}

function resourceChange(plan: SavedPlan, c: PlannedChange) {
  const before = c.before ? { id: c.before.id, ...c.before.config, ...c.before.attributes } : null
  return {
    address: addressOf(c.address),
    mode: 'managed',
    type: c.address.type,
    name: c.address.name,
    provider_name: `registry.opentofu.org/${PROVIDER_SOURCES[plan.kind]}`,
    change: {
      actions: ACTIONS[c.action],
      before,
      after: c.after,
      after_unknown: c.after ? { id: true } : {},
      before_sensitive: before ? { user_data: 'user_data' in before } : false,
      after_sensitive: c.after ? { user_data: 'user_data' in c.after } : false,
      ...(c.replacePaths.length > 0 ? { replace_paths: c.replacePaths.map((p) => [p]) } : {}),
    },
    ...(c.action === 'replace' ? { action_reason: 'replace_because_cannot_update' } : {}),
  }
}

/** The plan document the real `show -json` prints for this saved plan. */
export function buildShowDocument(plan: SavedPlan): Record<string, unknown> {
  return {
    format_version: '1.2',
    terraform_version: TOFU_VERSION,
    planned_values: { root_module: {} },
    resource_changes: plan.changes.map((c) => resourceChange(plan, c)),
    timestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    errored: false,
  }
}
