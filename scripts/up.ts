/** cloud:up — bring a debug server up (or converge it) behind the human gate. See docs/cli.md. */
import { runMain } from '../lib/cli/main.ts'
import { buildStackRequest, stackFlags } from '../lib/flows/flags.ts'

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
  },
  exitCodes: [
    ['ok', 'up (or already converged)'],
    'gate',
    'terraformFailed',
    'hostKeyMismatch',
    'hostNotReady',
    'healthCheckFailed',
    ['lockHeld', 'stack locked'],
    'interrupted',
  ],
  details: `Examples:
  npm run cloud:up -- --provider local
  npm run cloud:up -- --provider hetzner --env prod --image ghcr.io/org/debug-server:latest
  npm run cloud:up -- --provider contabo --stack-name debug-lab --dry-run`,
} as const

await runMain(spec, async ({ flags, out }) => {
  const request = {
    ...buildStackRequest(flags),
    readinessTimeoutMs: Number(flags['wait-timeout']) * 1000,
    healthTimeoutMs: 60_000,
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
  const { runUp } = await import('../lib/flows/up.ts')
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
      out.info(`  Docker host: ${result.dockerHost}`)
      for (const e of result.endpoints) out.info(`  ${e.name}: ${e.url} (on the host)`)
      const t = result.timings
      const own = t.totalMs - t.terraformMs - t.waitMs - t.humanMs
      out.detail(
        `Took ${(t.totalMs / 1000).toFixed(1)}s: Terraform ${(t.terraformMs / 1000).toFixed(1)}s, waits ${(t.waitMs / 1000).toFixed(1)}s, launcher ${(own / 1000).toFixed(1)}s`,
      )
      out.info(`Connect: npm run cloud:connect -- --stack-name ${result.stack}`)
    }
    return 0
  } finally {
    await rt.dispose()
  }
})
