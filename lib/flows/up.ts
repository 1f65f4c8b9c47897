/**
 * `cloud:up` as a list of named steps inside a stack session: the record (minted when new) → the host (a cloud
 * provider's host phase and readiness wait, or the existing host) → the app phase → health check → ready. The
 * person is asked once, before the first change. Every step persists what it learned, so a failed or
 * interrupted run leaves a record that a re-run (which converges) or `cloud:destroy` can use.
 */
import { CliError, ExitCode } from '../errors.ts'
import { type ProviderName, providerModule } from '../providers/index.ts'
import type { ProviderModule } from '../providers/types.ts'
import { requireStack, updateStack } from '../state/records.ts'
import type { PortMapping, StackRecord } from '../state/schema.ts'
import { isLoopback } from './flags.ts'
import { checkAppHealth } from './health.ts'
import { buildAppInputs } from './inputs.ts'
import { buildAppPhase, planPhase } from './phase.ts'
import { mintStackRecord, registerSecrets } from './record.ts'
import type { UpRequest } from './requests.ts'
import type { FlowRuntime } from './runtime.ts'
import { runStackSession, type StackSession } from './session.ts'
import { bringUpHost, plainOutputs, type ReachedHost, RunGate, reachExistingHost } from './up-host.ts'

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
  const provider = providerModule(req.provider)
  const session = { ...req, command: 'cloud:up', gated: true }
  const result = await runStackSession(rt, session, async (s) => {
    const credentials = await s.credentials(provider)
    const initial = await ensureRecord(s, provider, req)
    return s.recordingFailures(async () => {
      const gate = new RunGate(s, describeStack(req, initial))
      const reached = provider.host
        ? await bringUpHost(s, gate, provider.host, req, initial, credentials)
        : await reachExistingHost(s, req, initial)
      return deployApp(s, gate, req, reached)
    })
  })
  const { terraform, wait, human } = rt.timings
  const totalMs = performance.now() - started
  return { ...result, timings: { totalMs, terraformMs: terraform, waitMs: wait, humanMs: human } }
}

/** The app phase on the reached host, the health check, and the stack recorded as ready. */
async function deployApp(
  s: StackSession,
  gate: RunGate,
  req: UpRequest,
  { record, target }: ReachedHost,
): Promise<Omit<UpResult, 'timings'>> {
  s.rt.out.step('App phase: the debug-server container')
  const app = await planPhase(s.rt, await buildAppPhase(s, record, buildAppInputs(req, record, target)))
  const outputs = await gate.applyIfChanged(app)
  s.rt.out.step(`Health check: GET /healthz on port ${req.ports[0]?.external}`)
  await s.rt.time('wait', () => checkAppHealth(s.rt.proc, target, req.ports, req.healthTimeoutMs))
  const endpoints = endpointsOf(outputs.endpoint_urls?.value)
  const ready = await updateStack(s.store, s.stackName, 'ready', {
    ports: req.ports,
    dockerHost: target.dockerHost,
    endpoints,
    outputs: { ...record.outputs, app: plainOutputs(outputs) },
    lastError: null,
  })
  return {
    stack: s.stackName,
    provider: req.provider,
    changed: gate.changed,
    address: ready.address,
    dockerHost: target.dockerHost,
    endpoints,
  }
}

/** The app's endpoint URLs from the app stack's `endpoint_urls` output. */
function endpointsOf(urls: unknown): { name: string; url: string }[] {
  if (!urls || typeof urls !== 'object') return []
  return Object.entries(urls as Record<string, unknown>).map(([name, url]) => ({ name, url: String(url) }))
}

/** The lines that open the gate's summary: which stack, where, what, and every address a port is bound to. */
function describeStack(req: UpRequest, record: StackRecord): string[] {
  const bind = (p: PortMapping) => `${p.ip}:${p.external}->${p.internal}/${p.protocol}`
  return [
    `Stack ${req.stackName} (${record.status === 'planned' ? 'new' : record.status}) on ${req.provider}, operator ${req.operator}`,
    `  size ${record.size ?? '-'}, location ${record.location ?? '-'}, image ${req.image}`,
    `  ports ${req.ports.map(bind).join(', ') || '-'}`,
    ...req.ports
      .filter((p) => !isLoopback(p.ip))
      .map(
        (p) =>
          `WARNING: ${bind(p)} is reachable from the network, not only through cloud:connect (--expose).`,
      ),
  ]
}

/** The existing record (same provider) or a new one, persisted as `planned` with freshly minted secrets. */
async function ensureRecord(s: StackSession, provider: ProviderModule, req: UpRequest): Promise<StackRecord> {
  const existing = (await s.store.read()).doc.stacks[req.stackName]
  let record: StackRecord
  if (existing && existing.status !== 'destroyed') {
    if (existing.provider !== req.provider)
      throw new CliError(
        `Stack ${req.stackName} already exists on ${existing.provider}, not ${req.provider}.`,
        {
          hint: 'Choose another --stack-name, or destroy that stack first.',
          exitCode: ExitCode.usage,
        },
      )
    record = existing
  } else {
    const minted = mintStackRecord(provider, req)
    const saved = await s.store.update((d) => {
      d.stacks[req.stackName] = minted
      return d
    })
    record = requireStack(saved, req.stackName)
  }
  registerSecrets(s.rt, record)
  return record
}
