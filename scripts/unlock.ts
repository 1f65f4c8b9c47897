/**
 * npm run cloud:unlock -- [--minutes N] [--revoke] [--operator name]
 * Lets `--yes` skip the typed confirmation on this terminal for a few minutes (like sudo's timestamp).
 */
import { runMain } from '../lib/cli/main.ts'
import { resolveOperatorForGate } from '../lib/flows/operator.ts'
import { GRANT_DEFAULT_MINUTES, GRANT_MAX_MINUTES, verifyGrantMinutes } from '../lib/gate/grant.ts'
import { revokeTerminal, unlockTerminal } from '../lib/gate/unlock.ts'
import { resolveOperator } from '../lib/state/operator.ts'

const spec = {
  name: 'npm run cloud:unlock --',
  summary:
    'Let --yes skip the typed confirmation on this terminal, for this operator, for a few minutes. ' +
    'You confirm by typing your operator name. CI, agent, terminal and identity checks always still apply.',
  flags: {
    minutes: {
      type: 'string',
      description: `How long the grant lasts, 1-${GRANT_MAX_MINUTES} (default ${GRANT_DEFAULT_MINUTES}).`,
      placeholder: 'n',
    },
    revoke: { type: 'boolean', description: "Remove this terminal's grant now." },
    operator: {
      type: 'string',
      description: 'Operator to unlock for (default: the only one).',
      placeholder: 'name',
    },
  },
  exitCodes: [['ok', 'unlocked or revoked'], 'gate', 'usage'],
} as const

await runMain(spec, async ({ flags, out }) => {
  const minutes = verifyGrantMinutes(flags.minutes)
  if (flags.revoke) {
    const operator = await resolveOperator({ flag: flags.operator })
    const removed = await revokeTerminal(operator)
    if (out.json) out.emitJson({ ok: true, revoked: removed, operator })
    else out.success(removed ? 'Grant for this terminal revoked.' : 'There was no grant for this terminal.')
    return 0
  }
  // No operator is a gate denial (no identity, audited), not a plain error.
  const operator = await resolveOperatorForGate(flags.operator)
  const grant = await unlockTerminal({ operator, minutes, out })
  if (out.json)
    out.emitJson({
      ok: true,
      operator: grant.operator,
      expiresAt: grant.expiresAt,
      tty: grant.binding.ttyPath,
    })
  else
    out.success(`--yes is accepted on ${grant.binding.ttyPath ?? 'this terminal'} until ${grant.expiresAt}.`)
  return 0
})
