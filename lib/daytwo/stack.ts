/**
 * The stack a day-two command acts on: the operator's record (decrypted, MAC verified), how to reach its
 * Docker host (pinned SSH or the local socket), the app container and its published ports. The pinned
 * known_hosts file is (re)written from the record, which is the one source of truth for the host key.
 */
import type { Output } from '../cli/output.ts'
import { CliError, ExitCode } from '../errors.ts'
import { registerSecrets } from '../flows/record.ts'
import { recordDockerTarget, resolveSshKey } from '../flows/targets.ts'
import { openOperatorStore } from '../gate/unlock.ts'
import type { SshTarget } from '../ssh/target.ts'
import type { Keyring } from '../state/keyring.ts'
import { resolveOperator } from '../state/operator.ts'
import type { OperatorPaths } from '../state/paths.ts'
import { requireStack } from '../state/records.ts'
import type { StackRecord, StateDocument } from '../state/schema.ts'
import type { StateStore } from '../state/store.ts'
import { knownHostsPath } from '../state/workspace.ts'
import { processRedactor } from '../terraform/redact.ts'
import { StackNotReadyError } from './errors.ts'

export interface StackHandle {
  name: string
  operator: string
  paths: OperatorPaths
  /** The operator's identity as opened for this command (the reveal gate needs it). */
  keyring: Keyring
  doc: StateDocument
  record: StackRecord
  /** ssh:// Docker host of the stack, or undefined for a local unix socket. */
  ssh: SshTarget | undefined
  /** The DOCKER_HOST the stack was deployed through (ssh://… or unix://…). */
  dockerHost: string
}

export interface PublishedPort {
  ip: string
  external: number
  internal: number
  protocol: string
}

/** Open the operator's state (its identity unlocked: lib/gate/unlock.ts); every secret in it is registered
 * with the process redactor (error reports). */
export async function openStackState(
  operatorFlag: string | undefined,
  command: string,
  out: Output,
): Promise<{ store: StateStore; doc: StateDocument }> {
  const operator = await resolveOperator({ flag: operatorFlag })
  const store = await openOperatorStore({ operator, command, out })
  const { doc } = await store.read()
  for (const record of Object.values(doc.stacks)) registerSecrets({ redactor: processRedactor }, record)
  return { store, doc }
}

/** How to reach a record's Docker host; for ssh:// the pinned known_hosts file is written from the record. */
export async function resolveStackAccess(
  paths: OperatorPaths,
  name: string,
  record: StackRecord,
  sshKey: string | undefined,
): Promise<{ ssh: SshTarget | undefined; dockerHost: string }> {
  if (record.dockerHost === null) throw new StackNotReadyError(name, record.status)
  const target = await recordDockerTarget(record, knownHostsPath(paths, name), resolveSshKey(sshKey))
  if (!target)
    throw new CliError(`Stack ${name} has no pinned host key in its record.`, {
      hint: 'Re-run `npm run cloud:up` for the stack (with --known-hosts for an existing server) to pin it.',
      exitCode: ExitCode.badInput,
    })
  return { ssh: target.ssh, dockerHost: target.dockerHost }
}

/** Resolve operator, state and stack; refuses a stack that has no app deployed. */
export async function openStack(options: {
  operator: string | undefined
  stack: string
  sshKey: string | undefined
  command: string
  out: Output
}): Promise<StackHandle> {
  const { store, doc } = await openStackState(options.operator, options.command, options.out)
  const record = requireStack(doc, options.stack)
  if (record.status === 'destroyed' || record.status === 'destroying')
    throw new StackNotReadyError(options.stack, record.status)
  const access = await resolveStackAccess(store.paths, options.stack, record, options.sshKey)
  const { operator, paths, keyring } = store
  return { name: options.stack, operator, paths, keyring, doc, record, ...access }
}

/** Docker's container name rule; names reach a remote shell, so nothing else is accepted. */
const CONTAINER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/

/** The app container's name (the app phase's `container_name` output, else the stack name). */
export function appContainerName(name: string, record: StackRecord): string {
  const app = record.outputs.app as Record<string, unknown> | undefined
  const value = typeof app?.container_name === 'string' ? app.container_name : name
  if (!CONTAINER_NAME.test(value))
    throw new CliError(`The recorded container name "${value}" is not a Docker container name.`, {
      hint: 'Fix outputs.app.container_name with `npm run state -- edit`, or re-run cloud:up.',
      exitCode: ExitCode.stateSchema,
    })
  return value
}

/** The app container's id as Terraform created it, if recorded. */
export function appContainerId(record: StackRecord): string | undefined {
  const app = record.outputs.app as Record<string, unknown> | undefined
  return typeof app?.container_id === 'string' ? app.container_id : undefined
}

function isPublishedPort(value: unknown): value is PublishedPort {
  if (value === null || typeof value !== 'object') return false
  const p = value as Record<string, unknown>
  return (
    typeof p.ip === 'string' &&
    typeof p.external === 'number' &&
    typeof p.internal === 'number' &&
    typeof p.protocol === 'string'
  )
}

/** The app's published ports from the app phase's `published_ports` output. */
export function publishedPorts(record: StackRecord): PublishedPort[] {
  const app = record.outputs.app as Record<string, unknown> | undefined
  const list = app?.published_ports
  return Array.isArray(list) ? list.filter(isPublishedPort) : []
}
