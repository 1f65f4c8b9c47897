/**
 * Start-up: every command's `--help` and `cloud:status` on an empty state through the precompiled build
 * (scripts/run.mjs), side by side with bare `node -e 0` in one interleaved loop, so load on the machine hits
 * all of them alike; plus the same command under tsx (what the npm scripts ran before) and the launcher's
 * staleness check alone.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { formatTable } from '../../lib/cli/output.ts'
import { createPlaintextOperator, openTestStore } from '../helpers/operator.ts'
import type { Report } from './figures.ts'
import { buildBenchEnv, ensureBuilt, median, medianTime, runOk } from './measure.ts'

const ROUNDS = 11
const root = join(import.meta.dirname, '..', '..')
const commands = readdirSync(join(root, 'scripts'))
  .filter((f) => f.endsWith('.ts') && f !== 'bench.ts')
  .map((f) => f.slice(0, -3))
  .sort()

/** Measure and print the table; report each figure against `node -e 0` of the same run. */
export default async function benchStartup(print: (line: string) => void, report: Report): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'dc-bench-startup-'))
  const env = buildBenchEnv(dir)
  try {
    await createPlaintextOperator('bench', env)
    await (await openTestStore('bench', env)).update((d) => d)
    ensureBuilt(env)
    const run = (...args: string[]) => [process.execPath, join(root, 'scripts', 'run.mjs'), ...args]
    const cases: [string, string[]][] = [
      ['node -e 0', [process.execPath, '-e', '0']],
      ...commands.map((c): [string, string[]] => [`${c} --help`, run(c, '--help')]),
      ['cloud:status, empty state', run('status')],
      ['cloud:status --json, empty state', run('status', '--json')],
      [
        'tsx scripts/status.ts --help (before)',
        [process.execPath, '--import', 'tsx', 'scripts/status.ts', '--help'],
      ],
    ]
    const times = new Map<string, number[]>(cases.map(([name]) => [name, []]))
    for (let i = 0; i < ROUNDS; i++)
      for (const [name, argv] of cases) {
        const start = performance.now()
        runOk(argv, env)
        times.get(name)!.push(performance.now() - start)
      }
    const node = median(times.get('node -e 0')!)
    // The launcher's own module from bin/, not a bundled copy (whose location would not be the checkout's).
    const launcher = pathToFileURL(join(root, 'scripts', 'build.mjs')).href
    const { freshManifest } = (await import(launcher)) as typeof import('../../scripts/build.mjs')
    const check = await medianTime(() => {
      if (!freshManifest()) throw new Error('the build went stale during the bench')
    }, ROUNDS)
    const rows = cases.map(([name]) => {
      const ms = median(times.get(name)!)
      if (name !== 'node -e 0')
        report({
          name: `start-up: ${name}`,
          value: ms,
          unit: 'ms',
          anchor: { name: 'node -e 0', value: node },
          aim: name.includes('before') ? undefined : '≤ 3× anchor',
        })
      return [name, `${ms.toFixed(1)} ms`, `${(ms / node).toFixed(2)}x`]
    })
    report({ name: 'start-up: staleness check of the build (in-process)', value: check, unit: 'ms' })
    print(
      `Start-up: whole processes, interleaved, median of ${ROUNDS}; the build's staleness check alone ${check.toFixed(2)} ms`,
    )
    print(formatTable(['command', 'median', '/ node -e 0'], rows))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
