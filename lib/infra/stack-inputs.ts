/**
 * Renders each stack's inputs: non-secret values as an object for `<name>.auto.tfvars.json` (0600), secrets
 * only as `TF_VAR_*` entries for the child's environment (user data with the host private key, API tokens,
 * the container env, TLS keys). Unset options are left out so the HCL defaults apply.
 */
import { chmod, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  type CloudInitInput,
  type DockerInstall,
  type DockerTlsServer,
  renderCloudInit,
} from './cloud-init.ts'
import { InfraInputError } from './errors.ts'
import { type FirewallPort, verifyFirewallSpec } from './firewall.ts'
import type { HostKey } from './host-key.ts'
import type { StackProvider } from './stacks.ts'

type TfValue = string | number | boolean | null | TfValue[] | { [key: string]: TfValue }
export type Tfvars = Record<string, TfValue>

export interface StackInputs {
  tfvars: Tfvars
  secretEnv: Record<`TF_VAR_${string}`, string>
}

interface HostOptions {
  name: string
  operatorPublicKey: string
  hostKey: HostKey
  sshSourceRanges: readonly string[]
  appFirewallPorts?: readonly FirewallPort[]
  dockerInstall?: DockerInstall
  dockerTls?: DockerTlsServer
  dockerTlsSourceRanges?: readonly string[]
}

export interface HetznerOptions extends HostOptions {
  hcloudToken: string
  serverType?: string
  image?: 'debian-12' | 'debian-13' | 'ubuntu-24.04' | 'ubuntu-22.04'
  location?: string
  labels?: Readonly<Record<string, string>>
}

export interface ContaboOptions extends HostOptions {
  credentials: { clientId: string; clientSecret: string; user: string; password: string }
  imageId: string
  os?: 'debian' | 'ubuntu'
  productId?: string
  region?: string
  period?: 1 | 3 | 6 | 12
}

export interface AppPort {
  internal: number
  external?: number
  ip?: string
  protocol?: 'tcp' | 'udp' | 'sctp'
}

export interface AppOptions {
  dockerHost: string
  sshOpts?: readonly string[]
  /** Client side of mutual TLS for tcp:// hosts. */
  dockerTls?: { caMaterial: string; certMaterial: string; keyMaterial: string }
  appName?: string
  appImage: string
  env?: Readonly<Record<string, string>>
  ports?: readonly AppPort[]
  labels?: Readonly<Record<string, string>>
  restartPolicy?: 'no' | 'on-failure' | 'always' | 'unless-stopped'
  healthcheck?: {
    test: readonly string[]
    interval?: string
    timeout?: string
    startPeriod?: string
    retries?: number
    waitTimeout?: number
  }
  command?: readonly string[]
  pullPolicy?: 'missing' | 'always' | 'never'
}

export interface StackOptions {
  hetzner: HetznerOptions
  contabo: ContaboOptions
  local: AppOptions
}

/** Drop undefined entries so HCL defaults apply. */
function defined(values: Record<string, TfValue | undefined>): Tfvars {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Tfvars
}

function userData(options: HostOptions, extra: Partial<CloudInitInput>): string {
  return renderCloudInit({
    hostKey: options.hostKey,
    authorizedKeys: [options.operatorPublicKey],
    dockerInstall: options.dockerInstall ?? 'distro',
    ...(options.dockerTls ? { dockerTls: options.dockerTls } : {}),
    ...extra,
  })
}

function firewallOf(options: HostOptions) {
  const spec = {
    sshSourceRanges: options.sshSourceRanges,
    appPorts: options.appFirewallPorts ?? [],
    ...(options.dockerTlsSourceRanges ? { dockerTlsSourceRanges: options.dockerTlsSourceRanges } : {}),
  }
  verifyFirewallSpec(spec, options.dockerTls !== undefined)
  return spec
}

