/**
 * A scripted exercise of the stand-ins with the REAL pinned tofu and providers, outside the launcher: a tiny
 * configuration per cloud (an SSH key, a firewall and a server; a secret and an instance) applied, refreshed,
 * changed and destroyed, with the provider pointed at the stand-in by its own endpoint settings.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildChildEnv, type RunResult, realProc } from '../../lib/proc.ts'
import { toolEnv } from '../../lib/tools/mirror.ts'
import { getTool } from '../../lib/tools/spec.ts'
import { whichTool } from '../../lib/tools/stamp.ts'
import type { BootedServer, ServerBackend } from './backend.ts'
import { CONTABO_TEST_CREDENTIALS, type ContaboApiStandin } from './contabo-api-standin.ts'
import { HCLOUD_TEST_TOKEN, type HcloudApiStandin } from './hcloud-api-standin.ts'

/** A backend without a machine: the address is a documentation address nothing answers on (TEST-NET-1). */
export const addressOnlyBackend: ServerBackend = async (): Promise<BootedServer> => ({
  address: '192.0.2.10',
  stop: async () => {},
})

/** An HCL interpolation in a JSON configuration: `${expr}`. */
const ref = (expr: string): string => `\${${expr}}`

const USER_DATA = '#cloud-config\nruncmd:\n  - [echo, standin]\n'

function version(name: 'provider-hcloud' | 'provider-contabo'): string {
  return getTool(name).provider?.version ?? ''
}

function hcloudConfig(userData: string): object {
  return {
    terraform: {
      required_providers: { hcloud: { source: 'hetznercloud/hcloud', version: version('provider-hcloud') } },
    },
    provider: { hcloud: { token: HCLOUD_TEST_TOKEN } },
    resource: {
      hcloud_ssh_key: {
        k: {
          name: 'x-operator',
          public_key: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDb0SaXvBqvjJqW5AXCmh2GGp4cRnH2HOuNqR0hoEvSc op',
          labels: { 'managed-by': 'debug-cloud' },
        },
      },
      hcloud_firewall: {
        f: {
          name: 'x-firewall',
          labels: {},
          rule: [
            {
              direction: 'in',
              protocol: 'tcp',
              port: '22',
              source_ips: ['0.0.0.0/0', '::/0'],
              description: 'SSH',
            },
          ],
        },
      },
      hcloud_server: {
        s: {
          name: 'x',
          server_type: 'cx23',
          image: 'debian-12',
          location: 'fsn1',
          ssh_keys: [ref('hcloud_ssh_key.k.id')],
          firewall_ids: [ref('hcloud_firewall.f.id')],
          user_data: userData,
          labels: {},
          public_net: { ipv4_enabled: true, ipv6_enabled: true },
        },
      },
    },
    output: { ip: { value: ref('hcloud_server.s.ipv4_address') } },
  }
}

function contaboConfig(userData: string): object {
  return {
    terraform: {
      required_providers: { contabo: { source: 'contabo/contabo', version: version('provider-contabo') } },
    },
    provider: { contabo: {} },
    resource: {
      contabo_secret: {
        k: {
          name: 'x-operator',
          type: 'ssh',
          value: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDb0SaXvBqvjJqW5AXCmh2GGp4cRnH2HOuNqR0hoEvSc op',
        },
      },
      contabo_instance: {
        i: {
          display_name: 'x',
          product_id: 'V92',
          region: 'EU',
          image_id: CONTABO_TEST_CREDENTIALS.CNTB_IMAGE_ID,
          period: 1,
          default_user: 'admin',
          ssh_keys: [ref('contabo_secret.k.id')],
          user_data: userData,
        },
      },
    },
    output: { ip: { value: ref('contabo_instance.i.ip_config[0].v4[0].ip') } },
  }
}

export class Exercise {
  readonly dir = mkdtempSync(join(tmpdir(), 'standin-exercise-'))
  readonly home = join(this.dir, 'home')

  constructor(
    readonly cloud: 'hetzner' | 'contabo',
    private readonly standin: HcloudApiStandin | ContaboApiStandin,
  ) {
    mkdirSync(this.home, { mode: 0o700 })
  }

  private env(): Record<string, string> {
    const endpoint: Record<string, string> =
      this.cloud === 'hetzner'
        ? { HCLOUD_ENDPOINT: (this.standin as HcloudApiStandin).endpoint }
        : {
            CNTB_API: (this.standin as ContaboApiStandin).api,
            CNTB_OAUTH2_TOKEN_URL: (this.standin as ContaboApiStandin).tokenUrl,
            ...CONTABO_TEST_CREDENTIALS,
          }
    return buildChildEnv({
      ...toolEnv(),
      ...endpoint,
      HOME: this.home,
      TF_IN_AUTOMATION: '1',
      CHECKPOINT_DISABLE: '1',
    })
  }

  /** Write the configuration with this user data (a change of it is a replacement / a Contabo reinstall). */
  configure(userData = USER_DATA): void {
    const config = this.cloud === 'hetzner' ? hcloudConfig(userData) : contaboConfig(userData)
    writeFileSync(join(this.dir, 'main.tf.json'), JSON.stringify(config, null, 2))
  }

  tofu(args: string[]): Promise<RunResult> {
    return realProc.run([whichTool('tofu'), `-chdir=${this.dir}`, ...args, '-no-color'], { env: this.env() })
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true })
  }
}
