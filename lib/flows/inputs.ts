/**
 * The inputs each phase is planned with, built from the request and the stack record, so that `up`, `plan`,
 * `--dry-run` and `destroy` all hand Terraform the same shape (destroy and day two from the record alone).
 */
import { readFile } from 'node:fs/promises'
import { CliError, ExitCode } from '../errors.ts'
import type { HostKey } from '../infra/host-key.ts'
import { buildAppStackInputs, type StackInputs } from '../infra/stack-inputs.ts'
import type { HostInputRequest } from '../providers/types.ts'
import type { PortMapping, StackRecord } from '../state/schema.ts'
import { ANYWHERE } from './flags.ts'
import { type DockerTarget, dockerSshOpts } from './targets.ts'

/** The pre-generated host key of a cloud stack's record (minted with the record, so always there). */
export function recordedHostKey(stackName: string, record: StackRecord): HostKey {
  if (!record.ssh || record.ssh.hostKeyPrivate === '')
    throw new CliError(`Stack ${stackName} has no pre-generated host key in its record.`, {
      hint: 'The record was edited by hand: restore it with `npm run state -- history` and `state -- restore <n>`.',
      exitCode: ExitCode.stateSchema,
    })
  const { hostKeyPrivate, hostKeyPublic, hostKeyFingerprint } = record.ssh
  return { privateKey: hostKeyPrivate, publicKey: hostKeyPublic, fingerprint: hostKeyFingerprint }
}

/** What a provider's host stack is built from: the record's key, size and location, the request's SSH ranges. */
export function buildHostRequest(
  spec: { stackName: string; env: string; sshSourceRanges?: readonly string[] },
  record: StackRecord,
  credentials: Readonly<Record<string, string>>,
  operatorPublicKey: string,
): HostInputRequest {
  return {
    stackName: spec.stackName,
    env: spec.env,
    size: record.size,
    location: record.location,
    operatorPublicKey,
    hostKey: recordedHostKey(spec.stackName, record),
    sshSourceRanges: spec.sshSourceRanges ?? ANYWHERE,
    credentials,
  }
}

/** Inputs of the app stack: the image, ports and minted tokens (sensitive) for the container. */
export function buildAppInputs(
  spec: { stackName: string; env: string; image: string; ports: readonly PortMapping[] },
  record: StackRecord,
  target: DockerTarget,
): StackInputs {
  return buildAppStackInputs({
    dockerHost: target.dockerHost,
    sshOpts: dockerSshOpts(target),
    appName: spec.stackName,
    appImage: spec.image,
    env: { DEBUG_SERVER_API_TOKEN: record.tokens.api, DEBUG_SERVER_RUNNER_TOKEN: record.tokens.runner },
    ports: spec.ports.map((p) => ({ ...p })),
    labels: { 'managed-by': 'debug-cloud', stack: spec.stackName, env: spec.env },
    restartPolicy: 'unless-stopped',
    pullPolicy: 'missing',
  })
}

/** The public half of the operator's SSH key (authorised for the deploy user of a new VM). */
export async function readPublicKey(privateKeyPath: string): Promise<string> {
  return (
    await readFile(`${privateKeyPath}.pub`, 'utf8').catch((error: unknown) => {
      throw new CliError(`Cannot read ${privateKeyPath}.pub, the public half of your SSH key.`, {
        hint: 'Create a key with `ssh-keygen -t ed25519`, or pass --ssh-key <private key path>.',
        exitCode: ExitCode.notFound,
        cause: error,
      })
    })
  ).trim()
}
