/**
 * `operator:init`: a new operator whose identity is sealed with a passphrase the person types twice on the
 * terminal; or, with --seal, an existing plaintext identity sealed, and the operator's state sealed with it
 * (lib/state/seal.ts) so it is bound to the identity from now on.
 */
import type { Output } from './cli/output.ts'
import { UsageError } from './errors.ts'
import { plaintextKeyring } from './gate/keyring.ts'
import { terminalPassphrases } from './gate/passphrase.ts'
import { initOperator, sealIdentity } from './state/init.ts'
import { openOperatorPaths, readProfile, resolveOperator } from './state/operator.ts'
import { StateStore } from './state/store.ts'

export interface OperatorInitFlags {
  operator: string | undefined
  import: string | undefined
  'recovery-recipient': string[]
  seal: boolean
}

/** Run operator:init; returns the exit code. */
export async function runOperatorInit(flags: OperatorInitFlags, out: Output): Promise<number> {
  if (flags.seal) return sealExisting(flags.operator, out)
  if (flags.operator === undefined) throw new UsageError('--operator is required, e.g. --operator alice.')
  const result = await initOperator({
    operator: flags.operator,
    importFile: flags.import,
    recoveryRecipients: flags['recovery-recipient'],
    passphrases: terminalPassphrases('operator:init', flags.operator, out),
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
  out.info(`  identity:  ${result.identityFile} (sealed with your passphrase, mode 0600)`)
  if (result.others > 0)
    out.info(
      `  ${result.others} other identit${result.others === 1 ? 'y' : 'ies'} in that file are sealed with it too.`,
    )
  out.info('Back up that file and remember the passphrase: without both, the state cannot be decrypted.')
  return 0
}

/** --seal: the plaintext keys file sealed, then the operator's state sealed by the same identities. */
async function sealExisting(flag: string | undefined, out: Output): Promise<number> {
  const operator = await resolveOperator({ flag })
  const sealed = await sealIdentity(terminalPassphrases('operator:init --seal', operator, out))
  const paths = await openOperatorPaths(operator)
  const profile = await readProfile(paths)
  const keyring = await plaintextKeyring({ identities: sealed.identities, sealedFiles: [], searched: [] })
  const store = StateStore.open(operator, paths, profile, keyring, 'operator:init --seal')
  const state = (await store.allFiles()).includes(paths.state) ? await store.reseal() : undefined
  if (out.json)
    out.emitJson({ ok: true, operator, identityFile: sealed.path, stateSealed: state !== undefined })
  else {
    out.success(`${sealed.path} is sealed with your passphrase; sops and debug-cloud ask for it from now on.`)
    if (state) out.info(`The state of ${operator} is sealed by your identity (${paths.state}).`)
  }
  return 0
}
