/** The verbs of `npm run credentials`, apart from their implementation so `--help` does not load it. */
export const CREDENTIAL_VERBS = ['set', 'list', 'remove'] as const
export type CredentialVerb = (typeof CREDENTIAL_VERBS)[number]
