/** cloud:up — bring a debug server up (or converge it) behind the human gate. See docs/cli.md. */
import { runMain } from '../lib/cli/main.ts'
import { buildStackRequest, DEFAULT_IMAGE, stackFlags } from '../lib/flows/flags.ts'

const spec = {
  name: 'npm run cloud:up --',
  summary:
    'Provision (or converge) a debug server: host phase (VM, cloud-init Docker bootstrap) for hetzner/contabo, ' +
    'then the debug-server container, a health check, and the encrypted record. Asks you to type the stack name.',
  flags: {
    ...stackFlags,
    'wait-timeout': {
      type: 'string',
      description: 'Seconds to wait for a new host (SSH, cloud-init, Docker).',
      placeholder: 'seconds',
      default: '600',
    },
    'rotate-tokens': {
      type: 'boolean',
      description:
        'New API and runner tokens for an existing stack: its container is recreated with them, the old ones stop working.',
    },
  },
  exitCodes: [
    ['ok', 'up (or already converged)'],
    'gate',
    'terraformFailed',
    'hostKeyMismatch',
    'hostNotReady',
    'healthCheckFailed',
    ['lockHeld', 'stack locked'],
    ['imageUnavailable', 'the image is not in the engine and cannot be pulled or built (said before asking)'],
    'interrupted',
  ],
  details: `Without --image it runs the reference debug server ${DEFAULT_IMAGE}, built offline when missing.
Examples:
  npm run cloud:up -- --provider local
  npm run cloud:up -- --provider local --rotate-tokens
  npm run cloud:up -- --provider hetzner --env prod
  npm run cloud:up -- --provider local --image ghcr.io/acme/debug-server:1.4
  npm run cloud:up -- --provider contabo --stack-name debug-lab --dry-run`,
} as const

await runMain(spec, async ({ flags, out }) => {
  const request = {
    ...buildStackRequest(flags),
    readinessTimeoutMs: Number(flags['wait-timeout']) * 1000,
    healthTimeoutMs: 60_000,
    rotateTokens: flags['rotate-tokens'],
  }
  if (flags['dry-run']) {
    const { buildDryRun, printDryRun } = await import('../lib/flows/dry-run.ts')
    const report = await buildDryRun(request)
    if (out.json) out.emitJson({ ok: true, dryRun: true, ...report })
    else printDryRun(out, report)
    return 0
  }
  const { resolveOperatorForGate } = await import('../lib/flows/operator.ts')
  const { createRuntime } = await import('../lib/flows/runtime.ts')
  const { describeNextSteps, runUp } = await import('../lib/flows/up.ts')
  const operator = await resolveOperatorForGate(flags.operator)
  const rt = await createRuntime(out, flags['tf-bin'])
  try {
    const result = await runUp(rt, { ...request, operator, yes: flags.yes })
    if (out.json) out.data(JSON.stringify({ type: 'result', ok: true, ...result }))
    else {
      out.success(
        result.changed
          ? `Stack ${result.stack} is up.`
          : `Stack ${result.stack} already matches: nothing changed.`,
      )
      for (const line of describeNextSteps(result, flags)) out.info(line)
      const t = result.timings
      const own = t.totalMs - t.terraformMs - t.waitMs - t.humanMs
      out.detail(
        `Took ${(t.totalMs / 1000).toFixed(1)}s: Terraform ${(t.terraformMs / 1000).toFixed(1)}s, waits ${(t.waitMs / 1000).toFixed(1)}s, launcher ${(own / 1000).toFixed(1)}s`,
      )
    }
    return 0
  } finally {
    await rt.dispose()
  }
})
