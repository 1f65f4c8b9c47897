/**
 * The machines' root filesystem: a Debian 12 (bookworm) "cloud image" built once with mmdebstrap from
 * Debian's own packages and cached outside the repository, under ~/.cache/debug-cloud/machine-images/<hash>/,
 * next to the tools. The hash covers the whole recipe (suite, packages, files written into the tree), so a
 * changed recipe builds a new image and never reuses a stale one.
 *
 * It holds what a Debian cloud image holds for this purpose: systemd as init, cloud-init (NoCloud only, no
 * network configuration: the bench wires each machine's address before it boots), openssh-server without
 * host keys (cloud-init writes them from the user data, as on a cloud), nftables and sudo. Docker is not in
 * it: the user data installs it, as it does on a real server.
 *
 * The build is atomic and safe against parallel runs: one builder at a time holds `<hash>.lock` (a
 * directory; a lock of a dead process is taken over), builds into a temporary directory and renames it into
 * place, so an image directory that exists is complete.
 */
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { toolCacheRoot } from '../../lib/tools/paths.ts'
import { ensurePackageCache } from './package-cache.ts'
import { BenchError, isAlive, mustRun, run, waitFor } from './system.ts'

const SUITE = 'bookworm'
const MIRROR = 'http://deb.debian.org/debian'
const PACKAGES = [
  'systemd',
  'systemd-sysv',
  'dbus',
  'cloud-init',
  'openssh-server',
  'nftables',
  'sudo',
  'iproute2',
  'netbase',
  'ca-certificates',
]

/**
 * cloud-init settings of the image. NoCloud only (the seed is written into the tree); the network is set up
 * by the bench, so cloud-init leaves it alone; C.UTF-8 because en_US.UTF-8 (cloud-init's default) is not
 * generated in a minimal tree and `update-locale` would fail the config stage.
 */
const CLOUD_CFG = 'datasource_list: [ NoCloud, None ]\nnetwork: {config: disabled}\nlocale: C.UTF-8\n'

export interface MachineImageRecipe {
  suite: string
  mirror: string
  packages: readonly string[]
  /** apt's proxy during the build and in the machines (the bench's package cache). */
  aptProxy: string
  /** Files written into the tree after mmdebstrap, by absolute path inside it. */
  files: Readonly<Record<string, string>>
  /** Files removed from the tree (the host keys openssh-server's postinst generated). */
  remove: readonly string[]
}

export function buildMachineImageRecipe(aptProxy: string): MachineImageRecipe {
  return {
    suite: SUITE,
    mirror: MIRROR,
    packages: PACKAGES,
    aptProxy,
    files: {
      '/etc/cloud/cloud.cfg.d/90-debug-cloud-bench.cfg': CLOUD_CFG,
      '/etc/apt/apt.conf.d/01debug-cloud-bench-proxy': `Acquire::http::Proxy "${aptProxy}";\n`,
    },
    remove: [
      '/etc/ssh/ssh_host_ecdsa_key',
      '/etc/ssh/ssh_host_ed25519_key',
      '/etc/ssh/ssh_host_rsa_key',
    ].flatMap((key) => [key, `${key}.pub`]),
  }
}

/** The first 16 hex digits of the recipe's SHA-256: the image's directory name. */
export function machineImageKey(recipe: MachineImageRecipe): string {
  return createHash('sha256').update(JSON.stringify(recipe)).digest('hex').slice(0, 16)
}

export function machineImagesDir(): string {
  return join(toolCacheRoot(), '..', 'machine-images')
}

export interface MachineImage {
  /** The root filesystem (read-only lower layer of every machine). */
  rootfs: string
  key: string
  /** How long this call spent building (0 when the image was cached). */
  buildMs: number
}

function mmdebstrapArgv(recipe: MachineImageRecipe, target: string): string[] {
  return [
    'mmdebstrap',
    '--variant=apt',
    '--quiet',
    `--aptopt=Acquire::http::Proxy "${recipe.aptProxy}"`,
    `--include=${recipe.packages.join(',')}`,
    recipe.suite,
    target,
    recipe.mirror,
  ]
}

async function buildInto(recipe: MachineImageRecipe, target: string): Promise<void> {
  for (const tool of ['mmdebstrap', 'systemd-nspawn'])
    if ((await run(['sh', '-c', `command -v ${tool}`])).exitCode !== 0)
      throw new BenchError(
        `${tool} is not installed: the bench builds and boots its machines with it.`,
        'Install them: apt-get install -y mmdebstrap systemd-container (both are in .ci/run).',
      )
  await mustRun(mmdebstrapArgv(recipe, target))
  for (const path of recipe.remove) rmSync(join(target, path), { force: true })
  for (const [path, text] of Object.entries(recipe.files)) writeFileSync(join(target, path), text)
}

function readLockOwner(lock: string): number | undefined {
  try {
    return Number(readFileSync(join(lock, 'owner'), 'utf8'))
  } catch {
    return undefined
  }
}

/** Take the build lock, waiting for a live builder; a dead builder's lock is taken over. */
async function takeLock(lock: string, image: string): Promise<boolean> {
  for (;;) {
    try {
      mkdirSync(lock)
      writeFileSync(join(lock, 'owner'), String(process.pid))
      return true
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    // Another run is building: wait for its image, or for it to die.
    const settled = await waitFor(() => {
      const owner = readLockOwner(lock)
      return existsSync(image) || (owner !== undefined && !isAlive(owner))
    }, 30 * 60_000)
    if (existsSync(image)) return false
    const owner = readLockOwner(lock)
    if (!settled || owner === undefined)
      throw new BenchError(
        `Gave up waiting for another run to build the machine image (lock ${lock}).`,
        'If no test run is building it, remove that directory and run again.',
      )
    // The builder died: take over its lock and drop its half-built tree.
    rmSync(join(machineImagesDir(), `.build-${basename(image)}-${owner}`), { recursive: true, force: true })
    rmSync(lock, { recursive: true, force: true })
  }
}

/** The cached image for the current recipe, built first when missing (about 1.5 min cold). */
export async function ensureMachineImage(): Promise<MachineImage> {
  const recipe = buildMachineImageRecipe(await ensurePackageCache())
  const key = machineImageKey(recipe)
  const dir = machineImagesDir()
  const rootfs = join(dir, key)
  if (existsSync(rootfs)) return { rootfs, key, buildMs: 0 }
  mkdirSync(dir, { recursive: true, mode: 0o755 })
  const lock = join(dir, `${key}.lock`)
  if (!(await takeLock(lock, rootfs))) return { rootfs, key, buildMs: 0 }
  const started = Date.now()
  const temp = join(dir, `.build-${key}-${process.pid}`)
  try {
    rmSync(temp, { recursive: true, force: true })
    await buildInto(recipe, temp)
    renameSync(temp, rootfs)
    return { rootfs, key, buildMs: Date.now() - started }
  } finally {
    rmSync(temp, { recursive: true, force: true })
    rmSync(lock, { recursive: true, force: true })
  }
}
