/**
 * `cloud:up` as a list of named steps inside a stack session: the record (minted when new) → the host (a cloud
 * provider's host phase and readiness wait, or the existing host) → the image in the host's engine (lib/flows/
 * image.ts) → the app phase → health check → ready. The person is asked once, before the first change. Every step persists what it learned, so a failed or
 * interrupted run leaves a record that a re-run (which converges) or `cloud:destroy` can use.
 */
import { CliError, ExitCode } from '../errors.ts'
import { type ProviderName, providerModule } from '../providers/index.ts'
import type { ProviderModule } from '../providers/types.ts'
import { requireStack, updateStack } from '../state/records.ts'
import type { PortMapping, StackRecord } from '../state/schema.ts'
import { isLoopback } from './flags.ts'
import { checkAppHealth } from './health.ts'
import { ensureAppImage, isReferenceRef, prepareImageArchive } from './image.ts'
import { buildAppInputs } from './inputs.ts'
import { buildAppPhase, planPhase } from './phase.ts'
import { mintStackRecord, mintToken, registerSecrets } from './record.ts'
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
      const gate = new RunGate(s, describeStack(req, initial, provider))
      const archive = provider.host ? await prepareImageArchive(s.rt, req.image) : undefined
      const reached = provider.host
        ? await bringUpHost(s, gate, provider.host, req, initial, credentials)
        : await reachExistingHost(s, req, initial)
      await ensureAppImage(s.rt, reached.target, req.image, archive)
      return deployApp(s, gate, req, reached)
    })
  })
  const { terraform, wait, human } = rt.timings
  const totalMs = performance.now() - started
  return { ...result, timings: { totalMs, terraformMs: terraform, waitMs: wait, humanMs: human } }
}

/**
 * The app phase on the reached host, the health check, and the stack recorded as ready. With --rotate-tokens
 * the container is planned with new tokens, which are recorded only once the person approved (a refusal keeps
 * the running server and the record on the same, old tokens).
 */
async function deployApp(
  s: StackSession,
  gate: RunGate,
  req: UpRequest,
  reached: ReachedHost,
): Promise<Omit<UpResult, 'timings'>> {
  const { target } = reached
  const record = req.rotateTokens
    ? { ...reached.record, tokens: { api: mintToken(), runner: mintToken() } }
    : reached.record
  registerSecrets(s.rt, record)
  s.rt.out.step('App phase: the debug-server container')
  const app = await planPhase(s.rt, await buildAppPhase(s, record, buildAppInputs(req, record, target)))
  const outputs = await gate.applyIfChanged(app, [], req.rotateTokens ? { tokens: record.tokens } : {})
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

/**
 * The lines that open the gate's summary: which stack, where, what, every address a port is bound to, what
 * happens after the approval and how long that usually takes.
 */
function describeStack(req: UpRequest, record: StackRecord, provider: ProviderModule): string[] {
  const bind = (p: PortMapping) => `${p.ip}:${p.external}->${p.internal}/${p.protocol}`
  const steps = provider.host
    ? `the VM is created, cloud-init installs Docker, ${isReferenceRef(req.image) ? 'the image is loaded onto it over SSH' : 'its engine pulls the image'}, then the container starts and answers GET /healthz`
    : `the container ${req.stackName} starts from that image and answers GET /healthz`
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
    ...(req.rotateTokens
      ? [
          'Token rotation: new API and runner tokens; the container is recreated with them and the old ones stop working.',
        ]
      : []),
    `What happens: ${steps}; the tokens and addresses are recorded in your encrypted state.`,
    `How long: ${provider.usualUpTime}.`,
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

/**
 * What the success message says after the stack is up: where the server is, and the exact commands of day two
 * with the flags this run was given that they need too (the operator, a non-default SSH key).
 */
export function describeNextSteps(
  result: Pick<UpResult, 'stack' | 'dockerHost' | 'endpoints'>,
  flags: { operator: string | undefined; 'ssh-key': string | undefined },
): string[] {
  const local = result.dockerHost.startsWith('unix://')
  const operator = flags.operator === undefined ? '' : ` --operator ${flags.operator}`
  const sshKey = flags['ssh-key'] === undefined ? '' : ` --ssh-key ${flags['ssh-key']}`
  const reach = `--stack-name ${result.stack}${operator}${sshKey}`
  const call = `sh -c 'curl -s -H "Authorization: Bearer $DEBUG_SERVER_API_TOKEN" "$DEBUG_SERVER_URL/api/v1/status"'`
  return [
    `  Docker host: ${result.dockerHost}`,
    ...result.endpoints.map(
      (e) =>
        `  URL (${e.name}): ${e.url} ${local ? '(on this machine)' : '(on the host: through cloud:connect)'}`,
    ),
    'Next:',
    `  npm run cloud:connect -- ${reach} --exec -- ${call}`,
    `      calls the API with the minted token (asks you to type ${result.stack})${local ? '' : '; without --exec: tunnels until Ctrl-C'}`,
    `  npm run cloud:logs -- ${reach} --tail 50`,
    `  npm run cloud:status -- --refresh${operator}${sshKey}`,
    `  npm run cloud:destroy -- ${reach}`,
  ]
}
