/**
 * What differs between providers: which root configurations make the host, which credentials they need
 * (names only; values come from .env), sensible defaults, and what `destroy` really means there.
 */
import { stackDir } from '../infra/stacks.ts'
import type { Provider } from '../state/schema.ts'

export type ProviderName = Provider

export interface ProviderDefinition {
  name: ProviderName
  /** Host-phase root configuration (VM, key, firewall), or null when the Docker host already exists. */
  hostStack: string | null
  /**
   * Names the host phase reads from .env: API credentials (secret, passed only to Terraform as TF_VAR_*)
   * and per-account settings such as Contabo's image UUID.
   */
  credentials: readonly string[]
  defaultSize: string | null
  defaultLocation: string | null
  /** Said before a destroy is approved, when destroy means more than "delete". */
  destroyWarning: string | null
  /** Resource types whose in-place update is really a wipe and reinstall. */
  reinstallOnUpdate: readonly string[]
}

/** The app-phase root configuration, shared by every provider (see docs/spec.md, "Two phases"). */
export const appStackDir = stackDir('local')

const definitions: Record<ProviderName, ProviderDefinition> = {
  hetzner: {
    name: 'hetzner',
    hostStack: stackDir('hetzner'),
    credentials: ['HCLOUD_TOKEN'],
    defaultSize: 'cx23',
    defaultLocation: 'fsn1',
    destroyWarning: null,
    reinstallOnUpdate: [],
  },
  contabo: {
    name: 'contabo',
    hostStack: stackDir('contabo'),
    credentials: [
      'CNTB_OAUTH2_CLIENT_ID',
      'CNTB_OAUTH2_CLIENT_SECRET',
      'CNTB_OAUTH2_USER',
      'CNTB_OAUTH2_PASS',
      'CNTB_IMAGE_ID',
    ],
    defaultSize: 'V92',
    defaultLocation: 'EU',
    destroyWarning:
      'On Contabo, destroy CANCELS THE CONTRACT of the instance: billing runs to the end of the paid period and ' +
      'a new instance later costs a new setup fee.',
    reinstallOnUpdate: ['contabo_instance'],
  },
  local: {
    name: 'local',
    hostStack: null,
    credentials: [],
    defaultSize: null,
    defaultLocation: null,
    destroyWarning: null,
    reinstallOnUpdate: [],
  },
}

/** The definition of one provider. */
export function providerDefinition(name: ProviderName): ProviderDefinition {
  return definitions[name]
}
