/**
 * Flags shared by cloud:up, cloud:plan and cloud:destroy, and their validation into a typed stack request.
 */
import { UsageError } from '../errors.ts'
import { referenceImageRef } from '../image/reference.ts'
import { isProviderName, PROVIDERS, type ProviderName } from '../providers/names.ts'
import { type PortMapping, STACK_NAME } from '../state/schema.ts'
import type { StackRequest } from './requests.ts'
import { resolveSshKey } from './targets.ts'

export const stackFlags = {
  provider: {
    type: 'string',
    description: 'Where the debug server runs.',
    choices: PROVIDERS,
    default: 'local',
  },
  env: {
    type: 'string',
    description: 'Environment label (dev, staging, prod…).',
    placeholder: 'name',
    default: 'dev',
  },
  'stack-name': {
    type: 'string',
    description: 'Name of the stack (default: debug-<env>). You type it to approve.',
    placeholder: 'name',
  },
  image: {
    type: 'string',
    description:
      'Debug-server image to run (default: the reference server, built offline when missing; docs/spec.md#the-debug-server-contract).',
    placeholder: 'ref',
  },
  ports: {
    type: 'string',
    description:
      'Published ports, comma-separated [hostIp:]external:internal[/proto] (default 127.0.0.1:8080:8080). hostIp is loopback unless --expose.',
    placeholder: 'list',
  },
  expose: {
    type: 'boolean',
    description:
      'local only: let --ports bind other addresses than loopback (0.0.0.0: the app is reachable from the network).',
  },
  location: {
    type: 'string',
    description: 'Provider location / region (hetzner: fsn1, contabo: EU).',
    placeholder: 'name',
  },
  size: {
    type: 'string',
    description: 'Server type / product (hetzner: cx23, contabo: V92).',
    placeholder: 'name',
  },
  'docker-host': {
    type: 'string',
    description:
      'local only: the existing Docker host (unix:///var/run/docker.sock or ssh://user@host[:port]).',
    placeholder: 'url',
  },
  'ssh-key': {
    type: 'string',
    description: 'Private key used to reach the host over SSH (default ~/.ssh/id_ed25519).',
    placeholder: 'path',
  },
  'known-hosts': {
    type: 'string',
    description: 'local with ssh:// only: known_hosts file that pins the existing host key.',
    placeholder: 'path',
  },
  'ssh-from': {
    type: 'string',
    description:
      'hetzner/contabo: source ranges (CIDR, comma-separated) allowed to reach SSH (default: anywhere).',
    placeholder: 'cidrs',
  },
  operator: {
    type: 'string',
    description: 'Operator whose state is used (default: the only one).',
    placeholder: 'name',
  },
  'dry-run': {
    type: 'boolean',
    description: 'Render inputs and user data and print the steps; change nothing.',
  },
  yes: {
    type: 'boolean',
    description:
      'Skip the typed confirmation: only within an explicit `npm run cloud:unlock` of this terminal.',
  },
  'tf-bin': {
    type: 'string',
    description: 'Terraform binary: tofu, terraform, or a path to one (default: the pinned tofu, else PATH).',
    placeholder: 'tofu|terraform|path',
  },
} as const

/** Parse `--ports`: `[hostIp:]external:internal[/proto]`, comma-separated. */
export function parsePorts(text: string): PortMapping[] {
  return text.split(',').map((raw) => {
    const item = raw.trim()
    const match = /^(?:(\d{1,3}(?:\.\d{1,3}){3}):)?(\d{1,5}):(\d{1,5})(?:\/(tcp|udp))?$/.exec(item)
    if (!match) {
      throw new UsageError(
        `--ports entry "${item}" is not [hostIp:]external:internal[/tcp|udp].`,
        'Example: --ports 127.0.0.1:8080:8080,9229:9229/tcp',
      )
    }
    const [, ip, external, internal, protocol] = match
    const mapping: PortMapping = {
      ip: ip ?? '127.0.0.1',
      external: Number(external),
      internal: Number(internal),
      protocol: protocol === 'udp' ? 'udp' : 'tcp',
    }
    if ([mapping.external, mapping.internal].some((p) => p < 1 || p > 65535))
      throw new UsageError(`--ports entry "${item}" has a port outside 1-65535.`)
    return mapping
  })
}

