/**
 * `cloud:status --refresh`: the observed health and drift of every stack that should be running (Terraform
 * state, SSH with the pinned key, the container), loaded only with --refresh: a plain status needs none of
 * the Terraform runtime, the probes or the providers.
 */
import { registerSecrets } from '../flows/record.ts'
import type { FlowRuntime } from '../flows/runtime.ts'
import type { OperatorPaths } from '../state/paths.ts'
import type { StackRecord } from '../state/schema.ts'
import { buildDrift, describeHealth } from './drift.ts'
import { probeContainer, probeTerraformPhase, stackPhases } from './probe.ts'
import { appContainerId, resolveStackAccess } from './stack.ts'
import type { StatusRow } from './status.ts'

/** True for stacks whose app should be running, so a refresh has something to compare. */
export function isRefreshable(record: StackRecord): boolean {
  return record.dockerHost !== null && !['planned', 'destroying', 'destroyed'].includes(record.status)
}

/** Observe one stack (Terraform state, SSH with the pinned key, the container) and derive its drift. */
export async function refreshStatusRow(
  rt: FlowRuntime,
  paths: OperatorPaths,
  row: StatusRow,
  record: StackRecord,
  sshKey: string | undefined,
): Promise<StatusRow> {
  registerSecrets(rt, record)
  if (!isRefreshable(record)) return { ...row, health: '-', drift: [] }
  const terraform = await Promise.all(
    stackPhases(record).map(async (phase) => ({
      phase,
      hasResources: await probeTerraformPhase(rt, paths, row.stack, record, phase),
    })),
  )
  const access = await resolveStackAccess(paths, row.stack, record, sshKey)
  const observed = await probeContainer(rt, { name: row.stack, record, ...access })
  const obs = { terraform, ...observed }
  return { ...row, health: describeHealth(obs), drift: buildDrift(record, obs, appContainerId(record)) }
}
