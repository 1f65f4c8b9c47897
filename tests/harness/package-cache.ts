/**
 * The bench's Debian package cache: one apt-cacher-ng (Debian's caching proxy) shared by every test run on
 * this machine, listening on PACKAGE_CACHE_ADDRESS (a /32 on the dummy interface `dcvmcache`), with its cache
 * under ~/.cache/debug-cloud/apt-cacher-ng next to the tools. Machines reach it through their gateway (the
 * root namespace owns the address) and reach nothing else outside: their apt goes through it as a cloud
 * VM's apt goes to the cloud's nearby mirror. The image build goes through it too.
 *
 * Why a caching proxy rather than .debs pre-seeded into the image: the user data runs `apt-get update`
 * (package_update: true), which needs the archive's index files anyway, and a pre-seeded image would have to
 * be rebuilt whenever Debian publishes a new docker.io or nftables. Measured on the 2-core machine: installing
 * docker.io + nftables fetched 87.6 MB at 167 MB/s from a warm cache (under a second) against about 4 MB/s
 * from deb.debian.org; what remains of the install is dpkg unpacking, which no cache removes.
 *
 * The daemon is left running between runs, like the cache it serves (its pid is in the pidfile there).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { join } from 'node:path'
import { toolCacheRoot } from '../../lib/tools/paths.ts'
import { BenchError, run, waitFor } from './system.ts'

export const PACKAGE_CACHE_ADDRESS = '10.214.0.1'
/**
 * Not apt-cacher-ng's usual 3142: where the Debian package's own service runs (it binds every address, with
 * Debian's remaps to ftp.debian.org), it must not be the daemon that answers here.
 */
export const PACKAGE_CACHE_PORT = 3152
export const PACKAGE_CACHE_URL = `http://${PACKAGE_CACHE_ADDRESS}:${PACKAGE_CACHE_PORT}`

/** ~/.cache/debug-cloud/apt-cacher-ng: config, cache, logs and pidfile of the shared daemon. */
export function packageCacheDir(): string {
  return join(toolCacheRoot(), '..', 'apt-cacher-ng')
}

/**
 * apt-cacher-ng's config. No Remap-* rules: Debian's defaults send deb.debian.org to ftp.debian.org, which
 * this machine cannot resolve, so it caches plainly by URL (deb.debian.org as apt asks for it).
 */
export function buildPackageCacheConfig(dir: string): string {
  return `${[
    `CacheDir: ${join(dir, 'cache')}`,
    `LogDir: ${join(dir, 'log')}`,
    'SupportDir: /usr/lib/apt-cacher-ng',
    `Port: ${PACKAGE_CACHE_PORT}`,
    `BindAddress: ${PACKAGE_CACHE_ADDRESS}`,
    `PidFile: ${join(dir, 'apt-cacher-ng.pid')}`,
    `SocketPath: ${join(dir, 'socket')}`,
    'ExThreshold: 4',
  ].join('\n')}\n`
}

/**
 * True when apt-cacher-ng itself answers: its report page carries its name. (A bare TCP connect proves
 * nothing on machines whose sandbox intercepts outbound connections, as this one's does.)
 */
function isAnswering(): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(
      { host: PACKAGE_CACHE_ADDRESS, port: PACKAGE_CACHE_PORT, path: '/acng-report.html', timeout: 2000 },
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => {
          body += chunk
        })
        res.on('end', () => resolve(body.includes('Apt-Cacher NG')))
      },
    )
    req.once('error', () => resolve(false))
    req.once('timeout', () => req.destroy())
    req.end()
  })
}

/** Make sure the shared cache answers; starts it when nobody has. Safe to call from parallel runs. */
export async function ensurePackageCache(): Promise<string> {
  if (await isAnswering()) return PACKAGE_CACHE_URL
  if (!existsSync('/usr/sbin/apt-cacher-ng'))
    throw new BenchError(
      'apt-cacher-ng is not installed: machines get their Debian packages through it.',
      'Install it: apt-get install -y apt-cacher-ng (it is in .ci/run).',
    )
  const dir = packageCacheDir()
  for (const sub of ['cache', 'log']) mkdirSync(join(dir, sub), { recursive: true, mode: 0o755 })
  writeFileSync(join(dir, 'acng.conf'), buildPackageCacheConfig(dir))
  // Not checked: the address is there already when a parallel run (or an earlier one) added it.
  await run(['ip', 'addr', 'add', `${PACKAGE_CACHE_ADDRESS}/32`, 'dev', 'lo'])
  // Detached (its own session), so it outlives this test process; a second daemon started by a parallel
  // run fails to bind and exits, which is fine: one answers.
  await run(['setsid', '-f', 'apt-cacher-ng', '-c', dir, 'ForeGround=0'])
  if (!(await waitFor(isAnswering, 10_000)))
    throw new BenchError(
      `apt-cacher-ng did not answer on ${PACKAGE_CACHE_URL} within 10 s.`,
      `See ${join(dir, 'log', 'apt-cacher.err')}.`,
    )
  return PACKAGE_CACHE_URL
}
