/**
 * The stack record in the operator's encrypted state: created with freshly minted secrets, then moved
 * through its statuses as `up` and `destroy` progress, so a failed or interrupted run leaves a record that a
 * re-run or destroy can use.
 */
import { randomBytes } from 'node:crypto'
import { isDeepStrictEqual } from 'node:util'
import { CliError, ExitCode } from '../errors.ts'
import { generateHostKey } from '../infra/host-key.ts'
import type { Proc } from '../proc.ts'
import { type ProviderName, providerDefinition } from '../providers/index.ts'
import type { StackRecord, StackStatus, StateDocument } from '../state/schema.ts'
import type { StateStore } from '../state/store.ts'
import { formatDiagnostic } from '../terraform/diagnostics.ts'
import { TerraformFailedError, TerraformInterruptedError } from '../terraform/errors.ts'
import type { FlowRuntime } from './runtime.ts'

/** A 256-bit token from the CSPRNG, URL-safe. */
export function mintToken(): string {
  return randomBytes(32).toString('base64url')
}

export interface NewStack {
  provider: ProviderName
  env: string
  image: string
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
 * A new record for a request: minted secrets, the provider's defaults, and for a cloud provider a
 * freshly generated host key (the VM gets it through cloud-init; it is pinned before the first connection).
 */
export async function mintStackRecord(
  proc: Proc,
  req: Pick<NewStack, 'provider' | 'env' | 'image'> & {
    size: string | undefined
    location: string | undefined
  },
): Promise<StackRecord> {
  const def = providerDefinition(req.provider)
  const record = buildStackRecord({
    provider: req.provider,
    env: req.env,
    image: req.image,
    size: req.size ?? def.defaultSize,
    location: req.location ?? def.defaultLocation,
  })
  if (def.hostStack) {
    const key = await generateHostKey(proc)
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

/** The record of `stack`, or an error saying it is unknown. */
export function requireStack(doc: StateDocument, stack: string): StackRecord {
  const record = doc.stacks[stack]
  if (!record) {
    const known = Object.keys(doc.stacks)
    throw new CliError(`No stack named "${stack}" in ${doc.operator}'s state.`, {
      hint: known.length > 0 ? `Known stacks: ${known.join(', ')}.` : 'Create one with `npm run cloud:up`.',
      exitCode: ExitCode.notFound,
    })
  }
  return record
}

/** Persist a status change (and any other fields) of one stack. */
export async function updateStack(
  store: StateStore,
  stack: string,
  status: StackStatus,
  patch: Partial<StackRecord> = {},
): Promise<StackRecord> {
  const doc = await store.update((d) => {
    const current = requireStack(d, stack)
    const next = { ...current, ...patch, status }
    // updatedAt moves only when something else did (an unchanged record is then not rewritten at all).
    if (!isDeepStrictEqual(next, current)) d.stacks[stack] = { ...next, updatedAt: new Date().toISOString() }
    return d
  })
  return requireStack(doc, stack)
}

/** Register every secret of a record with the redactor before anything may print it. */
export function registerSecrets(rt: Pick<FlowRuntime, 'redactor'>, record: StackRecord): void {
  rt.redactor.add(
    record.tokens.api,
    record.tokens.runner,
    record.terraform.statePassphrase,
    record.ssh?.hostKeyPrivate,
  )
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
