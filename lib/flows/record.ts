/**
 * The stack record as the flows create and finish it: freshly minted secrets (registered with the redactor
 * before anything may print them), and a failed or interrupted run recorded on the stack, so a re-run or
 * destroy can use what is left.
 */
import { randomBytes } from 'node:crypto'
import { generateHostKey } from '../infra/host-key.ts'
import type { ProviderModule } from '../providers/types.ts'
import { updateStack } from '../state/records.ts'
import { type PortMapping, type StackRecord, stackSecrets } from '../state/schema.ts'
import type { StateStore } from '../state/store.ts'
import { formatDiagnostic } from '../terraform/diagnostics.ts'
import { TerraformFailedError, TerraformInterruptedError } from '../terraform/errors.ts'
import type { FlowRuntime } from './runtime.ts'

/** A 256-bit token from the CSPRNG, URL-safe. */
export function mintToken(): string {
  return randomBytes(32).toString('base64url')
}

export interface NewStack {
  provider: StackRecord['provider']
  env: string
  image: string
  ports: PortMapping[]
  size: string | null
  location: string | null
}

/** A new record: status planned, fresh API and runner tokens, a fresh state passphrase. */
export function buildStackRecord(spec: NewStack, now = new Date()): StackRecord {
  const at = now.toISOString()
  return {
    ...spec,
    status: 'planned',
    createdAt: at,
    updatedAt: at,
    address: null,
    ssh: null,
    dockerHost: null,
    endpoints: [],
    tokens: { api: mintToken(), runner: mintToken() },
    providerIds: {},
    outputs: {},
    terraform: { statePassphrase: mintToken() },
    lastError: null,
    releasedAt: null,
  }
}

/**
 * A new record for a request: minted secrets, the provider's defaults, and for a cloud provider a freshly
 * generated host key (the VM gets it through cloud-init; it is pinned before the first connection).
 */
export function mintStackRecord(
  provider: ProviderModule,
  req: Omit<NewStack, 'provider' | 'size' | 'location'> & {
    provider: NewStack['provider']
    size: string | undefined
    location: string | undefined
  },
): StackRecord {
  const record = buildStackRecord({
    provider: req.provider,
    env: req.env,
    image: req.image,
    ports: req.ports,
    size: req.size ?? provider.defaultSize,
    location: req.location ?? provider.defaultLocation,
  })
  if (provider.host) {
    const key = generateHostKey()
    record.ssh = {
      user: 'deploy',
      port: 22,
      hostKeyPublic: key.publicKey,
      hostKeyFingerprint: key.fingerprint,
      hostKeyPrivate: key.privateKey,
      knownHosts: '',
    }
  }
  return record
}

/** Register every secret of a record with the redactor before anything may print it. */
export function registerSecrets(rt: Pick<FlowRuntime, 'redactor'>, record: StackRecord): void {
  rt.redactor.add(...stackSecrets(record))
}

/** A failed or interrupted run leaves the stack `failed`/`interrupted` with the (redacted) reason. */
export async function recordFailure(
  rt: FlowRuntime,
  store: StateStore,
  stack: string,
  error: unknown,
): Promise<void> {
  const status = rt.interrupts.interrupted ? 'interrupted' : 'failed'
  const message = rt.redactor.redact(error instanceof Error ? error.message : String(error))
  // Diagnostics arrive redacted from the runner; redact again in case a secret was registered later.
  const diagnostics =
    error instanceof TerraformFailedError || error instanceof TerraformInterruptedError
      ? error.result.diagnostics.flatMap(formatDiagnostic).map((line) => rt.redactor.redact(line))
      : []
  await updateStack(store, stack, status, {
    lastError: { message, at: new Date().toISOString(), diagnostics },
  })
}
