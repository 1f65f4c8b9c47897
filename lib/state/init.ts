/**
 * `operator:init`: create or import the operator's age identity (0600, where sops looks for it) and write the
 * profile and `.sops.yaml` of a new operator.
 */

import { readFile } from 'node:fs/promises'
import { CliError, ExitCode } from '../errors.ts'
import { generateAgeIdentity, recipientOf } from '../sops/index.ts'
import { addIdentityToKeysFile, identityFilePath, readIdentityFile } from './identity.ts'
import {
  DEFAULT_HISTORY_RETENTION,
  type OperatorProfile,
  openOperatorPaths,
  verifyRecipient,
  writeProfile,
} from './operator.ts'
import type { OperatorPaths } from './paths.ts'

export interface InitOptions {
  operator: string
  /** An age key file holding the one identity to use instead of a new one. */
  importFile?: string | undefined
  recoveryRecipients: readonly string[]
  historyRetention?: number
  env?: NodeJS.ProcessEnv
}

export interface InitResult {
  paths: OperatorPaths
  profile: OperatorProfile
  identityFile: string
  /** False when the identity was already in the keys file (an import of a key sops already knew). */
  identityAdded: boolean
}

async function verifyNewOperator(paths: OperatorPaths): Promise<void> {
  const existing = await readFile(paths.profile, 'utf8').catch(() => undefined)
  if (existing !== undefined)
    throw new CliError(`Operator profile ${paths.profile} already exists; nothing was changed.`, {
      hint: 'To replace its key, run `npm run state -- rotate-key`. To start over, move that directory away first.',
      exitCode: ExitCode.usage,
    })
}

/** Create (or import) the identity and the profile of a new operator. */
export async function initOperator(options: InitOptions): Promise<InitResult> {
  const env = options.env ?? process.env
  const recovery = options.recoveryRecipients.map((r) => verifyRecipient(r, '--recovery-recipient'))
  const paths = await openOperatorPaths(options.operator, env)
  await verifyNewOperator(paths)
  const identity = options.importFile
    ? await readIdentityFile(options.importFile)
    : (await generateAgeIdentity()).identity
  const recipient = await recipientOf(identity)
  const identityFile = identityFilePath(env)
  const identityAdded = await addIdentityToKeysFile(
    identityFile,
    identity,
    recipient,
    `debug-cloud operator ${options.operator}`,
  )
  const profile: OperatorProfile = {
    id: options.operator,
    recipients: [recipient],
    recoveryRecipients: recovery,
    historyRetention: options.historyRetention ?? DEFAULT_HISTORY_RETENTION,
  }
  await writeProfile(paths, profile)
  return { paths, profile, identityFile, identityAdded }
}
