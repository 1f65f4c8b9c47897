/** The verbs of `npm run state`, apart from their implementations (commands.ts) so `--help` loads neither. */
export const STATE_VERBS = [
  'show',
  'edit',
  'history',
  'restore',
  'export',
  'verify',
  'rotate-key',
  'decrypt',
  'reseal',
] as const
export type StateVerb = (typeof STATE_VERBS)[number]
