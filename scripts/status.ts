/** cloud:status — the operator's stacks, and with --refresh their observed health and drift. See docs/cli.md. */
import { runMain } from '../lib/cli/main.ts'
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
  const { runStatus } = await import('../lib/daytwo/status-command.ts')
  return runStatus(
    flags.operator,
    out,
    flags.refresh ? { sshKey: flags['ssh-key'], tfBin: flags['tf-bin'] } : undefined,
  )
})
