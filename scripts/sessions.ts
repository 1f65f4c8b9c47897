/**
 * npm run cloud:sessions -- <verb> [session-id] [flags]
 * Which debug sessions are pinned to which host: pin, unpin, move, list, show. Local state only.
 */
import { closest } from '../lib/cli/args.ts'
import { runMain } from '../lib/cli/main.ts'
import { UsageError } from '../lib/errors.ts'
import { PROVIDERS, type ProviderName } from '../lib/providers/names.ts'
import { SESSION_VERBS, type SessionVerb } from '../lib/sessions/commands.ts'
import { SESSION_STATUSES, type SessionStatus } from '../lib/sessions/inventory.ts'

const spec = {
  name: 'npm run cloud:sessions --',
  positionals: `<${SESSION_VERBS.join('|')}> [session-id]`,
  summary:
    "Pin debug sessions to hosts (stacks) in the operator's encrypted state, and list which session lives where.",
  flags: {
    operator: {
      type: 'string',
      description: 'Operator (default: DEBUG_CLOUD_OPERATOR, else the only one).',
      placeholder: 'name',
    },
    stack: {
      type: 'string',
      description: 'pin: the stack to pin to. list: only this stack.',
      placeholder: 'name',
    },
    to: { type: 'string', description: 'move: the stack to move the session to.', placeholder: 'stack' },
    label: { type: 'string', description: 'pin: a short one-line label.', placeholder: 'text' },
    note: { type: 'string', description: 'pin: a free-form note.', placeholder: 'text' },
    created: {
      type: 'string',
      description: 'pin: when the debug session was created (default: now).',
      placeholder: 'ISO-8601 time',
    },
    provider: { type: 'string', description: 'list: only hosts of this provider.', choices: PROVIDERS },
    status: {
      type: 'string',
      description: 'list: only sessions with this status.',
      choices: SESSION_STATUSES,
    },
  },
  details: [
    'Verbs:',
    '  pin <id> --stack <name> [--label x] [--note y] [--created t]   pin a new session to a stack that is not destroyed',
    '  unpin <id>                                                     remove the pin',
    '  move <id> --to <stack>                                         re-pin to another stack (records where it came from)',
    '  list [--provider p] [--stack s] [--status st]                  table (or --json) sorted by stack, then id',
    '  show <id>                                                      one session and its host',
    'Status: active (host ready), pending (host planned or applying), orphaned (host failed, interrupted,',
    'being destroyed, destroyed, or missing). These verbs change local state only: no confirmation is asked.',
  ].join('\n'),
  exitCodes: [
    'ok',
    'sops',
    'stateConflict',
    ['stateSchema', 'state invalid (e.g. a hand edit)'],
    ['usage', 'usage or bad session id'],
    ['badInput', 'refused by a rule (already pinned, stack destroyed)'],
    ['notFound', 'no such session, stack or operator'],
    ['lockHeld', 'state lock still held after 15 s'],
  ],
} as const

function verifyVerb(verb: string | undefined): SessionVerb {
  if (verb !== undefined && (SESSION_VERBS as readonly string[]).includes(verb)) return verb as SessionVerb
  const suggestion = verb === undefined ? undefined : closest(verb, SESSION_VERBS)
  throw new UsageError(
    `Give a verb: ${SESSION_VERBS.join(', ')}${verb ? ` (got "${verb}")` : ''}.`,
    suggestion ? `Did you mean \`${suggestion}\`? Run with --help to see every verb.` : undefined,
  )
}

await runMain(spec, async ({ flags, positionals, out }) => {
  const verb = verifyVerb(positionals[0])
  const { resolveOperator } = await import('../lib/state/operator.ts')
  const { openOperatorStore } = await import('../lib/gate/unlock.ts')
  const { runSessionVerb } = await import('../lib/sessions/commands.ts')
  const operator = await resolveOperator({ flag: flags.operator })
  return runSessionVerb(verb, {
    store: await openOperatorStore({ operator, command: `cloud:sessions ${verb}`, out }),
    out,
    args: positionals.slice(1),
    flags: {
      stack: flags.stack,
      to: flags.to,
      label: flags.label,
      note: flags.note,
      created: flags.created,
      provider: flags.provider as ProviderName | undefined,
      status: flags.status as SessionStatus | undefined,
      json: flags.json,
    },
    now: () => new Date(),
  })
})
