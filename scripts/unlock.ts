/**
 * npm run cloud:unlock -- [--minutes N] [--operator name]
 * Opens your sealed identity with its passphrase and keeps it open in this terminal session for a few minutes
 * (like ssh-add or sudo's timestamp); within it `--yes` may skip the typed confirmation.
 */
import { runMain } from '../lib/cli/main.ts'
import {
  UNLOCK_DEFAULT_MINUTES,
  UNLOCK_MAX_MINUTES,
  verifyUnlockMinutes,
} from '../lib/gate/unlock-minutes.ts'

const spec = {
  name: 'npm run cloud:unlock --',
  summary:
    'Open your sealed identity with its passphrase and keep it open in this terminal session only, for a few ' +
    'minutes: commands here need no passphrase, and --yes may skip the typed confirmation. End it with cloud:lock.',
  flags: {
    minutes: {
      type: 'string',
      description: `How long the unlock lasts, 1-${UNLOCK_MAX_MINUTES} (default ${UNLOCK_DEFAULT_MINUTES}).`,
      placeholder: 'n',
    },
    operator: {
      type: 'string',
      description: 'Operator to unlock for (default: the only one).',
      placeholder: 'name',
    },
  },
  exitCodes: [['ok', 'unlocked'], 'gate', 'usage'],
} as const

await runMain(spec, async ({ flags, out }) => {
  const minutes = verifyUnlockMinutes(flags.minutes)
  const { resolveOperatorForGate } = await import('../lib/flows/operator.ts')
  const { unlockSession } = await import('../lib/gate/unlock.ts')
  // No operator is a gate denial (no identity, audited), not a plain error.
  const status = await unlockSession({ operator: await resolveOperatorForGate(flags.operator), minutes, out })
  if (out.json) out.emitJson({ ok: true, ...status })
  else
    out.success(
      `Unlocked for operator ${status.operator} in this terminal session until ${status.expiresAt}.`,
    )
  return 0
})
