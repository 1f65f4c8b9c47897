/**
 * The steps of `cloud:up` up to a Docker host that answers: a cloud provider's host phase (VM, key, firewall,
 * cloud-init) with its address and pinned key recorded, then the readiness wait; or, for `local`, the existing
 * host pinned and checked. Also the one-question gate of a run and the outputs a phase records.
 */
import { buildKnownHostsLine } from '../infra/host-key.ts'
import type { HostPhase } from '../providers/types.ts'
import { verifyDockerSocket } from '../ssh/health.ts'
import { type ReadinessStage, waitForHost } from '../ssh/ready.ts'
import { type SshTarget, writeKnownHosts } from '../ssh/target.ts'
import { updateStack } from '../state/records.ts'
import type { StackRecord } from '../state/schema.ts'
import { knownHostsPath } from '../state/workspace.ts'
import { readStringOutput, type TfOutputs } from '../terraform/outputs.ts'
import { buildHostRequest, readPublicKey, recordedHostKey } from './inputs.ts'
import {
  applyPhase,
  buildHostPhase,
  describePlan,
  PHASE_LABEL,
  type PlannedPhase,
  planPhase,
  readPhaseOutputs,
} from './phase.ts'
import type { UpRequest } from './requests.ts'
import type { StackSession } from './session.ts'
import {
  cloudDockerTarget,
  type DockerTarget,
  localDockerTarget,
  readPinnedHostKey,
  type SshDockerTarget,
} from './targets.ts'

export interface ReachedHost {
  record: StackRecord
  target: DockerTarget
}

/** The gate of one `up` run: asked at most once, before the first change, with the stack described first. */
export class RunGate {
  private approved = false

  constructor(
    private readonly session: StackSession,
    private readonly stackLines: readonly string[],
  ) {}

  /** True once the person approved a change in this run. */
  get changed(): boolean {
    return this.approved
  }

  /**
   * Apply `planned` if it changes anything (asking first, once per run); the phase's outputs either way.
   * `approved` is recorded on the stack with the approval, before the apply (new tokens: the container that
   * the apply creates has them, so the record must too, even if the apply fails midway).
   */
  async applyIfChanged(
    planned: PlannedPhase,
    after: string[] = [],
    approved: Partial<StackRecord> = {},
  ): Promise<TfOutputs> {
    const { phase } = planned.spec
    if (!planned.hasChanges || !planned.summary) {
      this.session.rt.out.success(`${PHASE_LABEL[phase]}: no changes.`)
      return readPhaseOutputs(planned)
    }
    if (!this.approved) {
      await this.session.approve([...this.stackLines, ...describePlan(phase, planned.summary), ...after])
      this.approved = true
    }
    await updateStack(this.session.store, this.session.stackName, 'applying', approved)
    return applyPhase(planned)
  }
}

/** The host phase of a cloud stack, its outputs recorded, then the wait for SSH, cloud-init and Docker. */
export async function bringUpHost(
  s: StackSession,
  gate: RunGate,
  host: HostPhase,
  req: UpRequest,
  record: StackRecord,
  credentials: Record<string, string>,
): Promise<ReachedHost> {
  s.rt.out.step('Host phase: VM, SSH key, firewall, cloud-init')
  const request = buildHostRequest(req, record, credentials, await readPublicKey(req.sshKey))
  const planned = await planPhase(s.rt, await buildHostPhase(s, host, record, host.buildInputs(request)))
  const outputs = await gate.applyIfChanged(planned, [
    `Then: wait for cloud-init and Docker, and start ${req.image} on the new host.`,
  ])
  const reached = await recordHost(s, req, record, outputs, planned.hasChanges)
  await waitUntilReady(s, reached.target.ssh, req.readinessTimeoutMs, ['ssh', 'cloud-init', 'docker'])
  return reached
}

/** Wait (counted as waiting time) until the host answers SSH with the pinned key and each of `stages` passes. */
async function waitUntilReady(
  s: StackSession,
  ssh: SshTarget,
  timeoutMs: number,
  stages: ReadinessStage[],
): Promise<void> {
  const what = stages.map((st) =>
    st === 'ssh' ? 'SSH with the pinned host key' : st === 'docker' ? 'Docker' : st,
  )
  s.rt.out.step(`Waiting for ${ssh.host}: ${what.join(', ')}`)
  await s.rt.time('wait', () =>
    waitForHost(s.rt.proc, ssh, {
      timeoutMs,
      signal: s.rt.interrupts.signal,
      stages,
      onProgress: (stage, problem) => s.rt.out.detail(problem ? `  ${stage}: ${problem}` : `  ${stage}…`),
    }),
  )
}

