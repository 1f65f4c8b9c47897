/**
 * What the stacks' inputs are made of: non-secret values for the var file (0600), secrets only as `TF_VAR_*`
 * entries for the child's environment (user data with the host private key, API tokens, the container env,
 * TLS keys). The app stack's inputs are built here; each host stack's by its provider module (lib/providers).
 * Unset options are left out so the HCL defaults apply.
 */
import { chmod, writeFile } from 'node:fs/promises'
import { type CloudInitInput, renderCloudInit } from './cloud-init.ts'
import { InfraInputError } from './errors.ts'
import { type FirewallSpec, verifyFirewallSpec } from './firewall.ts'
import type { HostKey } from './host-key.ts'

type TfValue = string | number | boolean | null | TfValue[] | { [key: string]: TfValue }
export type Tfvars = Record<string, TfValue>

export interface StackInputs {
  tfvars: Tfvars
  secretEnv: Record<`TF_VAR_${string}`, string>
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

/** Drop undefined entries so HCL defaults apply. */
function defined(values: Record<string, TfValue | undefined>): Tfvars {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Tfvars
}

/** A host's user data: Docker from the distribution, the pre-generated host key, the operator's key. */
export function buildHostUserData(
  host: { operatorPublicKey: string; hostKey: HostKey },
  extra: Partial<CloudInitInput> = {},
): string {
  return renderCloudInit({
    hostKey: host.hostKey,
    authorizedKeys: [host.operatorPublicKey],
    dockerInstall: 'distro',
    ...extra,
  })
}

/** `spec`, once every range and port in it is acceptable (the launcher never exposes Docker over TLS). */
export function verifiedFirewall(spec: FirewallSpec): FirewallSpec {
  verifyFirewallSpec(spec, false)
  return spec
}

/** Inputs of the app stack (the container on a Docker host that answers), the one app phase of every provider. */
export function buildAppStackInputs(o: AppOptions): StackInputs {
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

/** Write the non-secret var file (JSON, mode 0600 also over an existing file). */
export async function writeVarFile(path: string, tfvars: Tfvars): Promise<void> {
  await writeFile(path, `${JSON.stringify(tfvars, null, 2)}\n`, { mode: 0o600 })
  await chmod(path, 0o600)
}
