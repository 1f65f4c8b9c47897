/**
 * The inputs `up` and `destroy` hand to each phase, built from the request and the stack record, so a
 * destroy plans against exactly what up applied.
 */
import { readFile } from 'node:fs/promises'
import { CliError, ExitCode } from '../errors.ts'
import { renderStackInputs, type StackInputs } from '../infra/stack-inputs.ts'
import type { ProviderName } from '../providers/index.ts'
import type { StackRecord } from '../state/schema.ts'
import { ANYWHERE, type PortMapping } from './flags.ts'
import { type DockerTarget, dockerSshOpts } from './targets.ts'

export interface HostSpec {
  /** Who may reach SSH on the VM (default: anywhere). */
  sshSourceRanges?: readonly string[]
  stackName: string
  env: string
  provider: ProviderName
  sshKey: string
}

export interface AppSpec {
  stackName: string
  env: string
  image: string
  ports: readonly PortMapping[]
}

/** Inputs of a provider's host stack: the pinned host key in the user data, credentials as TF_VAR_* only. */
export async function buildHostInputs(
  req: HostSpec,
  record: StackRecord,
  credentials: Record<string, string>,
  operatorPublicKey?: string,
): Promise<StackInputs> {
  operatorPublicKey ??= await readPublicKey(req.sshKey)
  const hostKey = {
    privateKey: record.ssh!.hostKeyPrivate,
    publicKey: record.ssh!.hostKeyPublic,
    fingerprint: record.ssh!.hostKeyFingerprint,
  }
  const common = {
    name: req.stackName,
    operatorPublicKey,
    hostKey,
    sshSourceRanges: req.sshSourceRanges ?? ANYWHERE,
  }
  if (req.provider === 'hetzner') {
    return renderStackInputs('hetzner', {
      ...common,
      hcloudToken: credentials.HCLOUD_TOKEN!,
      serverType: record.size ?? undefined,
      location: record.location ?? undefined,
      labels: { 'managed-by': 'debug-cloud', stack: req.stackName, env: req.env },
    })
  }
  return renderStackInputs('contabo', {
    ...common,
    credentials: {
      clientId: credentials.CNTB_OAUTH2_CLIENT_ID!,
      clientSecret: credentials.CNTB_OAUTH2_CLIENT_SECRET!,
      user: credentials.CNTB_OAUTH2_USER!,
      password: credentials.CNTB_OAUTH2_PASS!,
    },
    imageId: credentials.CNTB_IMAGE_ID!,
    productId: record.size ?? undefined,
    region: record.location ?? undefined,
  })
}

/** Inputs of the app stack: the image, ports and minted tokens (sensitive) for the container. */
export function buildAppInputs(req: AppSpec, record: StackRecord, target: DockerTarget): StackInputs {
  return renderStackInputs('local', {
    dockerHost: target.dockerHost,
    sshOpts: dockerSshOpts(target),
    appName: req.stackName,
    appImage: req.image,
    env: { DEBUG_SERVER_API_TOKEN: record.tokens.api, DEBUG_SERVER_RUNNER_TOKEN: record.tokens.runner },
    ports: req.ports.map((p) => ({
      internal: p.internal,
      external: p.external,
      ip: p.ip,
      protocol: p.protocol,
    })),
    labels: { 'managed-by': 'debug-cloud', stack: req.stackName, env: req.env },
    restartPolicy: 'unless-stopped',
    pullPolicy: 'missing',
  })
}

async function readPublicKey(privateKeyPath: string): Promise<string> {
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
