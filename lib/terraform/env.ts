/**
 * The Terraform child's environment, explicit and minimal: PATH/HOME/locale from `buildChildEnv`, the
 * automation switches, the CLI config (offline provider mirror), the stack's sensitive variables as
 * `TF_VAR_*`, provider credentials, the state-encryption config, and the providers' endpoint settings
 * (PROVIDER_ENDPOINTS) when this process has them. Nothing else from this process: ambient TF_CLI_ARGS*,
 * TF_VAR_*, TF_WORKSPACE, TF_LOG*, TF_DATA_DIR never reach the child.
 */
import { CliError, ExitCode } from '../errors.ts'
import { buildChildEnv, type Env } from '../proc.ts'
import { TfEnvError } from './errors.ts'

export interface TfEnvOptions {
  /** TF_CLI_CONFIG_FILE: the CLI config that points provider installation at the offline mirror. */
  cliConfigFile: string
  /** Root-module variable name → value, passed as TF_VAR_<name> (secrets never go on argv or disk). */
  variables?: Readonly<Record<string, string>>
  /** Provider credentials by their own variable names, e.g. HCLOUD_TOKEN. */
  credentials?: Readonly<Record<string, string>>
  /** State encryption variables (see buildEncryptionEnv). */
  encryption?: Readonly<Env>
  source?: NodeJS.ProcessEnv
}

/**
 * The providers' own settings for a private API endpoint (or a local stand-in of the API, in tests), passed
 * through from this process's environment when set. They hold no secret, but they decide where the provider
 * sends the credentials: so only https, or plain http to this machine's loopback (a stand-in), is accepted,
 * and every phase that passes one says so (lib/flows/phase.ts).
 */
export const PROVIDER_ENDPOINTS = ['HCLOUD_ENDPOINT', 'CNTB_API', 'CNTB_OAUTH2_TOKEN_URL'] as const

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]'])

/** The endpoint overrides set in `source`, each checked; throws for one the credentials must not reach. */
export function providerEndpoints(source: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const found: Record<string, string> = {}
  for (const name of PROVIDER_ENDPOINTS) {
    const value = source[name]
    if (!value) continue
    const url = URL.canParse(value) ? new URL(value) : undefined
    const safe = url?.protocol === 'https:' || (url?.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname))
    if (!safe)
      throw new CliError(
        `${name}=${value} is not an https URL (plain http only to 127.0.0.1, localhost or [::1]): the provider would send your credentials there.`,
        {
          hint: `Unset ${name} to use the cloud's own API, or point it at an https endpoint you trust.`,
          exitCode: ExitCode.badInput,
        },
      )
    found[name] = value
  }
  return found
}

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/
const CREDENTIAL_NAME = /^[A-Z][A-Z0-9_]*$/

function verifyNames(values: Readonly<Record<string, string>>, pattern: RegExp, what: string): void {
  for (const name of Object.keys(values)) {
    if (!pattern.test(name)) throw new TfEnvError(`${what} name "${name}" is not allowed.`)
    if (what === 'Credential' && name.startsWith('TF_')) {
      throw new TfEnvError(`Credential "${name}" would change Terraform's behaviour; pass credentials only.`)
    }
  }
}

/** Build the complete environment of a Terraform/OpenTofu child. */
export function buildTfEnv(options: TfEnvOptions): Env {
  const variables = options.variables ?? {}
  const credentials = options.credentials ?? {}
  verifyNames(variables, VARIABLE_NAME, 'Variable')
  verifyNames(credentials, CREDENTIAL_NAME, 'Credential')
  const tfVars = Object.fromEntries(
    Object.entries(variables).map(([name, value]) => [`TF_VAR_${name}`, value]),
  )
  const source = options.source ?? process.env
  return buildChildEnv(
    {
      ...providerEndpoints(source),
      ...credentials,
      ...tfVars,
      ...(options.encryption ?? {}),
      TF_IN_AUTOMATION: '1',
      TF_INPUT: '0',
      TF_CLI_CONFIG_FILE: options.cliConfigFile,
    },
    source,
  )
}
