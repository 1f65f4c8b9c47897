/**
 * npm run state -- <verb> [args] [--operator name]
 * Show, edit, restore, verify and re-key the operator's SOPS/age-encrypted state.
 */
import { runMain } from '../lib/cli/main.ts'
import { UsageError } from '../lib/errors.ts'
import { STATE_VERBS, type StateVerb } from '../lib/state/verbs.ts'

const spec = {
  name: 'npm run state --',
  positionals: `<${STATE_VERBS.join('|')}> [n|file]`,
  summary:
    "Inspect and maintain the operator's encrypted state (secrets/operators/<operator>/state.sops.yaml).",
  flags: {
    operator: {
      type: 'string',
      description: 'Operator (default: DEBUG_CLOUD_OPERATOR, else the only one).',
      placeholder: 'name',
    },
    reveal: { type: 'boolean', description: 'show: print secrets in plain text (a person must confirm).' },
    yes: {
      type: 'boolean',
      description:
        'Skip typing the operator name: only within an explicit `npm run cloud:unlock` of this terminal.',
    },
    redacted: { type: 'boolean', description: 'export: required; secrets are replaced by "<redacted>".' },
  },
  details: [
    'Verbs:',
    '  show [--reveal]          the state, secrets redacted unless --reveal',
    '  edit                     edit with `sops edit` (or $EDITOR on a private temp file); validated, rolled back if invalid',
    '  history                  previous versions, 1 = newest',
    '  restore <n>              make history entry n current (the replaced state becomes entry 1; asks you)',
    '  export --redacted        the state without secrets (add --json for JSON)',
    '  verify                   check MAC, seal, chain and schema of the state and every history entry, and the audit chain',
    '  rotate-key               new identity; state and history re-encrypted and re-sealed to it (asks you)',
    '  decrypt <file>           print any SOPS YAML/JSON file readable with your keys (MAC verified)',
    '  reseal                   accept the state as it is (after an edit with the real sops) and seal it again',
  ].join('\n'),
  exitCodes: [
    'ok',
    'sops',
    'stateConflict',
    'stateSchema',
    'stateUnsafe',
    'stateSeal',
    'auditTampered',
    'gate',
    'usage',
    ['notFound', 'no operator'],
    'lockHeld',
    'permission',
    ['toolMissing', 'edit: the pinned sops was replaced'],
  ],
} as const

function verifyVerb(verb: string | undefined): StateVerb {
  if (verb !== undefined && (STATE_VERBS as readonly string[]).includes(verb)) return verb as StateVerb
  throw new UsageError(`Give a verb: ${STATE_VERBS.join(', ')}${verb ? ` (got "${verb}")` : ''}.`)
}

await runMain(spec, async ({ flags, positionals, out }) => {
  const verb = verifyVerb(positionals[0])
  const { resolveOperator } = await import('../lib/state/operator.ts')
  const { openOperatorStore } = await import('../lib/gate/unlock.ts')
  const { runStateVerb } = await import('../lib/state/commands.ts')
  const { identityKeyring } = await import('../lib/gate/keyring.ts')
  const { terminalPassphrases } = await import('../lib/gate/passphrase.ts')
  const { realProc } = await import('../lib/proc.ts')
  const { getTool } = await import('../lib/tools/spec.ts')
  const { isToolInstalled, whichTool } = await import('../lib/tools/stamp.ts')
  const operator = await resolveOperator({ flag: flags.operator })
  const store = await openOperatorStore({ operator, command: `state ${verb}`, out })
  return runStateVerb(verb, {
    store,
    out,
    proc: realProc,
    env: process.env,
    // Only edit runs sops: the pinned binary checked against its stamp, else (none) edit's temp-file flow.
    sopsPath: verb === 'edit' && isToolInstalled(getTool('sops')) ? whichTool('sops') : '',
    args: positionals.slice(1),
    flags: { reveal: flags.reveal, redacted: flags.redacted, json: flags.json, yes: flags.yes },
    passphrases: terminalPassphrases(`state ${verb}`, operator, out),
    keyringOf: identityKeyring,
  })
})
