/**
 * Contabo: `contabo_instance` with a `contabo_secret` SSH key; no cloud firewall, so the user data applies
 * nftables on the host itself (infra/terraform/contabo_docker_node).
 */
import { buildHostUserData, type StackInputs, verifiedFirewall } from '../infra/stack-inputs.ts'
import type { PlanQuirk } from '../terraform/plan-summary.ts'
import type { HostInputRequest, ProviderModule } from './types.ts'

/** Changing one of these on an existing instance makes Contabo reinstall it (its disk is wiped). */
const REINSTALL_ATTRIBUTES = ['user_data', 'ssh_keys', 'image_id', 'root_password']

/** Inputs of contabo_docker_node: the OAuth2 credentials and the user data only as TF_VAR_*. */
function buildInputs(r: HostInputRequest): StackInputs {
  const hostFirewall = verifiedFirewall({ sshSourceRanges: r.sshSourceRanges, appPorts: [] })
  const c = r.credentials
  const tfvars = {
    name: r.stackName,
    ...(r.size === null ? {} : { product_id: r.size }),
    ...(r.location === null ? {} : { region: r.location }),
    image_id: c.CNTB_IMAGE_ID ?? '',
    operator_ssh_public_key: r.operatorPublicKey,
    host_key_fingerprint: r.hostKey.fingerprint,
  }
  return {
    tfvars,
    secretEnv: {
      TF_VAR_contabo_credentials: JSON.stringify({
        client_id: c.CNTB_OAUTH2_CLIENT_ID,
        client_secret: c.CNTB_OAUTH2_CLIENT_SECRET,
        user: c.CNTB_OAUTH2_USER,
        password: c.CNTB_OAUTH2_PASS,
      }),
      TF_VAR_user_data: buildHostUserData(r, { hostFirewall }),
    },
  }
}

const quirk: PlanQuirk = ({ type, action, changedAttributes }) => {
  if (type !== 'contabo_instance') return undefined
  if (action === 'delete' || action === 'replace')
    return 'Contabo cancels the contract of this VM when it is destroyed.'
  const touched = changedAttributes.filter((a) => REINSTALL_ATTRIBUTES.includes(a))
  if (action === 'update' && touched.length > 0)
    return `DESTRUCTIVE REINSTALL: Contabo reinstalls this VM in place (its disk is wiped) because ${touched.join(', ')} changed.`
  return undefined
}

export const contabo: ProviderModule = {
  name: 'contabo',
  host: { stack: 'contabo_docker_node', buildInputs, quirk },
  credentials: [
    { name: 'CNTB_OAUTH2_CLIENT_ID', placeholder: '<CNTB_OAUTH2_CLIENT_ID>' },
    { name: 'CNTB_OAUTH2_CLIENT_SECRET', placeholder: '<CNTB_OAUTH2_CLIENT_SECRET>' },
    { name: 'CNTB_OAUTH2_USER', placeholder: '<CNTB_OAUTH2_USER>' },
    { name: 'CNTB_OAUTH2_PASS', placeholder: '<CNTB_OAUTH2_PASS>' },
    // Per account (the image UUIDs differ between accounts), not a secret; a placeholder that passes validation.
    { name: 'CNTB_IMAGE_ID', placeholder: '00000000-0000-0000-0000-000000000000' },
  ],
  defaultSize: 'V92',
  defaultLocation: 'EU',
  destroyWarning:
    'On Contabo, destroy CANCELS THE CONTRACT of the instance: billing runs to the end of the paid period and ' +
    'a new instance later costs a new setup fee.',
  usualUpTime:
    'usually 10–20 minutes from here: Contabo provisions a new VM in several minutes, then cloud-init installs Docker (an estimate, not measured here)',
}
