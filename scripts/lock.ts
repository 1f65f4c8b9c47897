/** npm run cloud:lock -- [--operator name]: end this terminal session's unlock at once. */
import { runMain } from '../lib/cli/main.ts'

const spec = {
  name: 'npm run cloud:lock --',
  summary: 'End the unlock of this terminal session at once: the identity leaves the agent’s memory.',
  flags: {
    operator: { type: 'string', description: 'Operator (default: the only one).', placeholder: 'name' },
  },
  exitCodes: [['ok', 'locked (or nothing was unlocked)'], 'usage'],
} as const

await runMain(spec, async ({ flags, out }) => {
  const { resolveOperator } = await import('../lib/state/operator.ts')
  const { lockSession } = await import('../lib/gate/unlock.ts')
  const operator = await resolveOperator({ flag: flags.operator })
  const locked = await lockSession(operator)
  if (out.json) out.emitJson({ ok: true, locked })
  else
    out.success(
      locked ? 'Locked: this terminal session holds no unlocked identity now.' : 'Nothing was unlocked here.',
    )
  return 0
})
