/**
 * Looking at reality for `status --refresh`, read-only: the Terraform state of each phase (`output -json`,
 * no refresh, no plan), and one pinned SSH call that both proves the host answers with its pinned key and
 * asks Docker about the app container.
 */
import { buildAppPhase, buildHostPhase, phaseTerraform } from '../flows/phase.ts'
import type { FlowRuntime } from '../flows/runtime.ts'
import { buildDockerArgv } from '../image/docker.ts'
import { buildChildEnv } from '../proc.ts'
import { providerModule } from '../providers/index.ts'
import { isHostKeyFailure } from '../ssh/ready.ts'
import type { OperatorPaths } from '../state/paths.ts'
import type { StackRecord } from '../state/schema.ts'
import { hasPhaseState, type Phase, preparePhaseWorkspace } from '../state/workspace.ts'
import type { HostObservation, Observation } from './drift.ts'
import { parseInspect } from './drift.ts'
import { appContainerName, type StackHandle } from './stack.ts'

/** The output that proves a phase's state still holds the stack. */
const PROOF_OUTPUT: Record<Phase, string> = { host: 'public_ipv4', app: 'container_id' }

/** Phases a stack of this provider has. */
export function stackPhases(record: StackRecord): Phase[] {
  return providerModule(record.provider).host ? ['host', 'app'] : ['app']
}

/** True when the phase's state exists and its proof output is set. Never plans, refreshes or applies. */
export async function probeTerraformPhase(
  rt: FlowRuntime,
  paths: OperatorPaths,
  stack: string,
  record: StackRecord,
  phase: Phase,
): Promise<boolean> {
  const workspace = await preparePhaseWorkspace(paths, stack, phase)
  if (!hasPhaseState(workspace)) return false
  // The HashiCorp binary's state is sealed between runs; reading its outputs would unseal it under a running
  // up's feet, so its presence is the evidence here (OpenTofu's outputs are read below).
  if (rt.binary.flavor === 'terraform') return true
  // Reading outputs needs no inputs: only the stack, its state and the state's passphrase.
  const place = { paths, stackName: stack }
  const none = { tfvars: {}, secretEnv: {} }
  const host = providerModule(record.provider).host
  const spec =
    phase === 'host' && host
      ? await buildHostPhase(place, host, record, none)
      : await buildAppPhase(place, record, none)
  const terraform = phaseTerraform(rt, spec)
  const outputs = await terraform.output()
  const proof = outputs[PROOF_OUTPUT[phase]]?.value
  return proof !== undefined && proof !== null && proof !== ''
}

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1) ?? ''
}

/** Ask Docker on the stack's host about the app container (over pinned SSH for ssh:// hosts). */
export async function probeContainer(
  rt: Pick<FlowRuntime, 'proc' | 'redactor'>,
  stack: Pick<StackHandle, 'name' | 'record' | 'ssh' | 'dockerHost'>,
): Promise<Pick<Observation, 'host' | 'container'>> {
  const argv = buildDockerArgv(stack, [
    'inspect',
    '--type',
    'container',
    appContainerName(stack.name, stack.record),
  ])
  const result = await rt.proc.run(argv, { env: buildChildEnv() })
  if (result.exitCode === 0) return { host: { state: 'ok' }, container: parseInspect(result.stdout) }
  const stderr = rt.redactor.redact(result.stderr)
  if (/No such (?:container|object)/i.test(stderr)) return { host: { state: 'ok' }, container: 'gone' }
  let host: HostObservation
  if (stack.ssh && isHostKeyFailure(stderr)) host = { state: 'host-key-changed' }
  else if (stack.ssh && result.exitCode === 255) host = { state: 'unreachable', detail: lastLine(stderr) }
  else host = { state: 'docker-unavailable', detail: lastLine(stderr) || `exit ${result.exitCode}` }
  return { host, container: undefined }
}
