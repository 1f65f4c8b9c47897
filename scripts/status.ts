/** cloud:status — the operator's stacks, and with --refresh their observed health and drift. See docs/cli.md. */
import { runMain } from '../lib/cli/main.ts'
import { ExitCode } from '../lib/errors.ts'
import { stackFlags } from '../lib/flows/flags.ts'

const spec = {
  name: 'npm run cloud:status --',
  summary:
    "A table of the operator's stacks: provider, name, state, address, age, app health, pinned sessions, open " +
    'tunnel. --refresh compares each record with reality (Terraform state, SSH with the pinned key, the ' +
    'container) and reports drift. It never changes anything.',
  flags: {
    refresh: {
      type: 'boolean',
      description: 'Look at Terraform state, the host and the container of each stack.',
    },
    operator: stackFlags.operator,
    'ssh-key': stackFlags['ssh-key'],
    'tf-bin': {
      type: 'string',
      description: 'Terraform binary: tofu or terraform (default: the pinned tofu).',
      placeholder: 'tofu|terraform',
    },
  },
  exitCodes: [
    ['ok', 'listed (with --refresh: and no drift)'],
    ['failure', '--refresh found drift'],
    ['notFound', 'no operator'],
  ],
  details: `Examples:
  npm run cloud:status
  npm run cloud:status -- --refresh --json`,
} as const

await runMain(spec, async ({ flags, out }) => {
  const { openStackState } = await import('../lib/daytwo/stack.ts')
  const { buildStatusRow, formatStatus, refreshStatusRow } = await import('../lib/daytwo/status.ts')
  const { realProc } = await import('../lib/proc.ts')
  const { store, doc } = await openStackState(flags.operator, 'cloud:status', out)
  const now = new Date()
  let rows = await Promise.all(
    Object.keys(doc.stacks)
      .sort()
      .map((name) => buildStatusRow(realProc, store.paths, doc, name, now)),
  )
  if (flags.refresh) {
    const { createRuntime } = await import('../lib/flows/runtime.ts')
    const rt = await createRuntime(out, flags['tf-bin'])
    try {
      await rt.prepareTools()
      rows = await Promise.all(
        rows.map((row) => refreshStatusRow(rt, store.paths, row, doc.stacks[row.stack]!, flags['ssh-key'])),
      )
    } finally {
      await rt.dispose()
    }
  }
  const drifted = rows.some((r) => (r.drift ?? []).length > 0)
  if (out.json) out.emitJson({ ok: true, operator: store.operator, refreshed: flags.refresh, stacks: rows })
  else if (rows.length === 0)
    out.info(`${store.operator} has no stacks yet. Create one with \`npm run cloud:up\`.`)
  else out.data(formatStatus(rows))
  return drifted ? ExitCode.failure : ExitCode.ok
})
