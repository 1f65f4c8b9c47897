/** cloud:plan — show what cloud:up would change; exit 0 no changes, 2 changes. See docs/cli.md. */
import { runMain } from '../lib/cli/main.ts'
import { ExitCode } from '../lib/errors.ts'
import { buildStackRequest, stackFlags } from '../lib/flows/flags.ts'

const { 'dry-run': _dryRun, ...planFlags } = stackFlags

const spec = {
  name: 'npm run cloud:plan --',
  summary:
    'Plan a stack without changing anything and print what cloud:up would do. Exit 0: no changes; 2: changes. ' +
    'Asks for confirmation only for hetzner/contabo, because planning uses your provider credentials.',
  flags: planFlags,
  exitCodes: [
    ['ok', 'no changes'],
    ['planChanges', 'changes'],
    ['gate', 'refused by the human gate (cloud providers)'],
    'terraformFailed',
  ],
  details: `Examples:
  npm run cloud:plan -- --provider local
  npm run cloud:plan -- --provider local --image ghcr.io/acme/debug-server:1.4`,
} as const

await runMain(spec, async ({ flags, out }) => {
  const { createRuntime } = await import('../lib/flows/runtime.ts')
  const { describePlanReport, runPlan } = await import('../lib/flows/plan.ts')
  const { resolveOperatorForGate } = await import('../lib/flows/operator.ts')
  const rt = await createRuntime(out, flags['tf-bin'])
  try {
    const report = await runPlan(rt, {
      ...buildStackRequest(flags),
      operator: await resolveOperatorForGate(flags.operator),
      yes: flags.yes,
    })
    if (out.json) out.data(JSON.stringify({ type: 'result', ok: true, ...report }))
    else for (const line of describePlanReport(report)) out.info(line)
    return report.hasChanges ? ExitCode.planChanges : ExitCode.ok
  } finally {
    await rt.dispose()
  }
})
