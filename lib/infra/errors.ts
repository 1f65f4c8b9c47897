/** Named errors of the infrastructure inputs and checks. */
import { CliError, ExitCode } from '../errors.ts'

/** A stack or cloud-init input is invalid; `field` names it the way the caller spelled it. */
export class InfraInputError extends CliError {
  constructor(
    readonly field: string,
    problem: string,
    hint: string,
  ) {
    super(`Invalid ${field}: ${problem}`, { hint, exitCode: ExitCode.badInput })
  }
}