/** True for an address in 127.0.0.0/8, which only the Docker host itself (and SSH tunnels to it) reaches. */
export function isLoopback(ip: string): boolean {
  return ip.startsWith('127.')
}

/**
 * Refuse a non-loopback bind unless the person asked for exposure with --expose, and --expose on a cloud
 * provider: there the firewall admits only SSH (Hetzner's cloud firewall, Contabo's nftables on input and on
 * Docker's forward path), so the app is reached through `cloud:connect` and a wider bind would only mislead.
 */
export function verifyBinds(ports: readonly PortMapping[], provider: ProviderName, expose: boolean): void {
  if (expose && provider !== 'local')
    throw new UsageError(
      `--expose is for --provider local; on ${provider} the firewall admits only SSH.`,
      'Leave --expose out and reach the app with `npm run cloud:connect` (an SSH tunnel to its loopback port).',
    )
  const exposed = ports.find((p) => !isLoopback(p.ip))
  if (exposed && !expose)
    throw new UsageError(
      `--ports binds ${exposed.ip}:${exposed.external}, which exposes the debug server to the network.`,
      provider === 'local'
        ? 'Bind 127.0.0.1 (the default), or add --expose if you mean the app to be reachable from the network.'
        : 'Bind 127.0.0.1 (the default) and reach the app with `npm run cloud:connect`.',
    )
}

/** SSH is open to these unless --ssh-from narrows it (the key is pinned and only keys log in). */
export const ANYWHERE = ['0.0.0.0/0', '::/0'] as const

/** Parse `--ssh-from`: comma-separated IPv4/IPv6 CIDR ranges. */
export function parseSourceRanges(text: string | undefined): string[] {
  if (text === undefined) return [...ANYWHERE]
  return text.split(',').map((raw) => {
    const item = raw.trim()
    if (!/^(?:\d{1,3}(?:\.\d{1,3}){3}\/\d{1,2}|[0-9a-fA-F:]+\/\d{1,3})$/.test(item)) {
      throw new UsageError(
        `--ssh-from entry "${item}" is not a CIDR range.`,
        'Example: --ssh-from 203.0.113.7/32,2001:db8::/64',
      )
    }
    return item
  })
}

/** A validated stack name: the given one, or debug-<env>. */
export function resolveStackName(given: string | undefined, env: string): string {
  const name = given ?? `debug-${env}`
  if (!STACK_NAME.test(name)) {
    throw new UsageError(
      `Stack name "${name}" is not allowed.`,
      'Use up to 63 lower-case letters, digits and dashes, starting and ending with a letter or digit (it also names cloud resources).',
    )
  }
  return name
}

/** The provider name from --provider (the parser checked it against the choices; this narrows the type). */
export function toProvider(value: string): ProviderName {
  if (!isProviderName(value)) throw new UsageError(`--provider must be one of ${PROVIDERS.join(', ')}.`)
  return value
}

/** The image `cloud:up` runs when --image is not given: the reference server, built offline when missing. */
export const DEFAULT_IMAGE = referenceImageRef()
export const DEFAULT_PORTS = '127.0.0.1:8080:8080'

/** The parsed stack flags common to cloud:up and cloud:plan. */
export interface StackFlagValues {
  provider: string
  env: string
  'stack-name': string | undefined
  image: string | undefined
  ports: string | undefined
  location: string | undefined
  size: string | undefined
  'docker-host': string | undefined
  'known-hosts': string | undefined
  'ssh-key': string | undefined
  'ssh-from': string | undefined
  expose: boolean
}

/** Validate the stack flags into the request shape of the flows (timeouts are the caller's). */
export function buildStackRequest(flags: StackFlagValues): StackRequest {
  const provider = toProvider(flags.provider)
  const ports = parsePorts(flags.ports ?? DEFAULT_PORTS)
  verifyBinds(ports, provider, flags.expose)
  return {
    provider,
    env: flags.env,
    stackName: resolveStackName(flags['stack-name'], flags.env),
    image: flags.image ?? DEFAULT_IMAGE,
    ports,
    location: flags.location,
    size: flags.size,
    dockerHost: flags['docker-host'],
    knownHosts: flags['known-hosts'],
    sshKey: resolveSshKey(flags['ssh-key']),
    sshSourceRanges: parseSourceRanges(flags['ssh-from']),
  }
}
