/**
 * Is there an operator on this workstation the action can be held to: a valid name and a readable profile.
 * Whether the person holds the operator's identity is proved when it is opened (lib/gate/unlock.ts): by the
 * passphrase, in this terminal session.
 */
import { readProfile } from '../state/operator.ts'
import { OPERATOR_NAME, operatorPaths } from '../state/paths.ts'
import type { GateReason } from './errors.ts'

function noIdentity(text: string, signal: string): GateReason {
  return { code: 'no-identity', text, signals: [signal] }
}

/** The operator reason, if any, for `operator` in `env`. */
export async function detectOperatorReason(
  operator: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<GateReason | undefined> {
  if (operator === undefined || operator === '')
    return noIdentity(
      'No operator is set up on this workstation, so nobody can be held to the action.',
      'operator',
    )
  if (!OPERATOR_NAME.test(operator))
    return noIdentity(`"${operator}" is not a valid operator name.`, 'operator')
  try {
    await readProfile(operatorPaths(operator, env))
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error)
    return noIdentity(`The profile of operator "${operator}" could not be read: ${why}`, 'profile')
  }
  return undefined
}
