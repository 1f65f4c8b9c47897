/** What the flows are asked to do, as validated from the flags (lib/flows/flags.ts). */
import type { ProviderName } from '../providers/names.ts'
import type { PortMapping } from '../state/schema.ts'

/** One stack as `cloud:up`, `cloud:plan` and `--dry-run` describe it. */
export interface StackRequest {
  provider: ProviderName
  env: string
  stackName: string
  image: string
  ports: PortMapping[]
  location: string | undefined
  size: string | undefined
  dockerHost: string | undefined
  knownHosts: string | undefined
  sshKey: string
  sshSourceRanges: readonly string[]
}

/** Who asks: the operator (undefined when none resolves: the gate then refuses), and whether --yes was given. */
export interface Asker {
  operator: string | undefined
  yes: boolean
}

export interface UpRequest extends StackRequest, Asker {
  readinessTimeoutMs: number
  healthTimeoutMs: number
  /** Mint new API and runner tokens for an existing stack (its container is recreated with them). */
  rotateTokens: boolean
}

export interface DestroyRequest extends Asker {
  stackName: string
  sshKey: string
  releaseSessions: boolean
}
