/**
 * The `-json` machine-readable UI stream, one JSON object per line, parsed into typed events. Unknown message
 * types (and untyped lines such as `init -json` prose) become `message` events showing `@message`, as the
 * format's docs ask. Only UI major version 1 is understood.
 */
import { ToolMissingError } from '../errors.ts'
import type { TfDiagnostic } from './diagnostics.ts'

export type HookType =
  | 'apply_start'
  | 'apply_progress'
  | 'apply_complete'
  | 'apply_errored'
  | 'provision_start'
  | 'provision_progress'
  | 'provision_complete'
  | 'provision_errored'
  | 'refresh_start'
  | 'refresh_complete'

const HOOK_TYPES: ReadonlySet<string> = new Set<HookType>([
  'apply_start',
  'apply_progress',
  'apply_complete',
  'apply_errored',
  'provision_start',
  'provision_progress',
  'provision_complete',
  'provision_errored',
  'refresh_start',
  'refresh_complete',
])

interface Base {
  /** Terraform's one-line human summary (`@message`). */
  message: string
  level: string
  timestamp?: string
}

export interface ChangeCounts {
  operation: string
  add: number
  change: number
  remove: number
  import: number
}

export type TfEvent =
  | (Base & { type: 'version'; tool: string; version: string; ui: string })
  | (Base & {
      type: 'planned_change' | 'resource_drift'
      address: string
      resourceType: string
      action: string
    })
  | (Base & { type: 'change_summary'; changes: ChangeCounts })
  | (Base & {
      type: HookType
      address: string
      resourceType: string
      action?: string
      elapsedSeconds?: number
      provisioner?: string
      output?: string
    })
  | (Base & { type: 'diagnostic'; diagnostic: TfDiagnostic })
  | (Base & { type: 'outputs'; names: string[] })
  /** `log` lines, unknown types (`original` names them) and text that is not JSON at all. */
  | (Base & { type: 'message'; original: string })

/** The machine-readable UI major version this parser understands. */
export const UI_MAJOR = 1

/** The stream speaks a UI version we do not understand. */
export class UnsupportedUiVersionError extends ToolMissingError {
  constructor(tool: string, ui: string) {
    super(
      tool,
      `${tool} speaks machine-readable UI version ${ui}; this launcher understands ${UI_MAJOR}.x only.`,
      'Use the pinned OpenTofu (`npm run tools`) or a Terraform release between 1.1 and the newest 1.x.',
    )
  }
}

type Json = Record<string, unknown>

const isObject = (value: unknown): value is Json =>
  value !== null && typeof value === 'object' && !Array.isArray(value)
const str = (value: unknown): string => (typeof value === 'string' ? value : '')
const num = (value: unknown): number => (typeof value === 'number' ? value : 0)
const obj = (value: unknown): Json => (isObject(value) ? value : {})

function resourceOf(holder: Json): { address: string; resourceType: string } {
  const resource = obj(holder.resource)
  return { address: str(resource.addr), resourceType: str(resource.resource_type) }
}

/** Map the `diagnostic` object of a stream line or of `validate -json` to our shape. */
export function toDiagnostic(raw: Json): TfDiagnostic {
  const severity = raw.severity === 'error' || raw.severity === 'warning' ? raw.severity : 'unknown'
  const range = obj(raw.range)
  const line = obj(range.start).line
  return {
    severity,
    summary: str(raw.summary),
    detail: str(raw.detail),
    ...(typeof raw.address === 'string' ? { address: raw.address } : {}),
    ...(typeof range.filename === 'string' && typeof line === 'number'
      ? { location: `${range.filename}:${line}` }
      : {}),
  }
}

function typed(type: string, base: Base, line: Json): TfEvent {
  if (type === 'version') {
    const tool = typeof line.tofu === 'string' ? 'OpenTofu' : 'Terraform'
    return { ...base, type, tool, version: str(line.tofu ?? line.terraform), ui: str(line.ui) }
  }
  if (type === 'planned_change' || type === 'resource_drift') {
    const change = obj(line.change)
    return { ...base, type, ...resourceOf(change), action: str(change.action) }
  }
  if (type === 'change_summary') {
    const c = obj(line.changes)
    const changes = {
      operation: str(c.operation),
      add: num(c.add),
      change: num(c.change),
      remove: num(c.remove),
    }
    return { ...base, type, changes: { ...changes, import: num(c.import) } }
  }
  if (HOOK_TYPES.has(type)) {
    const hook = obj(line.hook)
    return {
      ...base,
      type: type as HookType,
      ...resourceOf(hook),
      ...(typeof hook.action === 'string' ? { action: hook.action } : {}),
      ...(typeof hook.elapsed_seconds === 'number' ? { elapsedSeconds: hook.elapsed_seconds } : {}),
      ...(typeof hook.provisioner === 'string' ? { provisioner: hook.provisioner } : {}),
      ...(typeof hook.output === 'string' ? { output: hook.output } : {}),
    }
  }
  if (type === 'diagnostic') return { ...base, type, diagnostic: toDiagnostic(obj(line.diagnostic)) }
  if (type === 'outputs') return { ...base, type, names: Object.keys(obj(line.outputs)).sort() }
  return { ...base, type: 'message', original: type }
}

/** Parse one stream line; blank lines give undefined. Throws UnsupportedUiVersionError on a UI major ≠ 1. */
export function parseEventLine(text: string): TfEvent | undefined {
  if (text.trim() === '') return undefined
  let line: unknown
  try {
    line = JSON.parse(text)
  } catch {
    return { type: 'message', original: 'text', message: text, level: 'info' }
  }
  if (!isObject(line)) return { type: 'message', original: 'text', message: text, level: 'info' }
  const base: Base = {
    message: str(line['@message']),
    level: str(line['@level']) || 'info',
    ...(typeof line['@timestamp'] === 'string' ? { timestamp: line['@timestamp'] } : {}),
  }
  const event = typed(str(line.type) || 'log', base, line)
  if (event.type === 'version' && Number.parseInt(event.ui, 10) !== UI_MAJOR) {
    throw new UnsupportedUiVersionError(event.tool, event.ui)
  }
  return event
}
