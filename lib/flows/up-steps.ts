/**
 * The steps of `cloud:up` that talk to Terraform and the host: the host phase with its recorded outputs and
 * pinned key, the gate-once-then-apply rule, and pinning an existing server's key.
 */
import { buildKnownHostsLine } from '../infra/host-key.ts'
import { writeKnownHosts } from '../ssh/target.ts'
import type { StackRecord } from '../state/schema.ts'
import type { StateStore } from '../state/store.ts'
import { readStringOutput, type TfOutputs } from '../terraform/outputs.ts'
import { buildHostInputs } from './inputs.ts'
import { applyPhase, describePlan, type PlannedPhase, planPhase, readPhaseOutputs } from './phase.ts'
import { updateStack } from './record.ts'
import type { FlowRuntime } from './runtime.ts'
import { type DockerTarget, readPinnedHostKey } from './targets.ts'
import type { UpRequest } from './up.ts'
import { knownHostsPath, preparePhaseWorkspace } from './workspace.ts'

export type Approve = (summary: string[]) => Promise<void>

export interface UpContext {
  rt: FlowRuntime
  store: StateStore
  req: UpRequest
  approve: Approve
  changed: () => boolean
}

/** Plan the host phase, apply it when it changes anything, and record address, ids and the pinned key. */
export async function runHostPhase(
  ctx: UpContext,
  record: StackRecord,
  hostStack: string,
  credentials: Record<string, string>,
): Promise<StackRecord> {
  const { rt, store, req } = ctx
  rt.out.step('Host phase: VM, SSH key, firewall, cloud-init')
  const planned = await planPhase(rt, {
    phase: 'host',
    configDir: hostStack,
    workspace: await preparePhaseWorkspace(store.paths, req.stackName, 'host'),
    inputs: await buildHostInputs(req, record, credentials),
    statePassphrase: record.terraform.statePassphrase,
  })
  const outputs = await applyIfChanged(ctx, planned, 'Host (VM)', [
    `Then: wait for cloud-init and Docker, and start ${req.image} on the new host.`,
  ])
  const address = readStringOutput(outputs, 'public_ipv4')
  const port = Number(outputs.ssh_port?.value ?? 22)
  const ssh = { ...record.ssh!, user: readStringOutput(outputs, 'ssh_user'), port }
  ssh.knownHosts = buildKnownHostsLine(address, port, ssh.hostKeyPublic)
  await writeKnownHosts(knownHostsPath(store.paths, req.stackName), `${ssh.knownHosts}\n`)
  const providerIds = Object.fromEntries(
    Object.entries(outputs)
      .filter(([name, o]) => name.endsWith('_id') && o.value !== null && o.value !== undefined)
      .map(([name, o]) => [name, String(o.value)]),
  )
  // `applying` only when the host was changed just now (applyIfChanged set it); otherwise the status stays.
  return updateStack(store, req.stackName, planned.hasChanges ? 'applying' : record.status, {
    address,
    ssh,
    dockerHost: readStringOutput(outputs, 'docker_host'),
    providerIds,
    outputs: { host: plainOutputs(outputs) },
  })
}

/** Ask the gate (once per run) when the plan changes anything, then apply it; outputs either way. */
export async function applyIfChanged(
  ctx: UpContext,
  planned: PlannedPhase,
  label: string,
  after: string[] = [],
) {
  if (!planned.hasChanges || !planned.summary) {
    ctx.rt.out.success(`${label}: no changes.`)
    return readPhaseOutputs(planned)
  }
  await ctx.approve([...describePlan(label, planned.summary), ...after])
  await updateStack(ctx.store, ctx.req.stackName, 'applying')
  return applyPhase(planned)
}

/** For an existing Docker host, record how to reach it: the socket, or SSH with the host key the operator pinned. */
export async function pinExistingHost(
  store: StateStore,
  req: UpRequest,
  record: StackRecord,
  target: DockerTarget,
): Promise<StackRecord> {
  // The Docker host is recorded before the app phase, so a destroy after a failed run can still reach it.
  if (!target.ssh) {
    if (record.dockerHost === target.dockerHost) return record
    return updateStack(store, req.stackName, record.status, { dockerHost: target.dockerHost })
  }
  const { host, port, user } = target.ssh
  const publicKey = await readPinnedHostKey(target.ssh.knownHostsFile, host, port)
  const ssh = record.ssh
  if (
    record.dockerHost === target.dockerHost &&
    record.address === host &&
    ssh?.hostKeyPublic === publicKey &&
    ssh.user === user &&
    ssh.port === port
  )
    return record
  return updateStack(store, req.stackName, record.status, {
    address: host,
    dockerHost: target.dockerHost,
    ssh: {
      user,
      port,
      hostKeyPublic: publicKey,
      hostKeyFingerprint: '',
      hostKeyPrivate: '',
      knownHosts: buildKnownHostsLine(host, port, publicKey),
    },
  })
}

/** The non-sensitive outputs, as recorded in the state. */
export function plainOutputs(outputs: TfOutputs): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(outputs)
      .filter(([, o]) => !o.sensitive)
      .map(([k, o]) => [k, o.value]),
  )
}

/** The app's endpoint URLs from the app stack's outputs. */
export function endpointsOf(outputs: TfOutputs): { name: string; url: string }[] {
  const urls = outputs.endpoint_urls?.value
  if (!urls || typeof urls !== 'object') return []
  return Object.entries(urls as Record<string, unknown>).map(([name, url]) => ({ name, url: String(url) }))
}
