/**
 * Local ends of the app forwards: each app port keeps its own number on 127.0.0.1 when that is free, else
 * a free port is picked and the change is reported, or with --strict-ports the command fails naming every
 * busy port. Only TCP ports can be forwarded by SSH.
 */
import { createServer } from 'node:net'
import { PortsBusyError } from './errors.ts'
import type { PublishedPort } from './stack.ts'

export interface AppForward {
  /** Key of the port, `<internal>/tcp`, as in the app phase's endpoint_urls. */
  name: string
  localPort: number
  remote: { host: string; port: number }
  /** The port the operator would expect (the external one) was busy and another was picked. */
  moved: boolean
}

/** True when nothing listens on 127.0.0.1:port (binding it succeeds). */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

/** Where the host connects for a published port: a wildcard bind is reached on loopback. */
export function buildRemoteEnd(port: PublishedPort): { host: string; port: number } {
  const host = port.ip === '0.0.0.0' || port.ip === '::' ? '127.0.0.1' : port.ip
  return { host, port: port.external }
}

/** Choose the local port of every TCP app port (see the module comment). */
export async function chooseLocalPorts(
  ports: readonly PublishedPort[],
  options: { strict: boolean; isFree?: (port: number) => Promise<boolean>; pickFree: () => Promise<number> },
): Promise<AppForward[]> {
  const isFree = options.isFree ?? isPortFree
  const tcp = ports.filter((p) => p.protocol === 'tcp')
  const free = await Promise.all(tcp.map((p) => isFree(p.external)))
  const busy = tcp.filter((_, i) => !free[i]).map((p) => p.external)
  if (options.strict && busy.length > 0) throw new PortsBusyError(busy)
  const forwards: AppForward[] = []
  for (const [i, port] of tcp.entries()) {
    const localPort = free[i] ? port.external : await options.pickFree()
    forwards.push({ name: `${port.internal}/tcp`, localPort, remote: buildRemoteEnd(port), moved: !free[i] })
  }
  return forwards
}
