/**
 * `operator:init`: create or import the operator's age identity, sealed with the person's passphrase in the keys
 * file sops reads (other identities already there are kept, sealed with it), and write the profile and
 * `.sops.yaml` of a new operator. `sealIdentity` (`operator:init --seal`) seals an existing plaintext keys file.
 */
import { readFile } from 'node:fs/promises'
import { CliError, ExitCode } from '../errors.ts'
import { generateAgeIdentity, recipientOf } from '../sops/index.ts'
import {
  identityFilePath,
  type KeysFile,
  readIdentityFile,
  readKeysFile,
  writeSealedKeys,
} from './identity.ts'
import {
  DEFAULT_HISTORY_RETENTION,
  type OperatorProfile,
  openOperatorPaths,
  verifyRecipient,
  writeProfile,
} from './operator.ts'
import type { OperatorPaths } from './paths.ts'

/** Where passphrases come from: the person at the terminal (lib/gate/passphrase.ts). */
export interface Passphrases {
  /** A new passphrase the person chooses. */
  choose(): Promise<string>
  /** The identities and passphrase of an already sealed keys file. */
  open(keys: Extract<KeysFile, { kind: 'sealed' }>): Promise<{ identities: string[]; passphrase: string }>
}

export interface InitOptions {
  operator: string
  passphrases: Passphrases
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
  /** How many other identities the keys file holds, sealed with the same passphrase. */
  others: number
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
  const keys = await readKeysFile(identityFilePath(env))
  const { identities, passphrase } = await existingIdentities(keys, options.passphrases)
  await writeSealedKeys(keys.path, [...identities, identity], passphrase)
  const profile: OperatorProfile = {
    id: options.operator,
    recipients: [recipient],
    recoveryRecipients: recovery,
    historyRetention: options.historyRetention ?? DEFAULT_HISTORY_RETENTION,
  }
  await writeProfile(paths, profile)
  const others = identities.filter((i) => i !== identity).length
  return { paths, profile, identityFile: keys.path, identityAdded: !identities.includes(identity), others }
}

/** The identities already in the keys file and the passphrase to seal it with (the old one when it is sealed). */
async function existingIdentities(
  keys: KeysFile,
  passphrases: Passphrases,
): Promise<{ identities: string[]; passphrase: string }> {
  if (keys.kind === 'sealed') return passphrases.open(keys)
  return {
    identities: keys.kind === 'plaintext' ? keys.identities : [],
    passphrase: await passphrases.choose(),
  }
}

/** `operator:init --seal`: the plaintext keys file sealed with a new passphrase; returns its identities. */
export async function sealIdentity(
  passphrases: Passphrases,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ path: string; identities: string[] }> {
  const keys = await readKeysFile(identityFilePath(env))
  if (keys.kind !== 'plaintext')
    throw new CliError(
      keys.kind === 'sealed'
        ? `${keys.path} is already sealed with a passphrase; nothing was changed.`
        : `There is no keys file at ${keys.path} to seal.`,
      {
        hint:
          keys.kind === 'sealed'
            ? 'Nothing to do: sops and debug-cloud already ask for its passphrase. (`npm run state -- rotate-key` replaces the identity and keeps the passphrase.)'
            : 'Create an operator with `npm run operator:init -- --operator <name>`.',
        exitCode: ExitCode.usage,
      },
    )
  await writeSealedKeys(keys.path, keys.identities, await passphrases.choose())
  return { path: keys.path, identities: keys.identities }
}
