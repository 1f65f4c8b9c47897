/**
 * npm run operator:init -- --operator <name> [--import <keyfile>] [--recovery-recipient age1…]
 * Creates (or imports) the operator's age identity where sops looks for it, and the operator's profile and
 * .sops.yaml under secrets/operators/<name>/.
 */
import { runMain } from '../lib/cli/main.ts'
import { UsageError } from '../lib/errors.ts'
import { initOperator } from '../lib/state/init.ts'

const spec = {
  name: 'npm run operator:init --',
  summary:
    'Create an operator: a new age identity (or --import an existing one) appended 0600 to the keys file sops ' +
    'reads (SOPS_AGE_KEY_FILE, else $XDG_CONFIG_HOME/sops/age/keys.txt, else ~/.config/sops/age/keys.txt), ' +
    'plus the profile and .sops.yaml in secrets/operators/<name>/.',
  flags: {
    operator: {
      type: 'string',
      description: 'Operator name: lower-case letters, digits, dashes.',
      placeholder: 'name',
    },
    import: {
      type: 'string',
      description: 'Use the one age identity in this key file (mode 0600).',
      placeholder: 'keyfile',
    },
    'recovery-recipient': {
      type: 'string',
      description: 'Also encrypt all state to this age recipient (an offline recovery key). Repeatable.',
      placeholder: 'age1…',
      repeatable: true,
    },
  },
  exitCodes: [
    ['ok', 'created'],
    ['usage', 'bad flags or the operator exists'],
    ['badInput', 'bad key file'],
    'permission',
  ],
} as const

await runMain(spec, async ({ flags, out }) => {
  if (flags.operator === undefined) throw new UsageError('--operator is required, e.g. --operator alice.')
  const result = await initOperator({
    operator: flags.operator,
    importFile: flags.import,
    recoveryRecipients: flags['recovery-recipient'],
  })
  if (out.json) {
    out.emitJson({
      ok: true,
      operator: result.profile.id,
      ...result.profile,
      identityFile: result.identityFile,
    })
    return 0
  }
  out.success(`Operator ${result.profile.id} created in ${result.paths.dir}`)
  out.info(`  recipient: ${result.profile.recipients.join(', ')}`)
  if (result.profile.recoveryRecipients.length > 0)
    out.info(`  recovery:  ${result.profile.recoveryRecipients.join(', ')}`)
  out.info(
    `  identity:  ${result.identityFile}${result.identityAdded ? ' (added, mode 0600)' : ' (already there)'}`,
  )
  out.info('Back up that identity: without it the state cannot be decrypted.')
  return 0
})
