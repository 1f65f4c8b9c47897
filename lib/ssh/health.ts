/**
 * The app's health check: GET <url> until it answers 2xx or the timeout passes.
 */
import { request } from 'node:http'
import { CliError, ExitCode } from '../errors.ts'
import { HealthCheckError } from './errors.ts'

/** One GET; resolves with the status code, or rejects on a connection error or after `timeoutMs`. */
export function httpStatus(url: string, timeoutMs = 2000): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.once('timeout', () => req.destroy(new Error('timed out')))
    req.once('error', reject)
    req.end()
  })
}

/** Poll `url` until a 2xx answer; throw HealthCheckError after `timeoutMs`. */
export async function waitForHealthy(url: string, timeoutMs: number, pollMs = 500): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let problem = 'no answer yet'
  for (;;) {
    try {
      const status = await httpStatus(url)
      if (status >= 200 && status < 300) return
      problem = `HTTP ${status}`
    } catch (error) {
      problem = error instanceof Error ? error.message : String(error)
    }
    if (Date.now() + pollMs > deadline) throw new HealthCheckError(url, Math.round(timeoutMs / 1000), problem)
    await new Promise((r) => setTimeout(r, pollMs))
  }
}

/** GET /_ping on a local Docker engine socket; throws a clear error when nothing answers there. */
export async function verifyDockerSocket(socketUrl: string, timeoutMs = 3000): Promise<void> {
  const socketPath = socketUrl.replace(/^unix:\/\//, '')
  const status = await new Promise<number | string>((resolve) => {
    const req = request({ socketPath, path: '/_ping', method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.once('timeout', () => req.destroy(new Error('timed out')))
    req.once('error', (error) => resolve(error.message))
    req.end()
  })
  if (status === 200) return
  throw new CliError(`No Docker engine answers at ${socketUrl} (${status}).`, {
    hint: 'Start it (for example `sudo systemctl start docker`, or `sudo dockerd &`), or pass --docker-host ssh://user@host with --known-hosts.',
    exitCode: ExitCode.hostNotReady,
  })
}
