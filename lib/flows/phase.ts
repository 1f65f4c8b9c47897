/**
 * One phase (host or app) of a stack as Terraform sees it: write the non-secret var file, init offline,
 * plan to a saved plan (encrypted by OpenTofu), summarise it, and apply exactly that plan.
 */
import { writeFile } from 'node:fs/promises'
import type { StackInputs } from '../infra/stack-inputs.ts'
import type { Env } from '../proc.ts'
import { buildEncryptionEnv } from '../terraform/encryption.ts'
import { buildTfEnv } from '../terraform/env.ts'
import { verifyRunSucceeded } from '../terraform/errors.ts'
import type { TfOutputs } from '../terraform/outputs.ts'
import type { PlanSummary } from '../terraform/plan-summary.ts'
import { Terraform } from '../terraform/terraform.ts'
import type { FlowRuntime } from './runtime.ts'
import { type Phase, type PhaseWorkspace, removePlan } from './workspace.ts'

export interface PhaseSpec {
  phase: Phase
  configDir: string
  workspace: PhaseWorkspace
  inputs: StackInputs
  statePassphrase: string
  destroy?: boolean
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

/** The complete child environment of a phase: secrets only as TF_VAR_*, encryption, private data dir. */
export function buildPhaseEnv(rt: FlowRuntime, spec: PhaseSpec): Env {
  const variables = Object.fromEntries(
    Object.entries(spec.inputs.secretEnv).map(([name, value]) => [name.replace(/^TF_VAR_/, ''), value]),
  )
  for (const value of Object.values(variables)) rt.redactor.add(value)
  rt.redactor.add(spec.statePassphrase)
  const encryption = rt.binary.flavor === 'tofu' ? buildEncryptionEnv(spec.statePassphrase) : {}
  return {
    ...buildTfEnv({ cliConfigFile: rt.cliConfigFile, variables, encryption }),
    TF_DATA_DIR: spec.workspace.dataDir,
  }
}

/** init + plan (+ show when there are changes). Throws TerraformFailedError / TerraformInterruptedError. */
export async function planPhase(rt: FlowRuntime, spec: PhaseSpec): Promise<PlannedPhase> {
  await writeFile(spec.workspace.varFile, `${JSON.stringify(spec.inputs.tfvars, null, 2)}\n`, { mode: 0o600 })
  // HashiCorp terraform cannot encrypt: its state and plan live in plaintext only for this run (sealed-state.ts).
  const plaintext = rt.binary.flavor === 'terraform' ? await rt.sealer().unseal(spec.workspace) : undefined
  const planFile = plaintext?.planFile ?? spec.workspace.planFile
  const terraform = new Terraform({
    proc: rt.proc,
    renderer: rt.renderer,
    redactor: rt.redactor,
    interrupts: rt.interrupts,
    binary: rt.binary,
    workdir: spec.configDir,
    env: buildPhaseEnv(rt, spec),
    statePath: plaintext?.statePath ?? spec.workspace.statePath,
  })
  return rt.time('terraform', async () => {
    verifyRunSucceeded(await terraform.init())
    const plan = await terraform.plan({
      planFile,
      varFiles: [spec.workspace.varFile],
      ...(spec.destroy ? { destroy: true } : {}),
    })
    verifyRunSucceeded(plan)
    const summary = plan.hasChanges ? await terraform.showPlan(planFile) : undefined
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
export function describePlan(label: string, summary: PlanSummary): string[] {
  const lines = [
    `${label}: ${summary.adds} to add, ${summary.changes} to change, ${summary.destroys} to destroy.`,
    ...summary.resources.map((r) => `  ${r.action.padEnd(7)} ${r.address}`),
  ]
  for (const r of summary.destructive) lines.push(`  WARNING ${r.address}: ${r.destructive}`)
  return lines
}
