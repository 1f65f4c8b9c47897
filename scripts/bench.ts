/** bench — benchmarks with printed figures and ratios against the real tools, measured in the same run. */
import { runMain } from '../lib/cli/main.ts'
import { UsageError } from '../lib/errors.ts'

const PARTS = {
  state: () => import('../tests/bench/state.ts'),
  sessions: () => import('../tests/bench/sessions.ts'),
  tunnel: () => import('../tests/bench/tunnel.ts'),
  launcher: () => import('../tests/bench/launcher.ts'),
  agent: () => import('../tests/bench/agent.ts'),
} as const
type Part = keyof typeof PARTS

const spec = {
  name: 'npm run bench --',
  positionals: `[${Object.keys(PARTS).join('|')}…]`,
  summary:
    'Run the benchmarks (all parts, or the ones named) and print tables of medians. The tunnel and launcher parts ' +
    'start test hosts and need root. Figures only: nothing here passes or fails.',
  flags: {},
  exitCodes: ['ok', 'failure', 'usage'],
} as const

await runMain(spec, async ({ positionals, out }) => {
  const unknown = positionals.filter((p) => !(p in PARTS))
  if (unknown.length > 0)
    throw new UsageError(`Unknown bench part ${unknown.join(', ')}; parts: ${Object.keys(PARTS).join(', ')}.`)
  const parts = (positionals.length > 0 ? positionals : Object.keys(PARTS)) as Part[]
  for (const part of parts) {
    out.info(out.color.bold(`\n== ${part} ==`))
    const started = performance.now()
    const { default: run } = await PARTS[part]()
    await run((line) => out.data(line))
    out.info(out.color.dim(`(${part}: ${((performance.now() - started) / 1000).toFixed(1)} s)`))
  }
  return 0
})
