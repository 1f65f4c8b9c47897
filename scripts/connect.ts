/** cloud:connect — pinned SSH tunnels to a stack's app ports and Docker socket. See docs/cli.md. */

import { runMain } from '../lib/cli/main.ts'
import { stackFlags } from '../lib/flows/flags.ts'

const spec = {
  name: 'npm run cloud:connect --',
  positionals: '[-- <command…>]',
  summary:
    "Open pinned SSH tunnels to a stack: its app ports on 127.0.0.1 and, with --docker, the host's Docker socket " +
    'as a private unix socket. Stays until Ctrl-C, or --background until --close.',
  flags: {
    'stack-name': { type: 'string', description: 'The stack to connect to.', placeholder: 'name' },
    operator: stackFlags.operator,
    'ssh-key': stackFlags['ssh-key'],
    background: { type: 'boolean', description: 'Leave the tunnels running in the background and return.' },
    close: {
      type: 'boolean',
      description: 'Close the tunnels of an earlier connect (background or foreground).',
    },
    'strict-ports': {
      type: 'boolean',
      description: 'Fail when an app port is busy locally instead of picking a free one.',
    },
    docker: {
      type: 'boolean',
      description: "Also forward the host's Docker socket (root on the host). Asks you first.",
    },
    'print-env': {
      type: 'string',
      description:
        'Write DEBUG_SERVER_URL, DEBUG_SERVER_API_TOKEN (and with --docker DOCKER_HOST) to this file (0600). Asks you first.',
      placeholder: 'file',
    },
    exec: {
      type: 'boolean',
      description: 'Run the command after -- with those variables set, then close. Asks you first.',
    },
    yes: stackFlags.yes,
  },
  exitCodes: [
    ['ok', "closed cleanly (with --exec: the command's exit code)"],
    ['failure', 'the tunnel could not open or dropped'],
    'gate',
    'hostKeyMismatch',
    'usage',
    ['notFound', 'unknown stack'],
  ],
  details: `Examples:
  npm run cloud:connect -- --stack-name debug-dev
  npm run cloud:connect -- --stack-name debug-dev --background --print-env .debug-server.env
  npm run cloud:connect -- --stack-name debug-dev --docker --exec -- docker ps
  npm run cloud:connect -- --stack-name debug-dev --close`,
} as const

await runMain(spec, async ({ flags, positionals, out }) => {
  const { runConnectCommand } = await import('../lib/daytwo/connect-command.ts')
  return runConnectCommand(flags, positionals, out)
})
