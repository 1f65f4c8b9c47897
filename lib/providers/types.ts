/**
 * What a provider module says about its cloud: the host stack and how its inputs are built, the credentials it
 * needs, its defaults, and its plan quirks (what an innocent-looking change really does there). Everything else
 * in the launcher asks the provider module; a new cloud is one module plus its stack.
 */
import type { HostKey } from '../infra/host-key.ts'
import type { StackInputs } from '../infra/stack-inputs.ts'
import type { PlanQuirk } from '../terraform/plan-summary.ts'

/** One value the host phase needs from the operator's account (a secret, or a per-account setting). */
export interface CredentialSpec {
  name: string
  /** Shown in place of the value by `--dry-run`. */
  placeholder: string
}

/** Everything a host stack's inputs are built from. */
export interface HostInputRequest {
  stackName: string
  env: string
  size: string | null
  location: string | null
  operatorPublicKey: string
  hostKey: HostKey
  sshSourceRanges: readonly string[]
  /** Values of the provider's credentials, by name. */
  credentials: Readonly<Record<string, string>>
}

/** The host phase of a cloud provider: its root configuration and its inputs. */
export interface HostPhase {
  /** Directory of the root configuration under infra/terraform. */
  stack: string
  buildInputs(request: HostInputRequest): StackInputs
  quirk: PlanQuirk
}

export interface ProviderModule {
  name: string
  /** The VM the provider creates, or undefined when the Docker host already exists (local). */
  host?: HostPhase
  credentials: readonly CredentialSpec[]
  defaultSize: string | null
  defaultLocation: string | null
  /** Said before a destroy is approved, when destroy means more than "delete". */
  destroyWarning: string | null
  /** How long a new stack's `cloud:up` usually takes there after the approval, said at the gate (docs/spec.md). */
  usualUpTime: string
}
