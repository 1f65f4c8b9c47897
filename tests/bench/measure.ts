/** Shared by the benchmark parts: medians, whole-command runs, a private operator environment. */
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'

/** The median of `values` (the upper middle one for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN
}

/** Run `fn` `rounds` times (it gets the round number) and return the median duration in ms. */
export async function medianTime(fn: (round: number) => unknown, rounds: number): Promise<number> {
  const times: number[] = []
  for (let i = 0; i < rounds; i++) {
    const start = performance.now()
    await fn(i)
    times.push(performance.now() - start)
  }
  return median(times)
}

const root = join(import.meta.dirname, '..', '..')

/** Run a whole command from the project root; its stdout, or an error with its stderr. */
export function runOk(argv: readonly string[], env: NodeJS.ProcessEnv): string {
  const out = spawnSync(argv[0]!, argv.slice(1), {
    env,
    encoding: 'utf8',
    cwd: root,
    maxBuffer: 256 * 1024 * 1024,
  })
  if (out.status !== 0) throw new Error(`${argv.join(' ')} failed: ${out.stderr}`)
  return out.stdout
}

/** Build the precompiled commands now if they are stale, so no measured run pays for a rebuild. */
export function ensureBuilt(env: NodeJS.ProcessEnv): void {
  runOk([process.execPath, join(root, 'scripts', 'run.mjs'), '--build'], env)
}

/** A private operator workstation in a temp dir (the pinned tools still found in the real cache). */
export function buildBenchEnv(dir: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: join(dir, 'home'),
    XDG_CONFIG_HOME: join(dir, 'config'),
    XDG_CACHE_HOME: process.env.XDG_CACHE_HOME ?? join(process.env.HOME ?? '', '.cache'),
    DEBUG_CLOUD_SECRETS_DIR: join(dir, 'secrets'),
    TMPDIR: dir,
  }
}