function renderHetzner(o: HetznerOptions): StackInputs {
  const firewall = firewallOf(o)
  const tfvars = defined({
    name: o.name,
    server_type: o.serverType,
    image: o.image,
    location: o.location,
    operator_ssh_public_key: o.operatorPublicKey.trim(),
    host_key_fingerprint: o.hostKey.fingerprint,
    ssh_source_ranges: [...firewall.sshSourceRanges],
    app_firewall_ports: firewall.appPorts.map((p) => ({
      port: p.port,
      protocol: p.protocol,
      source_ranges: [...p.sourceRanges],
    })),
    docker_tls_source_ranges: firewall.dockerTlsSourceRanges
      ? [...firewall.dockerTlsSourceRanges]
      : undefined,
    labels: o.labels ? { ...o.labels } : undefined,
  })
  const os = o.image?.startsWith('ubuntu') ? 'ubuntu' : 'debian'
  return { tfvars, secretEnv: { TF_VAR_hcloud_token: o.hcloudToken, TF_VAR_user_data: userData(o, { os }) } }
}

function renderContabo(o: ContaboOptions): StackInputs {
  const hostFirewall = firewallOf(o)
  const tfvars = defined({
    name: o.name,
    product_id: o.productId,
    region: o.region,
    image_id: o.imageId,
    period: o.period,
    operator_ssh_public_key: o.operatorPublicKey.trim(),
    host_key_fingerprint: o.hostKey.fingerprint,
  })
  const { clientId, clientSecret, user, password } = o.credentials
  return {
    tfvars,
    secretEnv: {
      TF_VAR_contabo_credentials: JSON.stringify({
        client_id: clientId,
        client_secret: clientSecret,
        user,
        password,
      }),
      TF_VAR_user_data: userData(o, { hostFirewall, ...(o.os ? { os: o.os } : {}) }),
    },
  }
}

function renderApp(o: AppOptions): StackInputs {
  if (o.dockerHost.startsWith('tcp://') && o.dockerTls === undefined)
    throw new InfraInputError(
      'dockerHost',
      'tcp:// without dockerTls',
      'Use ssh://deploy@host:22, or pass the mutual-TLS client material in dockerTls.',
    )
  const h = o.healthcheck
  const tfvars = defined({
    docker_host: o.dockerHost,
    ssh_opts: o.sshOpts ? [...o.sshOpts] : undefined,
    app_name: o.appName,
    app_image: o.appImage,
    app_ports: o.ports?.map((p) =>
      defined({ internal: p.internal, external: p.external, ip: p.ip, protocol: p.protocol }),
    ),
    labels: o.labels ? { ...o.labels } : undefined,
    restart_policy: o.restartPolicy,
    healthcheck: h
      ? defined({
          test: [...h.test],
          interval: h.interval,
          timeout: h.timeout,
          start_period: h.startPeriod,
          retries: h.retries,
          wait_timeout: h.waitTimeout,
        })
      : undefined,
    command: o.command ? [...o.command] : undefined,
    pull_policy: o.pullPolicy,
  })
  const secretEnv: StackInputs['secretEnv'] = {}
  // Complex TF_VAR_* values are parsed as HCL, and JSON objects are valid HCL.
  if (o.env && Object.keys(o.env).length > 0) secretEnv.TF_VAR_app_env = JSON.stringify(o.env)
  if (o.dockerTls) {
    const { caMaterial, certMaterial, keyMaterial } = o.dockerTls
    secretEnv.TF_VAR_docker_tls = JSON.stringify({
      ca_material: caMaterial,
      cert_material: certMaterial,
      key_material: keyMaterial,
    })
  }
  return { tfvars, secretEnv }
}

/** Render the inputs of one stack (`local` is the APP phase of every provider). */
export function renderStackInputs<P extends StackProvider>(
  provider: P,
  options: StackOptions[P],
): StackInputs {
  const renderers: { [K in StackProvider]: (o: StackOptions[K]) => StackInputs } = {
    hetzner: renderHetzner,
    contabo: renderContabo,
    local: renderApp,
  }
  return renderers[provider](options)
}

/** Write `<name>.auto.tfvars.json` (mode 0600, also when it existed) into `dir`; returns its path. */
export async function writeTfvars(dir: string, tfvars: Tfvars, name = 'debug-cloud'): Promise<string> {
  const path = join(dir, `${name}.auto.tfvars.json`)
  await writeFile(path, `${JSON.stringify(tfvars, null, 2)}\n`, { mode: 0o600 })
  await chmod(path, 0o600)
  return path
}
