/**
 * Is there an operator identity on this workstation: the operator's profile under the state directory,
 * and an age identity (where sops looks for one) whose recipient is one of the profile's recipients.
 */
import { recipientOf } from '../sops/age.ts'
import { findAgeIdentities } from '../sops/index.ts'
import { readProfile, stateRecipients } from '../state/operator.ts'
import { OPERATOR_NAME, operatorPaths } from '../state/paths.ts'
import type { GateReason } from './errors.ts'

function noIdentity(text: string, signal: string): GateReason {
  return { code: 'no-identity', text, signals: [signal] }
}

/** The identity reason, if any, for `operator` in `env`. */
export async function detectIdentityReason(
  operator: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<GateReason | undefined> {
  if (operator === undefined || operator === '') {
    return noIdentity(
      'No operator is set up on this workstation, so nobody can be held to the action.',
      'operator',
    )
  }
  if (!OPERATOR_NAME.test(operator)) {
    return noIdentity(`"${operator}" is not a valid operator name.`, 'operator')
  }
  try {
    const recipients = stateRecipients(await readProfile(operatorPaths(operator, env)))
    const found = await findAgeIdentities(env)
    if (found.identities.length === 0) {
      return noIdentity(
        `No age identity for operator "${operator}" was found on this workstation (looked at: ${found.searched.join('; ')}).`,
        'age identity',
      )
    }
    const owned = await Promise.all(
      found.identities.map(async (id) => recipients.includes(await recipientOf(id))),
    )
    if (!owned.includes(true)) {
      return noIdentity(
        `None of the ${found.identities.length} age identities on this workstation belongs to operator "${operator}" (its profile lists ${recipients.join(', ')}).`,
        'age identity',
      )
    }
  } catch (error) {
    // A missing or invalid profile, or an unreadable or unsafe key file: refuse, and say which.
    const why = error instanceof Error ? error.message : String(error)
    return noIdentity(
      `The identity of operator "${operator}" could not be checked: ${why}`,
      'profile or age identity',
    )
  }
  return undefined
}
