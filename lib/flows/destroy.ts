/**
 * `cloud:destroy` inside a stack session: refuse a destroyed stack or one with pinned sessions (unless
 * --release-sessions); plan the app phase, then the host phase, each as a saved destroy plan built from the
 * record alone; one approval (provider warnings first: Contabo cancels the contract); apply exactly those plans;
 * keep the record, marked destroyed, in the history; remove the stack's working files and tunnels.
 */
import { closeConnection } from '../daytwo/connect.ts'
import { CliError, ExitCode } from '../errors.ts'
import { GateDeniedError } from '../gate/index.ts'
import { providerModule } from '../providers/index.ts'
import type { ProviderModule } from '../providers/types.ts'
import { pinnedSessions, releaseSessions } from '../sessions/inventory.ts'
import { requireStack, updateStack } from '../state/records.ts'
import type { StackRecord, StateDocument } from '../state/schema.ts'
import {
  hasPhaseState,
  knownHostsPath,
  preparePhaseWorkspace,
  removeStackFolder,
} from '../state/workspace.ts'
import { buildAppInputs, buildHostRequest, readPublicKey } from './inputs.ts'
import {
  applyPhase,
  buildAppPhase,
  buildHostPhase,
  describePlan,
  type PlannedPhase,
  planPhase,
} from './phase.ts'
import { registerSecrets } from './record.ts'
import type { DestroyRequest } from './requests.ts'
import type { FlowRuntime } from './runtime.ts'
import { runStackSession, type StackSession } from './session.ts'
import { recordDockerTarget } from './targets.ts'

export interface DestroyResult {
  stack: string
  provider: string
  destroyed: { app: number; host: number }
  releasedSessions: string[]
}

/** Destroy the stack's container and (for cloud providers) its VM. */
export async function runDestroy(rt: FlowRuntime, req: DestroyRequest): Promise<DestroyResult> {
  const session = { ...req, command: 'cloud:destroy', gated: true }
  try {
    return await runStackSession(rt, session, async (s) => {
      const { doc } = await s.store.read()
      const record = requireStack(doc, req.stackName)
      const pinned = verifyDestroyable(doc, record, req)
      const provider = providerModule(record.provider)
      const credentials = await s.credentials(provider)
      registerSecrets(rt, record)
      const plans = await planDestroy(s, provider, req, record, credentials)
      await s.approve([
        `Destroy stack ${req.stackName} on ${record.provider} (address ${record.address ?? '-'}), operator ${s.operator}`,
        ...(provider.destroyWarning ? [`WARNING: ${provider.destroyWarning}`] : []),
        ...plans.flatMap((p) => (p.summary ? describePlan(p.spec.phase, p.summary) : [])),
        ...(pinned.length > 0 ? [`Releases ${pinned.length} pinned session(s): ${pinned.join(', ')}`] : []),
      ])
      await updateStack(s.store, req.stackName, 'destroying')
      const destroyed = await s.recordingFailures(() => applyDestroyPlans(plans))
      await markDestroyed(s, req.releaseSessions)
      await removeWorkingFiles(s)
      return { stack: req.stackName, provider: record.provider, destroyed, releasedSessions: pinned }
    })
  } catch (error) {
    if (error instanceof GateDeniedError) rt.out.info('Nothing was destroyed.')
    throw error
  }
}

/** The sessions a destroy releases; refuses an already destroyed stack, or pinned sessions without consent. */
function verifyDestroyable(doc: StateDocument, record: StackRecord, req: DestroyRequest): string[] {
  if (record.status === 'destroyed')
    throw new CliError(
      `Stack ${req.stackName} was already destroyed (${record.releasedAt ?? record.updatedAt}).`,
      {
        hint: 'Nothing to do. `npm run cloud:status` lists the stacks that still exist.',
        exitCode: ExitCode.notFound,
      },
    )
  const pinned = pinnedSessions(doc, req.stackName).map((session) => session.id)
  if (pinned.length > 0 && !req.releaseSessions)
    throw new CliError(
      `Stack ${req.stackName} has ${pinned.length} pinned debug session(s): ${pinned.join(', ')}.`,
      {
        hint: 'Move them elsewhere (`npm run cloud:sessions -- move <id> --to <stack>`), or add --release-sessions to release them with the stack.',
        exitCode: ExitCode.usage,
      },
    )
  return pinned
}

/** Saved destroy plans, app phase first, built from the record alone; a phase without Terraform state is left out. */
async function planDestroy(
  s: StackSession,
  provider: ProviderModule,
  req: DestroyRequest,
  record: StackRecord,
  credentials: Record<string, string>,
): Promise<PlannedPhase[]> {
  const plans: PlannedPhase[] = []
  if (hasPhaseState(await preparePhaseWorkspace(s.paths, req.stackName, 'app'))) {
    const target = await recordDockerTarget(record, knownHostsPath(s.paths, req.stackName), req.sshKey)
    if (!target)
      throw new CliError(
        `Stack ${req.stackName} has a container in Terraform state but no recorded way to reach its host.`,
        {
          hint: 'Run `npm run cloud:up` for the stack once more (it records the host), then destroy it.',
          exitCode: ExitCode.badInput,
        },
      )
    s.rt.out.step('Planning the destroy of the app phase (the container)')
    const inputs = buildAppInputs({ ...record, stackName: req.stackName }, record, target)
    plans.push(await planPhase(s.rt, await buildAppPhase(s, record, inputs, true)))
  }
  const host = provider.host
  if (host && hasPhaseState(await preparePhaseWorkspace(s.paths, req.stackName, 'host'))) {
    s.rt.out.step('Planning the destroy of the host phase (the VM)')
    const request = buildHostRequest(
      { ...record, stackName: req.stackName },
      record,
      credentials,
      await readPublicKey(req.sshKey),
    )
    plans.push(await planPhase(s.rt, await buildHostPhase(s, host, record, host.buildInputs(request), true)))
  }
  return plans
}

/** Apply each destroy plan that has changes; how many resources each phase destroyed. */
async function applyDestroyPlans(plans: PlannedPhase[]): Promise<{ app: number; host: number }> {
  const destroyed = { app: 0, host: 0 }
  for (const planned of plans) {
    if (!planned.hasChanges) continue
    await applyPhase(planned)
    destroyed[planned.spec.phase] = planned.summary?.destroys ?? 0
  }
  return destroyed
}

/** The record stays, marked destroyed (and its sessions released when asked). */
async function markDestroyed(s: StackSession, release: boolean): Promise<void> {
  const now = new Date()
  await s.store.update((d) => {
    const next = release ? releaseSessions(d, s.stackName, now).doc : d
    const current = requireStack(next, s.stackName)
    next.stacks[s.stackName] = {
      ...current,
      status: 'destroyed',
      updatedAt: now.toISOString(),
      releasedAt: now.toISOString(),
      lastError: null,
    }
    return next
  })
}

/**
 * The stack's Terraform states are empty now; a stack created later under this name starts afresh (with a new
 * state passphrase, which could not open the old files). Its tunnels go too (their record is in the folder).
 */
async function removeWorkingFiles(s: StackSession): Promise<void> {
  if (s.rt.binary.flavor === 'terraform') await s.rt.sealer().sealAll()
  await closeConnection(s.rt.proc, { paths: s.paths, name: s.stackName })
  await removeStackFolder(s.paths, s.stackName)
}
