/**
 * `cloud:destroy`: gated; provider-specific warnings (Contabo cancels the contract); pinned debug sessions
 * listed and released only with --release-sessions; the app phase, then the host phase, each as a saved
 * destroy plan that is applied exactly; the record is kept, marked destroyed, in the history.
 */
import { loadCredentials } from '../credentials.ts'
import { closeConnection } from '../daytwo/connect.ts'
import { CliError, ExitCode } from '../errors.ts'
import { GateDeniedError, requireHuman, verifyMayAsk } from '../gate/index.ts'
import { appStackDir, providerDefinition } from '../providers/index.ts'
import { pinnedSessions, releaseSessions } from '../sessions/inventory.ts'
import type { StackRecord } from '../state/schema.ts'
import { StateStore } from '../state/store.ts'
import { DEFAULT_PORTS, parsePorts } from './flags.ts'
import { buildAppInputs, buildHostInputs } from './inputs.ts'
import { applyPhase, describePlan, type PlannedPhase, planPhase } from './phase.ts'
import { recordFailure, registerSecrets, requireStack, updateStack } from './record.ts'
import type { FlowRuntime } from './runtime.ts'
import { recordDockerTarget } from './targets.ts'
import {
  acquireStackLock,
  hasPhaseState,
  knownHostsPath,
  preparePhaseWorkspace,
  removeStackFolder,
} from './workspace.ts'

export interface DestroyRequest {
  stackName: string
  operator: string | undefined
  sshKey: string
  releaseSessions: boolean
  yes: boolean
}

export interface DestroyResult {
  stack: string
  provider: string
  destroyed: { app: number; host: number }
  releasedSessions: string[]
}

/** Destroy the stack's container and (for cloud providers) its VM. */
export async function runDestroy(rt: FlowRuntime, req: DestroyRequest): Promise<DestroyResult> {
  const { out } = rt
  const gate = {
    command: 'cloud:destroy',
    operator: req.operator,
    confirmName: req.stackName,
    yes: req.yes,
    out,
  }
  out.step('Preflight: human gate signals, operator state, stack lock')
  await verifyMayAsk({ ...gate, summary: [] })
  const store = await StateStore.open(req.operator!, process.env, 'cloud:destroy')
  rt.useStore(store)
  await rt.prepareTools()
  const { doc } = await store.read()
  const record = requireStack(doc, req.stackName)
  if (record.status === 'destroyed') {
    throw new CliError(
      `Stack ${req.stackName} was already destroyed (${record.releasedAt ?? record.updatedAt}).`,
      {
        hint: 'Nothing to do. `npm run cloud:status` lists the stacks that still exist.',
        exitCode: ExitCode.notFound,
      },
    )
  }
  const pinned = pinnedSessions(doc, req.stackName).map((s) => s.id)
  if (pinned.length > 0 && !req.releaseSessions) {
    throw new CliError(
      `Stack ${req.stackName} has ${pinned.length} pinned debug session(s): ${pinned.join(', ')}.`,
      {
        hint: 'Move them elsewhere (`npm run cloud:sessions -- move <id> --to <stack>`), or add --release-sessions to release them with the stack.',
        exitCode: ExitCode.usage,
      },
    )
  }
  const def = providerDefinition(record.provider)
  const credentials = loadCredentials(def.credentials)
  // Credentials reach Terraform inside TF_VAR_* values; each one is also redacted on its own.
  rt.redactor.add(...Object.values(credentials))
  registerSecrets(rt, record)
  const release = await acquireStackLock(store.paths, req.stackName, 'cloud:destroy')
  try {
    const plans = await planDestroy(rt, store, req, record, credentials)
    const summary = [
      `Destroy stack ${req.stackName} on ${record.provider} (address ${record.address ?? '-'}), operator ${req.operator}`,
      ...(def.destroyWarning ? [`WARNING: ${def.destroyWarning}`] : []),
      ...plans.flatMap((p) =>
        p.summary ? describePlan(p.spec.phase === 'app' ? 'App (container)' : 'Host (VM)', p.summary) : [],
      ),
      ...(pinned.length > 0 ? [`Releases ${pinned.length} pinned session(s): ${pinned.join(', ')}`] : []),
    ]
    await requireHuman({ ...gate, summary })
    await updateStack(store, req.stackName, 'destroying')
    const destroyed = { app: 0, host: 0 }
    try {
      for (const planned of plans) {
        if (!planned.hasChanges) continue
        await applyPhase(planned)
        destroyed[planned.spec.phase] = planned.summary?.destroys ?? 0
      }
    } catch (error) {
      await recordFailure(rt, store, req.stackName, error)
      throw error
    }
    const now = new Date()
    await store.update((d) => {
      const next = req.releaseSessions ? releaseSessions(d, req.stackName, now).doc : d
      const current = requireStack(next, req.stackName)
      next.stacks[req.stackName] = {
        ...current,
        status: 'destroyed',
        updatedAt: now.toISOString(),
        releasedAt: now.toISOString(),
        lastError: null,
      }
      return next
    })
    // The stack's Terraform states are empty now; a stack created later under this name starts afresh (with a new
    // state passphrase, which could not open the old files).
    if (rt.binary.flavor === 'terraform') await rt.sealer().sealAll()
    // Tunnels to the destroyed host go too (their record lives in the stack folder).
    await closeConnection(rt.proc, { paths: store.paths, name: req.stackName })
    await removeStackFolder(store.paths, req.stackName)
    return { stack: req.stackName, provider: record.provider, destroyed, releasedSessions: pinned }
  } catch (error) {
    if (error instanceof GateDeniedError) out.info('Nothing was destroyed.')
    throw error
  } finally {
    await release()
  }
}

/** Saved destroy plans, app phase first; a phase with no Terraform state is left out. */
async function planDestroy(
  rt: FlowRuntime,
  store: StateStore,
  req: DestroyRequest,
  record: StackRecord,
  credentials: Record<string, string>,
): Promise<PlannedPhase[]> {
  const def = providerDefinition(record.provider)
  const plans: PlannedPhase[] = []
  const app = await preparePhaseWorkspace(store.paths, req.stackName, 'app')
  const target = await recordDockerTarget(record, knownHostsPath(store.paths, req.stackName), req.sshKey)
  if (hasPhaseState(app)) {
    if (!target) {
      throw new CliError(
        `Stack ${req.stackName} has a container in Terraform state but no recorded way to reach its host.`,
        {
          hint: 'Run `npm run cloud:up` for the stack once more (it records the host), then destroy it.',
          exitCode: ExitCode.badInput,
        },
      )
    }
    rt.out.step('Planning the destroy of the app phase (the container)')
    const ports = parsePorts(DEFAULT_PORTS)
    plans.push(
      await planPhase(rt, {
        phase: 'app',
        configDir: appStackDir,
        workspace: app,
        inputs: buildAppInputs(
          { stackName: req.stackName, env: record.env, image: record.image, ports },
          record,
          target,
        ),
        statePassphrase: record.terraform.statePassphrase,
        destroy: true,
      }),
    )
  }
  const host = await preparePhaseWorkspace(store.paths, req.stackName, 'host')
  if (def.hostStack && hasPhaseState(host)) {
    rt.out.step('Planning the destroy of the host phase (the VM)')
    plans.push(
      await planPhase(rt, {
        phase: 'host',
        configDir: def.hostStack,
        workspace: host,
        inputs: await buildHostInputs(
          { ...req, provider: record.provider, env: record.env },
          record,
          credentials,
        ),
        statePassphrase: record.terraform.statePassphrase,
        destroy: true,
      }),
    )
  }
  return plans
}
