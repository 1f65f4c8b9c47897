/** cloud:destroy — remove a stack's container and VM behind the human gate. See docs/cli.md. */
import { runMain } from '../lib/cli/main.ts'
import { resolveStackName, stackFlags } from '../lib/flows/flags.ts'

const spec = {
  name: 'npm run cloud:destroy --',
  summary:
    "Destroy a stack: the debug-server container, then (hetzner/contabo) the VM. The provider is the stack's own. " +
    'Asks you to type the stack name; Contabo destroy cancels the contract.',
  flags: {
    env: stackFlags.env,
    'stack-name': stackFlags['stack-name'],
    operator: stackFlags.operator,
    'ssh-key': stackFlags['ssh-key'],
    yes: stackFlags.yes,
    'tf-bin': stackFlags['tf-bin'],
    'release-sessions': {
      type: 'boolean',
      description: 'Also release the debug sessions pinned to this stack (otherwise they block the destroy).',
    },
  },
  exitCodes: [
    ['ok', 'destroyed'],
    'gate',
    'terraformFailed',
    ['usage', 'sessions still pinned'],
    ['notFound', 'no such stack (or already destroyed)'],
    ['lockHeld', 'stack locked'],
    'interrupted',
  ],
  details: `Example:
  npm run cloud:destroy -- --stack-name debug-lab --release-sessions`,
} as const

await runMain(spec, async ({ flags, out }) => {
  const { resolveOperatorForGate } = await import('../lib/flows/operator.ts')
  const { createRuntime } = await import('../lib/flows/runtime.ts')
  const { runDestroy } = await import('../lib/flows/destroy.ts')
  const { resolveSshKey } = await import('../lib/flows/targets.ts')
  const operator = await resolveOperatorForGate(flags.operator)
  const rt = await createRuntime(out, flags['tf-bin'])
  try {
    const result = await runDestroy(rt, {
      stackName: resolveStackName(flags['stack-name'], flags.env),
      operator,
      sshKey: resolveSshKey(flags['ssh-key']),
      releaseSessions: flags['release-sessions'],
      yes: flags.yes,
    })
    if (out.json) out.data(JSON.stringify({ type: 'result', ok: true, ...result }))
    else {
      out.success(
        `Stack ${result.stack} destroyed (${result.destroyed.app + result.destroyed.host} resources).`,
      )
      if (result.releasedSessions.length > 0)
        out.info(`Released sessions: ${result.releasedSessions.join(', ')}`)
    }
    return 0
  } finally {
    await rt.dispose()
  }
})
