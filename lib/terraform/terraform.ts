/**
 * One stack's Terraform/OpenTofu commands: streaming `init`, `plan`, `apply` and `destroy` (a destroy plan
 * plus the apply of exactly that plan), and the quiet JSON readers `show`, `output`, `validate`, `version`.
 * Arguments come from args.ts, the environment from env.ts; nothing here prints except through the renderer.
 */
import type { Env } from '../proc.ts'
import {
  buildApplyArgs,
  buildInitArgs,
  buildOutputArgs,
  buildPlanArgs,
  buildShowPlanArgs,
  buildValidateArgs,
  buildVersionArgs,
  type PlanArgsOptions,
} from './args.ts'
import type { TfBinary } from './binary.ts'
import { type DiagnosticReport, describeDiagnostic } from './diagnostics.ts'
import { TerraformFailedError } from './errors.ts'
import { toDiagnostic } from './events.ts'
import { parseOutputs, parseTerraformJson, type TfOutputs } from './outputs.ts'
import { buildPlanSummary, type PlanQuirk, type PlanSummary } from './plan-summary.ts'
import { runStreaming, type StreamContext, type TfRunResult } from './runner.ts'
import { stripControl } from './sanitize.ts'

export interface TerraformOptions extends StreamContext {
  binary: TfBinary
  /** The root module directory. */
  workdir: string
  /** The complete child environment (buildTfEnv). */
  env: Env
  /** `-state=` path: the phase's state file (with HashiCorp Terraform its private plaintext copy: lib/flows/sealed-state.ts). */
  statePath?: string
}

export interface PlanResult extends TfRunResult {
  planFile: string
  /** `-detailed-exitcode` said 2. */
  hasChanges: boolean
}

export interface ValidateResult {
  valid: boolean
  diagnostics: DiagnosticReport[]
}

export interface VersionInfo {
  version: string
  platform: string
  providerSelections: Record<string, string>
}

export type PlanOptions = Omit<PlanArgsOptions, 'statePath'>

export class Terraform {
  constructor(private readonly options: TerraformOptions) {}

  /** `init` (offline, from the provider mirror named by TF_CLI_CONFIG_FILE). */
  init(): Promise<TfRunResult> {
    return this.stream(buildInitArgs())
  }

  /** Plan to `planFile`; `hasChanges` from exit code 2. */
  async plan(options: PlanOptions): Promise<PlanResult> {
    const args = buildPlanArgs({ ...options, ...this.stateOption() })
    const result = await this.stream(args, [0, 2])
    return {
      ...result,
      planFile: options.planFile,
      hasChanges: result.status === 'ok' && result.exitCode === 2,
    }
  }

  /** Apply exactly the saved plan (the approval the human gate gave). */
  apply(planFile: string): Promise<TfRunResult> {
    return this.stream(buildApplyArgs(planFile, this.options.statePath))
  }

  /** Plan a destroy to `planFile` and apply it when there is anything to destroy. */
  async destroy(options: Omit<PlanOptions, 'destroy'>): Promise<{ plan: PlanResult; apply?: TfRunResult }> {
    const plan = await this.plan({ ...options, destroy: true })
    if (!plan.hasChanges) return { plan }
    return { plan, apply: await this.apply(options.planFile) }
  }

  /** The saved plan, summarised for the gate, with the provider's quirks flagged. */
  async showPlan(planFile: string, quirk?: PlanQuirk): Promise<PlanSummary> {
    const text = await this.quiet(buildShowPlanArgs(planFile))
    return buildPlanSummary(parseTerraformJson(text, `${this.options.binary.flavor} show -json`), quirk)
  }

  /** Every root output with its value. */
  async output(): Promise<TfOutputs> {
    return parseOutputs(await this.quiet(buildOutputArgs(this.options.statePath)))
  }

  /** `validate -json`: validity and the described diagnostics (exit 1 on invalid config is an answer). */
  async validate(): Promise<ValidateResult> {
    const text = await this.quiet(buildValidateArgs(), [0, 1])
    const doc = parseTerraformJson(text, `${this.options.binary.flavor} validate -json`) as Record<
      string,
      unknown
    >
    const raw = Array.isArray(doc.diagnostics) ? (doc.diagnostics as Record<string, unknown>[]) : []
    const diagnostics = raw.map((d) => describeDiagnostic(toDiagnostic(this.options.redactor.redactValue(d))))
    return { valid: doc.valid === true, diagnostics }
  }

  /** The binary's version and selected providers. */
  async version(): Promise<VersionInfo> {
    const text = await this.quiet(buildVersionArgs())
    const doc = parseTerraformJson(text, `${this.options.binary.flavor} version -json`) as Record<
      string,
      unknown
    >
    return {
      version: String(doc.terraform_version ?? ''),
      platform: String(doc.platform ?? ''),
      providerSelections: (doc.provider_selections ?? {}) as Record<string, string>,
    }
  }

  private stateOption(): { statePath?: string } {
    return this.options.statePath === undefined ? {} : { statePath: this.options.statePath }
  }

  private stream(args: string[], okCodes?: readonly number[]): Promise<TfRunResult> {
    const { binary, env, workdir } = this.options
    const argv = [binary.path, ...args]
    return runStreaming(this.options, { argv, env, cwd: workdir, ...(okCodes ? { okCodes } : {}) })
  }

  private async quiet(args: string[], okCodes: readonly number[] = [0]): Promise<string> {
    const { proc, binary, env, workdir, redactor } = this.options
    const done = await proc.run([binary.path, ...args], { env, cwd: workdir })
    if (done.exitCode !== null && okCodes.includes(done.exitCode)) return done.stdout
    const stderrTail = redactor
      .redact(stripControl(done.stderr))
      .split('\n')
      .filter((line) => line.trim() !== '')
      .slice(-20)
    throw new TerraformFailedError({
      command: `${binary.flavor} ${args[0]}`,
      status: 'failed',
      exitCode: done.exitCode,
      signal: done.signal,
      interrupted: false,
      diagnostics: [],
      stderrTail,
    })
  }
}
