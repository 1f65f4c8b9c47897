/**
 * Benchmark, tunnel part: the same HTTP server on a bench host (busybox httpd inside the host's namespaces)
 * reached directly and through cloud:connect's kind of tunnel (pinned ssh -L with a ControlMaster, so with
 * TCP_NODELAY on the host's end as cloud:connect sets it), in the same run: throughput
 * of a 64 MiB download, the round trip of a small request on a fresh connection, and the time to open a
 * tunnel. The two paths take turns, download by download and request by request, so that a slower spell of
 * this shared machine falls on both and not on one path's figure. Prints a table of medians; no assertions.
 * Needs root (the bench).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { formatTable } from '../../lib/cli/output.ts'
import { realProc } from '../../lib/proc.ts'
import { findFreePort, openTunnel } from '../../lib/ssh/tunnel.ts'
import { startBench } from '../harness/hosts.ts'
import type { Report } from './figures.ts'
import { median } from './measure.ts'

const SIZE = 64 * 1024 * 1024
const PORT = 19090
const DOWNLOADS = 5
const REQUESTS = 50
const OPENS = 3

/** GET `url` on a fresh connection; resolves with the bytes received and the milliseconds it took. */
function get(url: string): Promise<{ bytes: number; ms: number }> {
  const start = performance.now()
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      let bytes = 0
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length
      })
      res.on('end', () => resolve({ bytes, ms: performance.now() - start }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

interface PathFigures {
  mibps: number
  rttMs: number
}

/** Download and request through both base URLs in turn; the median throughput and round trip of each. */
async function measure(...bases: [string, string]): Promise<[PathFigures, PathFigures]> {
  const speeds: [number[], number[]] = [[], []]
  const rtts: [number[], number[]] = [[], []]
  for (let i = 0; i < DOWNLOADS; i++)
    for (const k of [0, 1] as const) {
      const { bytes, ms } = await get(`${bases[k]}/blob`)
      if (bytes !== SIZE) throw new Error(`download returned ${bytes} bytes, expected ${SIZE}`)
      speeds[k].push(bytes / 1024 / 1024 / (ms / 1000))
    }
  for (let i = 0; i < REQUESTS; i++)
    for (const k of [0, 1] as const) rtts[k].push((await get(`${bases[k]}/healthz`)).ms)
  const figures = (k: 0 | 1): PathFigures => ({ mibps: median(speeds[k]), rttMs: median(rtts[k]) })
  return [figures(0), figures(1)]
}

/** Run the tunnel benchmark and print its table through `print`. */
export default async function benchTunnel(print: (line: string) => void, report: Report): Promise<void> {
  const bench = await startBench(1)
  const www = mkdtempSync(join(tmpdir(), 'bench-tunnel-'))
  try {
    const host = bench.hosts[0]!
    writeFileSync(join(www, 'blob'), Buffer.alloc(SIZE, 7))
    writeFileSync(join(www, 'healthz'), 'ok')
    const httpd = await host.exec(['busybox', 'httpd', '-p', `0.0.0.0:${PORT}`, '-h', www])
    if (httpd.exitCode !== 0) throw new Error(`httpd did not start: ${httpd.stderr}`)
    const target = {
      host: host.address,
      port: host.sshPort,
      user: host.sshUser,
      identityFile: host.clientKeyPath,
      knownHostsFile: host.knownHostsPath,
    }
    const opens: number[] = []
    for (let i = 0; i < OPENS; i++) {
      const start = performance.now()
      const t = await openTunnel(
        realProc,
        target,
        [{ localPort: await findFreePort(), remote: { host: '127.0.0.1', port: PORT } }],
        { controlPath: join(www, `open-${i}.sock`) },
      )

      opens.push(performance.now() - start)
      await t.close()
    }
    const localPort = await findFreePort()
    const tunnel = await openTunnel(
      realProc,
      target,
      [{ localPort, remote: { host: '127.0.0.1', port: PORT } }],
      { controlPath: join(www, 'control.sock') },
    )
    let direct: PathFigures
    let through: PathFigures
    try {
      ;[direct, through] = await measure(`http://${host.address}:${PORT}`, `http://127.0.0.1:${localPort}`)
    } finally {
      await tunnel.close()
    }
    report({
      name: 'tunnel: 64 MiB download throughput',
      value: through.mibps,
      unit: 'MiB/s',
      anchor: { name: 'direct', value: direct.mibps },
      aim: '≥ 0.9× anchor',
    })
    report({
      name: 'tunnel: request round trip',
      value: through.rttMs,
      unit: 'ms',
      anchor: { name: 'direct', value: direct.rttMs },
      aim: '≤ anchor + 0.5 ms',
    })
    print(
      formatTable(
        ['path', '64 MiB download (MiB/s)', 'request round trip (ms)', 'tunnel open (ms)'],
        [
          ['direct', direct.mibps.toFixed(0), direct.rttMs.toFixed(2), '-'],
          ['ssh tunnel', through.mibps.toFixed(0), through.rttMs.toFixed(2), median(opens).toFixed(0)],
          [
            'tunnel / direct',
            `${(through.mibps / direct.mibps).toFixed(2)}x`,
            `+${(through.rttMs - direct.rttMs).toFixed(2)} ms`,
            '',
          ],
        ],
      ),
    )
    print(
      `medians of ${DOWNLOADS} downloads, ${REQUESTS} requests (fresh connection each), ${OPENS} tunnel opens`,
    )
  } finally {
    await bench.stop()
    rmSync(www, { recursive: true, force: true })
  }
}
