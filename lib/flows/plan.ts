/**
 * `cloud:plan`: what `cloud:up` would change, without changing anything. Exit 0 = no changes, 2 = changes
 * (like `terraform plan -detailed-exitcode`). Gated only where it needs provider credentials (hetzner and
 * contabo): a plan with the token can already run provider code, so agents and CI never get that far.
 * A stack not created yet is planned with throwaway secrets in a private folder that is removed afterwards.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { providerModule } from '../providers/index.ts'
import type { OperatorPaths } from '../state/paths.ts'
import type { Phase } from '../state/workspace.ts'
import { knownHostsPath } from '../state/workspace.ts'
import type { PlanSummary } from '../terraform/plan-summary.ts'
import { buildAppInputs, buildHostRequest, readPublicKey } from './inputs.ts'
import {
  buildAppPhase,
  buildHostPhase,
  describePlan,
  PHASE_LABEL,
  planPhase,
  type StackPlace,
} from './phase.ts'
import { mintStackRecord, registerSecrets } from './record.ts'
import type { Asker, StackRequest } from './requests.ts'
import type { FlowRuntime } from './runtime.ts'
import { runStackSession } from './session.ts'
import { localDockerTarget, recordDockerTarget } from './targets.ts'

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
export async function runPlan(rt: FlowRuntime, req: StackRequest & Asker): Promise<PlanReport> {
  const provider = providerModule(req.provider)
  const gated = provider.credentials.length > 0
  return runStackSession(rt, { ...req, command: 'cloud:plan', gated }, async (s) => {
    if (gated)
      await s.approve([
        `Plan stack ${req.stackName} on ${req.provider} with your ${provider.credentials.map((c) => c.name).join(', ')} (changes nothing).`,
      ])
    const credentials = await s.credentials(provider)
    const existing = (await s.store.read()).doc.stacks[req.stackName]
    const exists = existing !== undefined && existing.status !== 'destroyed'
    const record = exists ? existing : mintStackRecord(provider, req)
    registerSecrets(rt, record)
    const scratch = exists ? undefined : await makePlanScratch(s.paths, req.stackName)
    const place: StackPlace = {
      paths: scratch ? { ...s.paths, dir: scratch } : s.paths,
      stackName: req.stackName,
    }
    const report: PlanReport = {
      stack: req.stackName,
      provider: req.provider,
      exists,
      hasChanges: false,
      phases: [],
      notes: [],
    }
    const add = (phase: Phase, planned: { hasChanges: boolean; summary?: PlanSummary | undefined }) => {
      report.phases.push({ phase, summary: planned.summary ?? null })
      report.hasChanges ||= planned.hasChanges
    }
    try {
      if (provider.host) {
        const request = buildHostRequest(req, record, credentials, await readPublicKey(req.sshKey))
        add(
          'host',
          await planPhase(
            rt,
            await buildHostPhase(place, provider.host, record, provider.host.buildInputs(request)),
          ),
        )
      }
      const target = provider.host
        ? await recordDockerTarget(record, knownHostsPath(place.paths, req.stackName), req.sshKey)
        : localDockerTarget(req.dockerHost, req.sshKey, req.knownHosts)
      if (target)
        add(
          'app',
          await planPhase(rt, await buildAppPhase(place, record, buildAppInputs(req, record, target))),
        )
      else {
        report.notes.push(
          'The app phase is planned once the VM exists (cloud:up plans it right after the host is ready).',
        )
        report.hasChanges = true
      }
      return report
    } finally {
      // Seal before a scratch workspace disappears (terraform binary only; OpenTofu encrypts natively).
      if (rt.binary.flavor === 'terraform') await rt.sealer().sealAll()
      if (scratch) await rm(scratch, { recursive: true, force: true })
    }
  })
}

/**
 * The private folder a stack not created yet is planned in: `stacks/<stack>.plan-XXXXXX` (0700) in the operator's
 * directory, so a killed plan leaves nothing in $TMPDIR. Leftovers of killed plans of this stack go first: the
 * stack lock is held, so none of them is in use.
 */
async function makePlanScratch(paths: OperatorPaths, stack: string): Promise<string> {
  const stacks = join(paths.dir, 'stacks')
  const prefix = `${stack}.plan-`
  for (const entry of await readdir(stacks))
    if (entry.startsWith(prefix)) await rm(join(stacks, entry), { recursive: true, force: true })
  return mkdtemp(join(stacks, prefix))
}

/** The human-readable plan report. */
export function describePlanReport(report: PlanReport): string[] {
  const lines = [`Stack ${report.stack} on ${report.provider}${report.exists ? '' : ' (not created yet)'}:`]
  for (const { phase, summary } of report.phases)
    lines.push(...(summary ? describePlan(phase, summary) : [`${PHASE_LABEL[phase]}: no changes.`]))
  return [...lines, ...report.notes]
}
