/**
 * Pure argv builders, one per subcommand (hashicorp/terraform-exec's shape). Every command that accepts them
 * gets `-input=false -no-color`; machine-readable `-json` everywhere; never `-auto-approve` (a saved plan is
 * the approval). `statePath` selects the state file (the private plaintext copy for HashiCorp Terraform).
 */

/** How long a run waits for another run's state lock before failing with a named holder. */
export const LOCK_TIMEOUT = '60s'

const AUTOMATION = ['-input=false', '-no-color'] as const

export interface PlanArgsOptions {
  planFile: string
  varFiles?: readonly string[]
  destroy?: boolean
  statePath?: string
}

function stateArgs(statePath: string | undefined): string[] {
  return statePath === undefined ? [] : [`-state=${statePath}`]
}

/** `init`: offline from the mirror the CLI config names; `-json` so its lines parse like every other stream. */
export function buildInitArgs(): string[] {
  return ['init', ...AUTOMATION, '-json', `-lock-timeout=${LOCK_TIMEOUT}`]
}

/** `plan` to a saved plan file with `-detailed-exitcode` (0 no changes, 2 changes, 1 error). */
export function buildPlanArgs(options: PlanArgsOptions): string[] {
  return [
    'plan',
    ...AUTOMATION,
    '-json',
    '-detailed-exitcode',
    `-lock-timeout=${LOCK_TIMEOUT}`,
    ...(options.destroy === true ? ['-destroy'] : []),
    ...stateArgs(options.statePath),
    ...(options.varFiles ?? []).map((file) => `-var-file=${file}`),
    `-out=${options.planFile}`,
  ]
}

/** `apply` of exactly one saved plan. */
export function buildApplyArgs(planFile: string, statePath?: string): string[] {
  return ['apply', ...AUTOMATION, '-json', `-lock-timeout=${LOCK_TIMEOUT}`, ...stateArgs(statePath), planFile]
}

/** `show -json <planfile>`: the full plan document (it contains secrets: summarise, never print). */
export function buildShowPlanArgs(planFile: string): string[] {
  return ['show', '-no-color', '-json', planFile]
}

/** `output -json`: every root output with its value, sensitive ones included. */
export function buildOutputArgs(statePath?: string): string[] {
  return ['output', '-no-color', '-json', ...stateArgs(statePath)]
}

/** `validate -json`: one document with the diagnostics. */
export function buildValidateArgs(): string[] {
  return ['validate', '-no-color', '-json']
}

/** `version -json`. */
export function buildVersionArgs(): string[] {
  return ['version', '-json']
}
