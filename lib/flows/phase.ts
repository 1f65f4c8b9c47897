/**
 * One phase (host or app) of a stack as Terraform sees it: write the non-secret var file, init offline,
 * plan to a saved plan (encrypted by OpenTofu), summarise it, and apply exactly that plan.
 */
import { type StackInputs, writeVarFile } from '../infra/stack-inputs.ts'
import { APP_STACK, stackDir } from '../infra/stacks.ts'
import type { Env } from '../proc.ts'
import type { HostPhase } from '../providers/types.ts'
import type { OperatorPaths } from '../state/paths.ts'
import type { StackRecord } from '../state/schema.ts'
import { type Phase, type PhaseWorkspace, preparePhaseWorkspace, removePlan } from '../state/workspace.ts'
import { buildEncryptionEnv } from '../terraform/encryption.ts'
import { buildTfEnv, providerEndpoints } from '../terraform/env.ts'
import { verifyRunSucceeded } from '../terraform/errors.ts'
import type { TfOutputs } from '../terraform/outputs.ts'
import type { PlanQuirk, PlanSummary } from '../terraform/plan-summary.ts'
import { Terraform } from '../terraform/terraform.ts'
import type { FlowRuntime } from './runtime.ts'

export interface PhaseSpec {
  phase: Phase
  configDir: string
  workspace: PhaseWorkspace
  inputs: StackInputs
  statePassphrase: string
  destroy: boolean
  /** The provider's plan quirks (host phase), flagged loudly at the gate. */
  quirk?: PlanQuirk
}

/** What the person reads for each phase, at the gate and in every report. */
export const PHASE_LABEL: Readonly<Record<Phase, string>> = { host: 'Host (VM)', app: 'App (container)' }

/** Where a stack's phases keep their working files: the operator's directory (or a scratch copy of it). */
export interface StackPlace {
  paths: OperatorPaths
  stackName: string
}

/** The host phase of a cloud stack: the provider's stack, its quirks, the stack's own encrypted state. */
export async function buildHostPhase(
  place: StackPlace,
  host: HostPhase,
  record: StackRecord,
  inputs: StackInputs,
  destroy = false,
): Promise<PhaseSpec> {
  return {
    phase: 'host',
    configDir: stackDir(host.stack),
    workspace: await preparePhaseWorkspace(place.paths, place.stackName, 'host'),
    inputs,
    statePassphrase: record.terraform.statePassphrase,
    destroy,
    quirk: host.quirk,
  }
}

/** The app phase of any stack: the container through the one app stack. */
export async function buildAppPhase(
  place: StackPlace,
  record: StackRecord,
  inputs: StackInputs,
  destroy = false,
): Promise<PhaseSpec> {
  return {
    phase: 'app',
    configDir: stackDir(APP_STACK),
    workspace: await preparePhaseWorkspace(place.paths, place.stackName, 'app'),
    inputs,
    statePassphrase: record.terraform.statePassphrase,
    destroy,
  }
}

export interface PlannedPhase {
  spec: PhaseSpec
  terraform: Terraform
  /** The saved plan: in the workspace (OpenTofu, encrypted) or in the private plaintext run directory. */
  planFile: string
  hasChanges: boolean
  summary: PlanSummary | undefined
  rt: FlowRuntime
}

/** The complete child environment of a phase: secrets only as TF_VAR_*, encryption, private data dir and HOME. */
export function buildPhaseEnv(rt: FlowRuntime, spec: PhaseSpec): Env {
  const variables = Object.fromEntries(
    Object.entries(spec.inputs.secretEnv).map(([name, value]) => [name.replace(/^TF_VAR_/, ''), value]),
  )
  for (const value of Object.values(variables)) rt.redactor.add(value)
  rt.redactor.add(spec.statePassphrase)
  const encryption = rt.binary.flavor === 'tofu' ? buildEncryptionEnv(spec.statePassphrase) : {}
  rt.removeOnDispose(spec.workspace.homeDir)
  for (const [name, url] of Object.entries(providerEndpoints()))
    rt.out.warn(
      `${name}=${url} from your environment: the provider talks to that API (and sends your credentials there), not the cloud's own.`,
    )
  return {
    ...buildTfEnv({ cliConfigFile: rt.cliConfigFile, variables, encryption }),
    TF_DATA_DIR: spec.workspace.dataDir,
    HOME: spec.workspace.homeDir,
  }
}

/** The Terraform commands of one phase: its stack, its environment, its state (or the plaintext copy). */
export function phaseTerraform(rt: FlowRuntime, spec: PhaseSpec, plaintextState?: string): Terraform {
  return new Terraform({
    proc: rt.proc,
    renderer: rt.renderer,
    redactor: rt.redactor,
    interrupts: rt.interrupts,
    binary: rt.binary,
    workdir: spec.configDir,
    env: buildPhaseEnv(rt, spec),
    statePath: plaintextState ?? spec.workspace.statePath,
  })
}

/** init + plan (+ show when there are changes). Throws TerraformFailedError / TerraformInterruptedError. */
export async function planPhase(rt: FlowRuntime, spec: PhaseSpec): Promise<PlannedPhase> {
  await writeVarFile(spec.workspace.varFile, spec.inputs.tfvars)
  // HashiCorp terraform cannot encrypt: its state and plan live in plaintext only for this run (sealed-state.ts).
  const plaintext = rt.binary.flavor === 'terraform' ? await rt.sealer().unseal(spec.workspace) : undefined
  const planFile = plaintext?.planFile ?? spec.workspace.planFile
  const terraform = phaseTerraform(rt, spec, plaintext?.statePath)
  return rt.time('terraform', async () => {
    verifyRunSucceeded(await terraform.init())
    const plan = await terraform.plan({
      planFile,
      varFiles: [spec.workspace.varFile],
      ...(spec.destroy ? { destroy: true } : {}),
    })
    verifyRunSucceeded(plan)
    const summary = plan.hasChanges ? await terraform.showPlan(planFile, spec.quirk) : undefined
    return { spec, terraform, planFile, hasChanges: plan.hasChanges, summary, rt }
  })
}

/** Apply exactly the saved plan; returns the outputs afterwards (none after a destroy). */
export async function applyPhase(planned: PlannedPhase): Promise<TfOutputs> {
  return planned.rt.time('terraform', async () => {
    try {
      verifyRunSucceeded(await planned.terraform.apply(planned.planFile))
    } finally {
      await removePlan(planned.spec.workspace)
    }
    return planned.spec.destroy ? {} : planned.terraform.output()
  })
}

/** The outputs of a phase that had nothing to apply. */
export function readPhaseOutputs(planned: PlannedPhase): Promise<TfOutputs> {
  return planned.rt.time('terraform', async () => {
    await removePlan(planned.spec.workspace)
    return planned.terraform.output()
  })
}

/** The lines the gate shows for one planned phase. */
export function describePlan(phase: Phase, summary: PlanSummary): string[] {
  const lines = [
    `${PHASE_LABEL[phase]}: ${summary.adds} to add, ${summary.changes} to change, ${summary.destroys} to destroy.`,
    ...summary.resources.map((r) => `  ${r.action.padEnd(7)} ${r.address}`),
  ]
  for (const r of summary.destructive) lines.push(`  WARNING ${r.address}: ${r.destructive}`)
  return lines
}
