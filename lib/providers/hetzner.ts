/** Hetzner Cloud: `hcloud_server` with an SSH key and a firewall (infra/terraform/hetzner_docker_node). */
import { buildHostUserData, type StackInputs, verifiedFirewall } from '../infra/stack-inputs.ts'
import type { PlanQuirk } from '../terraform/plan-summary.ts'
import type { HostInputRequest, ProviderModule } from './types.ts'

/** Inputs of hetzner_docker_node: the token and the user data (with the host private key) only as TF_VAR_*. */
function buildInputs(r: HostInputRequest): StackInputs {
  const firewall = verifiedFirewall({ sshSourceRanges: r.sshSourceRanges, appPorts: [] })
  const tfvars = {
    name: r.stackName,
    ...(r.size === null ? {} : { server_type: r.size }),
    ...(r.location === null ? {} : { location: r.location }),
    operator_ssh_public_key: r.operatorPublicKey,
    host_key_fingerprint: r.hostKey.fingerprint,
    ssh_source_ranges: [...firewall.sshSourceRanges],
    app_firewall_ports: [],
    labels: { 'managed-by': 'debug-cloud', stack: r.stackName, env: r.env },
  }
  return {
    tfvars,
    secretEnv: {
      TF_VAR_hcloud_token: r.credentials.HCLOUD_TOKEN ?? '',
      TF_VAR_user_data: buildHostUserData(r),
    },
  }
}

const quirk: PlanQuirk = ({ type, action, changedAttributes }) =>
  type === 'hcloud_server' && action === 'replace'
    ? `REPLACEMENT: the server is destroyed and recreated (new disk, new IP address) because ${changedAttributes.join(', ') || 'its configuration'} changed.`
    : undefined

export const hetzner: ProviderModule = {
  name: 'hetzner',
  host: { stack: 'hetzner_docker_node', buildInputs, quirk },
  credentials: [{ name: 'HCLOUD_TOKEN', placeholder: '<HCLOUD_TOKEN>' }],
  defaultSize: 'cx23',
  defaultLocation: 'fsn1',
  destroyWarning: null,
  usualUpTime:
    'usually 3–6 minutes from here: the VM about 1 minute, then cloud-init installing Docker 2–4 minutes (an estimate, not measured here)',
}
