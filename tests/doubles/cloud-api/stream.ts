/**
 * The `-json` lines the double prints, shaped exactly like the pinned OpenTofu's (see ../recorded/): hclog's
 * envelope with top-level keys sorted, `tofu.ui` module, `"ui":"1.2"`, and change_summary with `forget`.
 */

export const TOFU_VERSION = '1.12.6'

type Json = Record<string, unknown>

export type ChangeAction = 'create' | 'update' | 'delete' | 'replace'

export interface ResourceAddress {
  type: string
  name: string
  /** Provider local name (`hcloud`, `contabo`), as `implied_provider` shows it. */
  provider: string
}

/** One line: `@level/@message/@module/@timestamp` first, then the other keys sorted (hclog's JSON order). */
export function buildLine(level: 'info' | 'error', message: string, fields: Json = {}): string {
  const sorted = Object.fromEntries(Object.entries(fields).sort(([a], [b]) => a.localeCompare(b)))
  return JSON.stringify({
    '@level': level,
    '@message': message,
    '@module': 'tofu.ui',
    '@timestamp': new Date().toISOString().replace(/Z$/, '000Z'),
    ...sorted,
  })
}

/** The address of a root-module resource. */
export function addressOf(r: ResourceAddress): string {
  return `${r.type}.${r.name}`
}

function resourceObject(r: ResourceAddress): Json {
  const addr = addressOf(r)
  return {
    addr,
    module: '',
    resource: addr,
    implied_provider: r.provider,
    resource_type: r.type,
    resource_name: r.name,
    resource_key: null,
  }
}

/** The first line of every streamed command. */
export function versionLine(): string {
  return buildLine('info', `OpenTofu ${TOFU_VERSION}`, { tofu: TOFU_VERSION, type: 'version', ui: '1.2' })
}

/** `init -json`: untyped prose lines, as the real one prints them. */
export function initLines(providers: readonly string[]): string[] {
  return [
    versionLine(),
    buildLine('info', 'Initializing the backend...'),
    buildLine('info', 'Initializing provider plugins...'),
    ...providers.map((p) =>
      buildLine('info', `Reusing previous version of ${p} from the dependency lock file`),
    ),
    buildLine('info', 'OpenTofu has been successfully initialized!'),
  ]
}

export function plannedChangeLine(r: ResourceAddress, action: ChangeAction): string {
  return buildLine('info', `${addressOf(r)}: Plan to ${action}`, {
    change: { resource: resourceObject(r), action },
    type: 'planned_change',
  })
}

export function refreshLines(r: ResourceAddress, id: string): string[] {
  const hook = { resource: resourceObject(r), id_key: 'id', id_value: id }
  return [
    buildLine('info', `${addressOf(r)}: Refreshing state... [id=${id}]`, { hook, type: 'refresh_start' }),
    buildLine('info', `${addressOf(r)}: Refresh complete [id=${id}]`, { hook, type: 'refresh_complete' }),
  ]
}

export interface Counts {
  add: number
  change: number
  remove: number
}

export function changeSummaryLine(counts: Counts, operation: 'plan' | 'apply'): string {
  const message =
    operation === 'plan'
      ? `Plan: ${counts.add} to add, ${counts.change} to change, ${counts.remove} to destroy.`
      : `Apply complete! Resources: ${counts.add} added, ${counts.change} changed, ${counts.remove} destroyed.`
  return buildLine('info', message, {
    changes: { ...counts, import: 0, forget: 0, operation },
    type: 'change_summary',
  })
}

export type HookAction = 'create' | 'update' | 'delete'

const VERBS = {
  create: ['Creating...', 'Creation'],
  update: ['Modifying...', 'Modifications'],
  delete: ['Destroying...', 'Destruction'],
} as const

/** apply_start: the provider call begins (` [id=…]` when the resource exists already). */
export function applyStartLine(r: ResourceAddress, action: HookAction, id?: string): string {
  const suffix = id === undefined ? '' : ` [id=${id}]`
  const hook = {
    resource: resourceObject(r),
    action,
    ...(id === undefined ? {} : { id_key: 'id', id_value: id }),
  }
  return buildLine('info', `${addressOf(r)}: ${VERBS[action][0]}${suffix}`, { hook, type: 'apply_start' })
}

/** apply_complete: the provider call returned after `elapsedSeconds`. */
export function applyCompleteLine(
  r: ResourceAddress,
  action: HookAction,
  elapsedSeconds: number,
  id?: string,
): string {
  const withId = action !== 'delete' && id !== undefined
  const hook = {
    resource: resourceObject(r),
    action,
    ...(withId ? { id_key: 'id', id_value: id } : {}),
    elapsed_seconds: elapsedSeconds,
  }
  const message = `${addressOf(r)}: ${VERBS[action][1]} complete after ${elapsedSeconds}s${withId ? ` [id=${id}]` : ''}`
  return buildLine('info', message, { hook, type: 'apply_complete' })
}

export interface StreamOutput {
  sensitive: boolean
  type?: unknown
  value?: unknown
  action?: string
}

/** `outputs`: planned ones carry `{sensitive, action}`, applied ones `{sensitive, type, value}`. */
export function outputsLine(outputs: Record<string, StreamOutput>): string {
  return buildLine('info', `Outputs: ${Object.keys(outputs).length}`, { outputs, type: 'outputs' })
}

/** An error diagnostic, as a provider or a variable validation would report it. */
export function diagnosticLine(summary: string, detail: string): string {
  return buildLine('error', `Error: ${summary}`, {
    diagnostic: { severity: 'error', summary, detail },
    type: 'diagnostic',
  })
}
