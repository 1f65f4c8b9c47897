/**
 * npm run credentials -- set <NAME> [--from-file path] | list | remove <NAME> [--operator name]
 * Keep provider credentials (HCLOUD_TOKEN, CNTB_…) in your encrypted, sealed state instead of .env.
 */
import { runMain } from '../lib/cli/main.ts'
import { CREDENTIAL_VERBS, type CredentialVerb } from '../lib/credentials-verbs.ts'
import { UsageError } from '../lib/errors.ts'

const spec = {
  name: 'npm run credentials --',
  positionals: `<${CREDENTIAL_VERBS.join('|')}> [NAME]`,
  summary:
    'Keep provider credentials in your encrypted, sealed state: cloud:up hands them to Terraform only. ' +
    'A value is typed hidden on the terminal or read from --from-file, never from argv or the environment.',
  flags: {
    'from-file': { type: 'string', description: 'set: read the value from this file.', placeholder: 'path' },
    operator: { type: 'string', description: 'Operator (default: the only one).', placeholder: 'name' },
  },
  exitCodes: ['ok', 'sops', 'stateSeal', 'gate', 'usage', ['notFound', 'no operator'], 'lockHeld'],
  details: `Examples:
  npm run credentials -- set HCLOUD_TOKEN
  npm run credentials -- set CNTB_OAUTH2_CLIENT_SECRET --from-file ~/secret.txt
  npm run credentials -- list`,
} as const

function verifyVerb(verb: string | undefined): CredentialVerb {
  if (verb !== undefined && (CREDENTIAL_VERBS as readonly string[]).includes(verb))
    return verb as CredentialVerb
  throw new UsageError(`Give a verb: ${CREDENTIAL_VERBS.join(', ')}${verb ? ` (got "${verb}")` : ''}.`)
}

await runMain(spec, async ({ flags, positionals, out }) => {
  const verb = verifyVerb(positionals[0])
  const { resolveOperator } = await import('../lib/state/operator.ts')
  const { openOperatorStore } = await import('../lib/gate/unlock.ts')
  const { runCredentials } = await import('../lib/credentials-command.ts')
  const operator = await resolveOperator({ flag: flags.operator })
  const store = await openOperatorStore({ operator, command: `credentials ${verb}`, out })
  return runCredentials({ store, out, verb, args: positionals.slice(1), fromFile: flags['from-file'] })
})
