/** bench — benchmarks with printed figures and ratios against their anchors, measured in the same run. */

import { runMain } from '../lib/cli/main.ts'
import { formatTable } from '../lib/cli/output.ts'
import { UsageError } from '../lib/errors.ts'
import { type Figure, formatValue, type Report, ratioOf } from '../tests/bench/figures.ts'

const PARTS = {
  startup: () => import('../tests/bench/startup.ts'),
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
    'Run the benchmarks (all parts, or the ones named), print tables of medians, then every figure with its ' +
    'anchor measured in the same run and the ratio (--json: the figures as one JSON document on stdout, the ' +
    'tables on stderr). The tunnel and launcher parts start test hosts and need root. Figures only: nothing ' +
    'here passes or fails.',
  flags: {},
  exitCodes: ['ok', 'failure', 'usage'],
} as const

await runMain(spec, async ({ positionals, out }) => {
  const unknown = positionals.filter((p) => !(p in PARTS))
  if (unknown.length > 0)
    throw new UsageError(`Unknown bench part ${unknown.join(', ')}; parts: ${Object.keys(PARTS).join(', ')}.`)
  const parts = (positionals.length > 0 ? positionals : Object.keys(PARTS)) as Part[]
  const figures: Figure[] = []
  // With --json, stdout carries only the JSON document: the tables go to stderr.
  const print = (line: string) => (out.json ? out.info(line) : out.data(line))
  for (const part of parts) {
    out.info(out.color.bold(`\n== ${part} ==`))
    const started = performance.now()
    const { default: run } = await PARTS[part]()
    const report: Report = (figure) => figures.push({ part, ...figure })
    await run(print, report)
    out.info(out.color.dim(`(${part}: ${((performance.now() - started) / 1000).toFixed(1)} s)`))
  }
  if (out.json) {
    out.emitJson({ ok: true, figures: figures.map((f) => ({ ...f, ratio: ratioOf(f) ?? null })) })
    return 0
  }
  out.info(out.color.bold('\n== figures (issue 11), each against its anchor of the same run =='))
  out.data(
    formatTable(
      ['figure', 'value', 'anchor', 'ratio', 'aim'],
      figures.map((f) => {
        const ratio = ratioOf(f)
        return [
          f.name,
          formatValue(f.value, f.unit),
          f.anchor ? `${f.anchor.name}: ${formatValue(f.anchor.value, f.unit)}` : '-',
          ratio === undefined ? '-' : `${ratio.toFixed(2)}x`,
          f.aim ?? '-',
        ]
      }),
    ),
  )
  return 0
})
