/**
 * What the Hetzner and Contabo APIs would create for a host stack, modelled after the stacks' main.tf and
 * the providers' schemas: the desired resources (config attributes only, secrets reduced to a digest the
 * way hcloud keeps user_data), the attributes the API computes on create (ids, addresses, status), and the
 * root outputs exactly as each stack's outputs.tf declares them. The "VM" is the bench's test host.
 */
import { createHash, randomInt } from 'node:crypto'
import type { ResourceAddress } from './stream.ts'

export type StackKind = 'hetzner' | 'contabo'

/** The directory names of the host stacks (cwd of the launcher's host phase). */
export const HOST_STACK_DIRS: Record<string, StackKind> = {
  hetzner_docker_node: 'hetzner',
  contabo_docker_node: 'contabo',
}

/** Defaults of the stacks' variables.tf that the double needs (a test checks them against the HCL). */
export const VARIABLE_DEFAULTS: Record<StackKind, Record<string, string | number>> = {
  hetzner: { server_type: 'cx23', image: 'debian-12', location: 'fsn1', ssh_user: 'deploy' },
  contabo: { product_id: 'V92', region: 'EU', period: 1, ssh_user: 'deploy' },
}

/** The providers each stack initialises. */
export const PROVIDER_SOURCES: Record<StackKind, string> = {
  hetzner: 'hetznercloud/hcloud',
  contabo: 'contabo/contabo',
}

export interface DesiredResource {
  address: ResourceAddress
  config: Record<string, unknown>
  /** Attributes whose change replaces the resource. */
  forceNew: readonly string[]
  /** lifecycle.ignore_changes. */
  ignoreChanges: readonly string[]
}

export interface StateResource {
  address: ResourceAddress
  id: string
  attributes: Record<string, unknown>
}

/** The test host the "VM" really is. */
export interface FakeVm {
  address: string
}

/** hcloud's StateFunc for user_data keeps only a digest; the double does the same for both providers. */
export function digestUserData(userData: string): string {
  return createHash('sha1').update(userData).digest('base64')
}

const res = (provider: string, type: string, name: string): ResourceAddress => ({ provider, type, name })

/** The resources of a stack for its variables (tfvars merged over the defaults) and the user data digest. */
export function buildDesired(
  kind: StackKind,
  vars: Record<string, unknown>,
  userDataDigest: string,
): DesiredResource[] {
  const v = { ...VARIABLE_DEFAULTS[kind], ...vars }
  if (kind === 'hetzner') {
    const labels = { ...(v.labels as Record<string, string> | undefined), 'managed-by': 'debug-cloud' }
    return [
      {
        address: res('hcloud', 'hcloud_ssh_key', 'operator'),
        config: { name: `${v.name}-operator`, public_key: v.operator_ssh_public_key, labels },
        forceNew: ['public_key'],
        ignoreChanges: [],
      },
      {
        address: res('hcloud', 'hcloud_firewall', 'node'),
        config: {
          name: `${v.name}-firewall`,
          labels,
          rule: [{ direction: 'in', protocol: 'tcp', port: '22', source_ips: v.ssh_source_ranges }],
        },
        forceNew: [],
        ignoreChanges: [],
      },
      {
        address: res('hcloud', 'hcloud_server', 'node'),
        config: {
          name: v.name,
          server_type: v.server_type,
          image: v.image,
          location: v.location,
          user_data: userDataDigest,
          labels,
        },
        forceNew: ['image', 'location', 'user_data'],
        ignoreChanges: [],
      },
    ]
  }
  return [
    {
      address: res('contabo', 'contabo_secret', 'operator'),
      config: { name: `${v.name}-operator`, type: 'ssh', value: v.operator_ssh_public_key },
      forceNew: [],
      ignoreChanges: [],
    },
    {
      address: res('contabo', 'contabo_instance', 'node'),
      config: {
        display_name: v.name,
        product_id: v.product_id,
        region: v.region,
        image_id: v.image_id,
        period: v.period,
        default_user: 'admin',
        user_data: userDataDigest,
      },
      forceNew: [],
      ignoreChanges: ['user_data', 'ssh_keys', 'image_id'],
    },
  ]
}

/** Attributes the API returns on create: an id, and for the server its addresses and status. */
export function buildComputed(
  address: ResourceAddress,
  vm: FakeVm,
): { id: string; attributes: Record<string, unknown> } {
  const id = String(randomInt(10_000_000, 99_999_999))
  if (address.type === 'hcloud_server')
    return { id, attributes: { ipv4_address: vm.address, ipv6_address: '2001:db8::1', status: 'running' } }
  if (address.type === 'contabo_instance')
    return {
      id,
      attributes: {
        ip_config: [
          { v4: [{ ip: vm.address, gateway: vm.address.replace(/\.\d+$/, '.1'), netmask_cidr: 24 }], v6: [] },
        ],
        status: 'running',
      },
    }
  return { id, attributes: {} }
}

export interface OutputValue {
  sensitive: false
  type: 'string' | 'number' | 'dynamic'
  value: unknown
}

/** The root outputs of outputs.tf, from the state's resources; `{}` when nothing exists. */
export function buildOutputs(
  kind: StackKind,
  resources: readonly StateResource[],
  vars: Record<string, unknown>,
): Record<string, OutputValue> {
  const find = (type: string) => resources.find((r) => r.address.type === type)
  const v = { ...VARIABLE_DEFAULTS[kind], ...vars }
  const s = (value: unknown): OutputValue => ({ sensitive: false, type: 'string', value })
  if (kind === 'hetzner') {
    const server = find('hcloud_server')
    const firewall = find('hcloud_firewall')
    const key = find('hcloud_ssh_key')
    if (!server || !firewall || !key) return {}
    const ipv4 = server.attributes.ipv4_address
    return {
      provider: s('hetzner'),
      public_ipv4: s(ipv4),
      public_ipv6: s(server.attributes.ipv6_address),
      ssh_user: s(v.ssh_user),
      ssh_port: { sensitive: false, type: 'number', value: 22 },
      host_key_fingerprint: s(v.host_key_fingerprint),
      docker_host: s(`ssh://${v.ssh_user}@${ipv4}:22`),
      server_id: s(server.id),
      firewall_id: s(firewall.id),
      ssh_key_id: s(key.id),
      server_status: s(server.attributes.status),
    }
  }
  const instance = find('contabo_instance')
  const secret = find('contabo_secret')
  if (!instance || !secret) return {}
  const ipConfig = instance.attributes.ip_config as { v4: { ip: string }[]; v6: { ip: string }[] }[]
  const ipv4 = ipConfig[0]!.v4[0]!.ip
  return {
    provider: s('contabo'),
    public_ipv4: s(ipv4),
    public_ipv6: { sensitive: false, type: 'dynamic', value: ipConfig[0]!.v6[0]?.ip ?? null },
    ssh_user: s(v.ssh_user),
    ssh_port: { sensitive: false, type: 'number', value: 22 },
    host_key_fingerprint: s(v.host_key_fingerprint),
    docker_host: s(`ssh://${v.ssh_user}@${ipv4}:22`),
    instance_id: s(instance.id),
    ssh_key_secret_id: s(secret.id),
    instance_status: s(instance.attributes.status),
  }
}
