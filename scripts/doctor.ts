/** doctor — check every prerequisite and say how to fix each. See docs/cli.md. */

import { runMain } from '../lib/cli/main.ts'
import { formatTable } from '../lib/cli/output.ts'
import { ExitCode } from '../lib/errors.ts'

const spec = {
  name: 'npm run doctor --',
  summary:
    'Check Node, the pinned tools, ssh, the operator identity and provider credentials (presence only).',
  flags: {
    operator: {
      type: 'string',
      description: 'Operator to check (default: the only one).',
      placeholder: 'name',
    },
    'ssh-key': {
      type: 'string',
      description: 'SSH private key to check (default ~/.ssh/id_ed25519).',
      placeholder: 'path',
    },
  },
  exitCodes: [
    ['ok', 'everything needed is there (warnings allowed)'],
    ['toolMissing', 'something needed is missing'],
  ],
} as const

await runMain(spec, async ({ flags, out }) => {
  const { runDoctor } = await import('../lib/doctor.ts')
  const { resolveSshKey } = await import('../lib/flows/targets.ts')
  const { realProc } = await import('../lib/proc.ts')
  const checks = await runDoctor(realProc, {
    operator: flags.operator,
    sshKey: resolveSshKey(flags['ssh-key']),
  })
  const failed = checks.some((c) => c.level === 'fail')
  if (out.json) out.emitJson({ ok: !failed, checks })
  else {
    const mark = { ok: out.color.green('ok'), warn: out.color.yellow('warn'), fail: out.color.red('FAIL') }
    out.data(
      formatTable(
        ['check', 'result', 'detail'],
        checks.map((c) => [c.name, mark[c.level], c.detail]),
      ),
    )
    for (const c of checks) if (c.fix) out.info(`${c.level === 'fail' ? 'FAIL' : 'warn'} ${c.name}: ${c.fix}`)
  }
  return failed ? ExitCode.toolMissing : ExitCode.ok
})
