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