/** Record what the host phase made: address, SSH user and port, the pinned key (also in known_hosts), ids. */
async function recordHost(
  s: StackSession,
  req: UpRequest,
  record: StackRecord,
  outputs: TfOutputs,
  changed: boolean,
): Promise<ReachedHost & { target: SshDockerTarget }> {
  const address = readStringOutput(outputs, 'public_ipv4')
  const port = Number(outputs.ssh_port?.value ?? 22)
  const user = readStringOutput(outputs, 'ssh_user')
  const key = recordedHostKey(s.stackName, record)
  const knownHosts = buildKnownHostsLine(address, port, key.publicKey)
  const knownHostsFile = knownHostsPath(s.paths, s.stackName)
  await writeKnownHosts(knownHostsFile, `${knownHosts}\n`)
  const providerIds = Object.fromEntries(
    Object.entries(outputs)
      .filter(([name, o]) => name.endsWith('_id') && o.value !== null && o.value !== undefined)
      .map(([name, o]) => [name, String(o.value)]),
  )
  const ssh = {
    user,
    port,
    hostKeyPublic: key.publicKey,
    hostKeyFingerprint: key.fingerprint,
    hostKeyPrivate: key.privateKey,
    knownHosts,
  }
  // `applying` only when the host was changed just now (applyIfChanged set it); otherwise the status stays.
  const updated = await updateStack(s.store, s.stackName, changed ? 'applying' : record.status, {
    address,
    ssh,
    dockerHost: readStringOutput(outputs, 'docker_host'),
    providerIds,
    outputs: { host: plainOutputs(outputs) },
  })
  return { record: updated, target: cloudDockerTarget(address, port, user, req.sshKey, knownHostsFile) }
}

/**
 * `local`: the Docker host that already runs. Its socket, or SSH with the key the operator pinned, recorded
 * before the app phase (so a destroy after a failed run can still reach it), then checked.
 */
export async function reachExistingHost(
  s: StackSession,
  req: UpRequest,
  record: StackRecord,
): Promise<ReachedHost> {
  const given = localDockerTarget(req.dockerHost, req.sshKey, req.knownHosts)
  if (!given.ssh) {
    const updated =
      record.dockerHost === given.dockerHost
        ? record
        : await updateStack(s.store, s.stackName, record.status, { dockerHost: given.dockerHost })
    await verifyDockerSocket(given.dockerHost)
    return { record: updated, target: given }
  }
  const { host, port, user } = given.ssh
  const hostKeyPublic = await readPinnedHostKey(given.ssh.knownHostsFile, host, port)
  const knownHosts = buildKnownHostsLine(host, port, hostKeyPublic)
  const unchanged =
    record.dockerHost === given.dockerHost &&
    record.address === host &&
    record.ssh?.hostKeyPublic === hostKeyPublic &&
    record.ssh.user === user &&
    record.ssh.port === port
  const updated = unchanged
    ? record
    : await updateStack(s.store, s.stackName, record.status, {
        address: host,
        dockerHost: given.dockerHost,
        ssh: { user, port, hostKeyPublic, hostKeyFingerprint: '', hostKeyPrivate: '', knownHosts },
      })
  // From here on the pin is the recorded one, in the stack's own known_hosts file.
  const knownHostsFile = knownHostsPath(s.paths, s.stackName)
  await writeKnownHosts(knownHostsFile, `${knownHosts}\n`)
  const target = cloudDockerTarget(host, port, user, req.sshKey, knownHostsFile)
  await waitUntilReady(s, target.ssh, req.readinessTimeoutMs, ['ssh', 'docker'])
  return { record: updated, target }
}

/** The non-sensitive outputs, as recorded in the state. */
export function plainOutputs(outputs: TfOutputs): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(outputs)
      .filter(([, o]) => !o.sensitive)
      .map(([k, o]) => [k, o.value]),
  )
}
