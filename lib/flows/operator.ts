/**
 * The operator of an infrastructure command. When none can be resolved the command does not stop here:
 * the human gate then refuses with "no operator identity on this workstation" and audits it.
 */
import { CliError } from '../errors.ts'
import { resolveOperator } from '../state/operator.ts'

/** The resolved operator, or undefined when none exists or the choice is ambiguous. */
export async function resolveOperatorForGate(flag: string | undefined): Promise<string | undefined> {
  try {
    return await resolveOperator({ flag })
  } catch (error) {
    if (error instanceof CliError && flag === undefined) return undefined
    throw error
  }
}
