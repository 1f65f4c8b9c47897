/**
 * `cloud:up` as a list of named steps: preflight → plan the host phase → gate (approve exactly that plan) →
 * apply → wait for the host → app phase → health check → persist → how to connect. Every step persists
 * what it learned, so a failed or interrupted run leaves a record that a re-run (which converges) or
 * `cloud:destroy` can use.
 */
import { loadCredentials } from '../credentials.ts'
import { CliError, ExitCode } from '../errors.ts'
import { GateDeniedError, requireHuman, verifyMayAsk } from '../gate/index.ts'
import { appStackDir, type ProviderName, providerDefinition } from '../providers/index.ts'
import { verifyDockerSocket } from '../ssh/health.ts'
import { waitForHost } from '../ssh/ready.ts'
import type { StackRecord } from '../state/schema.ts'
import { StateStore } from '../state/store.ts'
import type { PortMapping } from './flags.ts'
import { checkAppHealth } from './health.ts'
import { buildAppInputs } from './inputs.ts'
import { planPhase } from './phase.ts'
import { mintStackRecord, recordFailure, registerSecrets, requireStack, updateStack } from './record.ts'
import type { FlowRuntime } from './runtime.ts'
import { cloudDockerTarget, type DockerTarget, localDockerTarget, recordDockerTarget } from './targets.ts'
import {
  applyIfChanged,
  endpointsOf,
  pinExistingHost,
  plainOutputs,
  runHostPhase,
  type UpContext,
} from './up-steps.ts'
import { acquireStackLock, knownHostsPath, preparePhaseWorkspace } from './workspace.ts'

export interface UpRequest {
  provider: ProviderName
  env: string
  stackName: string
  image: string
  ports: PortMapping[]
  location: string | undefined
  size: string | undefined
  dockerHost: string | undefined
  knownHosts: string | undefined
  sshKey: string
  sshSourceRanges: readonly string[]
  /** Undefined when no operator exists here: the gate then refuses (no identity). */
  operator: string | undefined
  yes: boolean
  readinessTimeoutMs: number
  healthTimeoutMs: number
}

export interface UpResult {
  stack: string
  provider: ProviderName
  /** False when both phases planned no changes (a converged re-run). */
  changed: boolean
  address: string | null
  dockerHost: string
  endpoints: { name: string; url: string }[]
  /** Where the time went: all of it, Terraform, waits (host, health), the person at the gate (ms). */
  timings: { totalMs: number; terraformMs: number; waitMs: number; humanMs: number }
}

/** Bring the stack up (or converge it); see the module comment for the steps. */
export async function runUp(rt: FlowRuntime, req: UpRequest): Promise<UpResult> {
  const started = performance.now()
  const { out } = rt
  const gate = { command: 'cloud:up', operator: req.operator, confirmName: req.stackName, yes: req.yes, out }
  out.step('Preflight: human gate signals, operator state, credentials, stack lock')
  await verifyMayAsk({ ...gate, summary: [] })
  // The gate refuses when no operator resolved, so from here on there is one.
  const store = await StateStore.open(req.operator!, process.env, 'cloud:up')
  rt.useStore(store)
  await rt.prepareTools()
  const def = providerDefinition(req.provider)
  const credentials = loadCredentials(def.credentials)
  // Credentials reach Terraform inside TF_VAR_* values; each one is also redacted on its own.
  rt.redactor.add(...Object.values(credentials))
  const release = await acquireStackLock(store.paths, req.stackName, 'cloud:up')
  try {
    const initial = await ensureRecord(rt, store, req)
    let approved = false
    const ctx: UpContext = {
      rt,
      store,
      req,
      changed: () => approved,
      approve: async (summary) => {
        if (approved) return
        await rt.time('human', () =>
          requireHuman({ ...gate, summary: [...describeStack(req, initial), ...summary] }),
        )
        approved = true
      },
    }
    try {
      const result = await runSteps(ctx, initial, def.hostStack, credentials)
      const { terraform, wait, human } = rt.timings
      const totalMs = performance.now() - started
      return { ...result, timings: { totalMs, terraformMs: terraform, waitMs: wait, humanMs: human } }
    } catch (error) {
      if (!(error instanceof GateDeniedError)) await recordFailure(rt, store, req.stackName, error)
      throw error
    }
  } finally {
    await release()
  }
}

