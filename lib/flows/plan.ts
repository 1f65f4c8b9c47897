/**
 * `cloud:plan`: what `cloud:up` would change, without changing anything. Exit 0 = no changes, 2 = changes
 * (like `terraform plan -detailed-exitcode`). Gated only where it needs provider credentials (hetzner and
 * contabo): a plan with the token can already run provider code, so agents and CI never get that far.
 * A stack not created yet is planned with throwaway secrets in a private folder that is removed afterwards.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadCredentials } from '../credentials.ts'
import { requireHuman } from '../gate/index.ts'
import { appStackDir, providerDefinition } from '../providers/index.ts'
import { resolveOperator } from '../state/operator.ts'
import { StateStore } from '../state/store.ts'
import type { PlanSummary } from '../terraform/plan-summary.ts'
import { buildAppInputs, buildHostInputs } from './inputs.ts'
import { describePlan, planPhase } from './phase.ts'
import { mintStackRecord, registerSecrets } from './record.ts'
import type { FlowRuntime } from './runtime.ts'
import { localDockerTarget, recordDockerTarget } from './targets.ts'
import type { UpRequest } from './up.ts'
import { acquireStackLock, knownHostsPath, type Phase, preparePhaseWorkspace } from './workspace.ts'

export interface PlanReport {
  stack: string
  provider: string
  exists: boolean
  hasChanges: boolean
  phases: { phase: Phase; summary: PlanSummary | null }[]
  /** Said when a phase cannot be planned yet (the app phase of a VM that does not exist). */
  notes: string[]
}

/** Plan every phase that can be planned now and summarise it. */
export async function runPlan(rt: FlowRuntime, req: UpRequest): Promise<PlanReport> {
  const def = providerDefinition(req.provider)
  if (def.credentials.length > 0) {
    await requireHuman({
      command: 'cloud:plan',
      operator: req.operator,
      confirmName: req.stackName,
      yes: req.yes,
      out: rt.out,
      summary: [
        `Plan stack ${req.stackName} on ${req.provider} with your ${def.credentials.join(', ')} (changes nothing).`,
      ],
    })
  }
  // Without the gate (local) nothing has resolved the operator yet: resolve it strictly here.
  const store = await StateStore.open(req.operator ?? (await resolveOperator({})), process.env, 'cloud:plan')
  rt.useStore(store)
  await rt.prepareTools()
  const existing = (await store.read()).doc.stacks[req.stackName]
  const exists = existing !== undefined && existing.status !== 'destroyed'
  const record = exists ? existing : await mintStackRecord(rt.proc, req)
  registerSecrets(rt, record)
  const credentials = loadCredentials(def.credentials)
  // Credentials reach Terraform inside TF_VAR_* values; each one is also redacted on its own.
  rt.redactor.add(...Object.values(credentials))
  const scratch = exists ? undefined : await mkdtemp(join(tmpdir(), 'debug-cloud-plan-'))
  const paths = scratch ? { ...store.paths, dir: scratch } : store.paths
  const release = await acquireStackLock(paths, req.stackName, 'cloud:plan')
  const report: PlanReport = {
    stack: req.stackName,
    provider: req.provider,
    exists,
    hasChanges: false,
    phases: [],
    notes: [],
  }
  try {
    if (def.hostStack) {
      const host = await planPhase(rt, {
        phase: 'host',
        configDir: def.hostStack,
        workspace: await preparePhaseWorkspace(paths, req.stackName, 'host'),
        inputs: await buildHostInputs(req, record, credentials),
        statePassphrase: record.terraform.statePassphrase,
      })
      report.phases.push({ phase: 'host', summary: host.summary ?? null })
      report.hasChanges ||= host.hasChanges
    }
    const target = def.hostStack
      ? await recordDockerTarget(record, knownHostsPath(paths, req.stackName), req.sshKey)
      : localDockerTarget(req.dockerHost, req.sshKey, req.knownHosts)
    if (target) {
      const app = await planPhase(rt, {
        phase: 'app',
        configDir: appStackDir,
        workspace: await preparePhaseWorkspace(paths, req.stackName, 'app'),
        inputs: buildAppInputs(req, record, target),
        statePassphrase: record.terraform.statePassphrase,
      })
      report.phases.push({ phase: 'app', summary: app.summary ?? null })
      report.hasChanges ||= app.hasChanges
    } else {
      report.notes.push(
        'The app phase is planned once the VM exists (cloud:up plans it right after the host is ready).',
      )
      report.hasChanges = true
    }
    return report
  } finally {
    // Seal before a scratch workspace disappears (terraform binary only; OpenTofu encrypts natively).
    if (rt.binary.flavor === 'terraform') await rt.sealer().sealAll()
    await release()
    if (scratch) await rm(scratch, { recursive: true, force: true })
  }
}

/** The human-readable plan report. */
export function describePlanReport(report: PlanReport): string[] {
  const lines = [`Stack ${report.stack} on ${report.provider}${report.exists ? '' : ' (not created yet)'}:`]
  for (const { phase, summary } of report.phases) {
    const label = phase === 'app' ? 'App (container)' : 'Host (VM)'
    lines.push(...(summary ? describePlan(label, summary) : [`${label}: no changes.`]))
  }
  return [...lines, ...report.notes]
}
