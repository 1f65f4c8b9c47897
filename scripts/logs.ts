/** cloud:logs — stream the debug server's container logs over pinned SSH, secrets redacted. See docs/cli.md. */
import { runMain } from '../lib/cli/main.ts'
import { UsageError } from '../lib/errors.ts'
import { resolveStackName, stackFlags } from '../lib/flows/flags.ts'

const spec = {
  name: 'npm run cloud:logs --',
  summary:
    "Print the app container's logs (stdout and stderr as the container wrote them), line by line, with every " +
    'secret of the stack redacted. With --follow it runs until Ctrl-C or until the container stops.',
  flags: {
    'stack-name': { type: 'string', description: 'The stack whose logs to show.', placeholder: 'name' },
    follow: { type: 'boolean', description: 'Keep streaming new lines.' },
    since: {
      type: 'string',
      description: 'Only lines since a duration (10m, 2h), a date or a unix timestamp.',
      placeholder: 'when',
    },
    tail: { type: 'string', description: 'Only the last N lines (or "all").', placeholder: 'N' },
    operator: stackFlags.operator,
    'ssh-key': stackFlags['ssh-key'],
  },
  exitCodes: [
    ['ok', 'the logs ended (Ctrl-C, container stopped, or all printed)'],
    ['failure', 'the host did not answer'],
    'hostKeyMismatch',
    'usage',
    ['notFound', 'unknown stack or container gone'],
  ],
  details: `Examples:
  npm run cloud:logs -- --stack-name debug-dev --tail 100
  npm run cloud:logs -- --stack-name debug-dev --follow --since 10m`,
} as const

await runMain(spec, async ({ flags, out }) => {
  if (flags['stack-name'] === undefined)
    throw new UsageError('--stack-name is required.', 'List your stacks with `npm run cloud:status`.')
  if (out.json) throw new UsageError('cloud:logs has no --json output: it prints the log lines as they are.')
  const { openStack } = await import('../lib/daytwo/stack.ts')
  const { streamLogs } = await import('../lib/daytwo/logs.ts')
  const { realProc } = await import('../lib/proc.ts')
  const stack = await openStack({
    operator: flags.operator,
    stack: resolveStackName(flags['stack-name'], 'dev'),
    sshKey: flags['ssh-key'],
    command: 'cloud:logs',
    out,
  })
  const options = { follow: flags.follow, since: flags.since, tail: flags.tail }
  return streamLogs(realProc, stack, options, {
    stdout: (line) => process.stdout.write(`${line}\n`),
    stderr: (line) => process.stderr.write(`${line}\n`),
  })
})
