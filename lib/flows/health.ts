/**
 * The health check after the app phase: GET /healthz on the first published port, directly for a local
 * socket, through a short-lived pinned SSH tunnel for a remote host.
 */
import { UsageError } from '../errors.ts'
import type { Proc } from '../proc.ts'
import { waitForHealthy } from '../ssh/health.ts'
import { findFreePort, openTunnel } from '../ssh/tunnel.ts'
import type { PortMapping } from '../state/schema.ts'
import type { DockerTarget } from './targets.ts'

export const HEALTH_PATH = '/healthz'

/** Wait until the app answers /healthz on its first published port, or throw HealthCheckError. */
export async function checkAppHealth(
  proc: Proc,
  target: DockerTarget,
  ports: readonly PortMapping[],
  timeoutMs: number,
): Promise<void> {
  const [port] = ports
  if (port === undefined)
    throw new UsageError('The app publishes no port, so its health cannot be checked.', 'Give --ports.')
  const remoteHost = port.ip === '0.0.0.0' ? '127.0.0.1' : port.ip
  if (!target.ssh) {
    await waitForHealthy(`http://${remoteHost}:${port.external}${HEALTH_PATH}`, timeoutMs)
    return
  }
  const localPort = await findFreePort()
  const tunnel = await openTunnel(proc, target.ssh, [
    { localPort, remote: { host: remoteHost, port: port.external } },
  ])
  try {
    await waitForHealthy(`http://127.0.0.1:${localPort}${HEALTH_PATH}`, timeoutMs)
  } finally {
    await tunnel.close()
  }
}
