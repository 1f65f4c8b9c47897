/**
 * npm run operator:init -- --operator <name> [--import <keyfile>] [--recovery-recipient age1…] | --seal
 * Creates (or imports) the operator's age identity, sealed with a passphrase you type twice, where sops looks for
 * it, and the operator's profile and .sops.yaml under secrets/operators/<name>/.
 */
import { runMain } from '../lib/cli/main.ts'

const spec = {
  name: 'npm run operator:init --',
  summary:
    'Create an operator: a new age identity (or --import an existing one) in the keys file sops reads ' +
    '(SOPS_AGE_KEY_FILE, else $XDG_CONFIG_HOME/sops/age/keys.txt, else ~/.config/sops/age/keys.txt), sealed 0600 ' +
    'with a passphrase you type twice (the `age -p` format sops reads), plus the profile and .sops.yaml in ' +
    'secrets/operators/<name>/. With --seal: seal an existing plaintext keys file, and the state with it.',
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
    seal: {
      type: 'boolean',
      description: 'Seal the existing plaintext keys file with a new passphrase, and seal the state with it.',
    },
  },
  exitCodes: [
    ['ok', 'created (or sealed)'],
    'gate',
    ['usage', 'bad flags, the operator exists, or nothing to seal'],
    ['badInput', 'bad key file'],
    'permission',
  ],
} as const

await runMain(spec, async ({ flags, out }) => {
  const { runOperatorInit } = await import('../lib/operator-command.ts')
  return runOperatorInit(flags, out)
})