async function runSteps(
  ctx: UpContext,
  initial: StackRecord,
  hostStack: string | null,
  credentials: Record<string, string>,
): Promise<Omit<UpResult, 'timings'>> {
  const { rt, store, req } = ctx
  let record = initial
  let target: DockerTarget
  if (hostStack) {
    record = await runHostPhase(ctx, record, hostStack, credentials)
    target = cloudDockerTarget(
      record.address!,
      record.ssh!.port,
      record.ssh!.user,
      req.sshKey,
      knownHostsPath(store.paths, req.stackName),
    )
    rt.out.step(`Waiting for ${record.address}: SSH with the pinned host key, cloud-init, Docker`)
    await rt.time('wait', () =>
      waitForHost(rt.proc, target.ssh!, {
        timeoutMs: req.readinessTimeoutMs,
        signal: rt.interrupts.signal,
        onProgress: (stage, problem) => rt.out.detail(problem ? `  ${stage}: ${problem}` : `  ${stage}…`),
      }),
    )
  } else {
    target = localDockerTarget(req.dockerHost, req.sshKey, req.knownHosts)
    record = await pinExistingHost(store, req, record, target)
    // From here on the pin is the recorded one, in the stack's own known_hosts file.
    target = (await recordDockerTarget(record, knownHostsPath(store.paths, req.stackName), req.sshKey))!
    if (!target.ssh) await verifyDockerSocket(target.dockerHost)
    else {
      rt.out.step(`Waiting for ${target.ssh.host}: SSH with the pinned host key, Docker`)
      const ssh = target.ssh
      await rt.time('wait', () =>
        waitForHost(rt.proc, ssh, {
          timeoutMs: req.readinessTimeoutMs,
          signal: rt.interrupts.signal,
          stages: ['ssh', 'docker'],
        }),
      )
    }
  }
  rt.out.step('App phase: the debug-server container')
  const app = await planPhase(rt, {
    phase: 'app',
    configDir: appStackDir,
    workspace: await preparePhaseWorkspace(store.paths, req.stackName, 'app'),
    inputs: buildAppInputs(req, record, target),
    statePassphrase: record.terraform.statePassphrase,
  })
  const appOutputs = await applyIfChanged(ctx, app, 'App (container)')
  rt.out.step(`Health check: GET /healthz on port ${req.ports[0]!.external}`)
  await rt.time('wait', () => checkAppHealth(rt.proc, target, req.ports[0]!, req.healthTimeoutMs))
  const endpoints = endpointsOf(appOutputs)
  record = await updateStack(store, req.stackName, 'ready', {
    dockerHost: target.dockerHost,
    endpoints,
    outputs: { ...record.outputs, app: plainOutputs(appOutputs) },
    lastError: null,
  })
  return {
    stack: req.stackName,
    provider: req.provider,
    changed: ctx.changed(),
    address: record.address,
    dockerHost: target.dockerHost,
    endpoints,
  }
}

/** Plan the host phase, apply it when it changes anything, and record address, ids and the pinned key. */
function describeStack(req: UpRequest, record: StackRecord): string[] {
  return [
    `Stack ${req.stackName} (${record.status === 'planned' ? 'new' : record.status}) on ${req.provider}, operator ${req.operator}`,
    `  size ${record.size ?? '-'}, location ${record.location ?? '-'}, image ${req.image}`,
  ]
}

/** The existing record (same provider) or a new one, persisted as `planned` with freshly minted secrets. */
async function ensureRecord(rt: FlowRuntime, store: StateStore, req: UpRequest): Promise<StackRecord> {
  const { doc } = await store.read()
  const existing = doc.stacks[req.stackName]
  let record: StackRecord
  if (existing && existing.status !== 'destroyed') {
    if (existing.provider !== req.provider) {
      throw new CliError(
        `Stack ${req.stackName} already exists on ${existing.provider}, not ${req.provider}.`,
        {
          hint: 'Choose another --stack-name, or destroy that stack first.',
          exitCode: ExitCode.usage,
        },
      )
    }
    record = existing
  } else {
    record = await mintStackRecord(rt.proc, req)
    const saved = await store.update((d) => {
      d.stacks[req.stackName] = record
      return d
    })
    record = requireStack(saved, req.stackName)
  }
  registerSecrets(rt, record)
  return record
}
