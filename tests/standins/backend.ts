/**
 * What a cloud stand-in does when a server is created: it hands the user data the provider sent to a
 * backend, which brings up something that answers at an address the way the cloud's new VM would. Today's
 * backend is a bench host (bench-backend.ts); a booted Debian machine with real cloud-init has the same shape.
 */
export interface BootRequest {
  serverName: string
  userData: string
}

export interface BootedServer {
  address: string
  stop(): Promise<void>
}

export type ServerBackend = (request: BootRequest) => Promise<BootedServer>

/**
 * The servers a stand-in boots, as the end-to-end tests look at them, with the faults a test may set for the
 * next boots: booted machines (machine-backend.ts) or bench hosts (bench-backend.ts).
 */
export interface ServerFarm {
  readonly backend: ServerBackend
  /** Every boot request, in order (tests read the user data the provider sent). */
  readonly requests: BootRequest[]
  /** Addresses of the servers running now. */
  readonly inUse: string[]
  /** The Docker socket of the server at `address`, reachable from this namespace; undefined once it is gone. */
  dockerSocketOf(address: string): string | undefined
  /** The next servers serve another host key than the user data's. */
  foreignHostKey: boolean
  /** cloud-init on the next servers never finishes. */
  cloudInitStuck: boolean
  /** A slow boot: the server takes this long before it answers. */
  bootDelayMs: number
  stop(): Promise<void>
}
