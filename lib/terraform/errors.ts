/**
 * Named failures of Terraform runs, carrying the (redacted) run result so the launcher can record the state
 * as `failed` or `interrupted` with its diagnostics.
 */
import { CliError, ExitCode } from '../errors.ts'
import type { DiagnosticReport } from './diagnostics.ts'
import type { TfRunResult } from './runner.ts'

function firstError(diagnostics: readonly DiagnosticReport[]): DiagnosticReport | undefined {
  return diagnostics.find((d) => d.severity === 'error') ?? diagnostics[0]
}

/** A Terraform command failed (exit 1, or killed). */
export class TerraformFailedError extends CliError {
  constructor(readonly result: TfRunResult) {
    const diagnostic = firstError(result.diagnostics)
    const how =
      result.signal !== null ? `was killed by ${result.signal}` : `failed (exit code ${result.exitCode})`
    const what =
      diagnostic === undefined
        ? (result.stderrTail.at(-1) ?? 'no diagnostics were printed')
        : `${diagnostic.summary}${diagnostic.address === undefined ? '' : ` (${diagnostic.address})`}`
    super(`\`${result.command}\` ${how}: ${what}`, {
      hint: diagnostic?.fix ?? 'Read the diagnostics above, fix the cause, then run the same command again.',
      exitCode: ExitCode.terraformFailed,
    })
  }
}

/** The run was stopped by Ctrl-C; Terraform saved what it had. */
export class TerraformInterruptedError extends CliError {
  constructor(readonly result: TfRunResult) {
    super(`\`${result.command}\` was interrupted; Terraform stopped and saved its state.`, {
      hint: 'Run the same command again to finish (it converges), or cloud:destroy to remove what was created.',
      exitCode: ExitCode.interrupted,
    })
  }
}

/** Throw the named error for a result that is not `ok`. */
export function verifyRunSucceeded(result: TfRunResult): TfRunResult {
  if (result.status === 'interrupted') throw new TerraformInterruptedError(result)
  if (result.status === 'failed') throw new TerraformFailedError(result)
  return result
}

/** The passphrase is unusable; says how to get a good one. */
export class EncryptionPassphraseError extends CliError {
  constructor(message: string) {
    super(message, {
      hint: 'The launcher mints a random passphrase per stack and keeps it in the encrypted operator state; do not set one by hand.',
      exitCode: ExitCode.badInput,
    })
  }
}

/** An output the launcher needs is missing or has the wrong type. */
export class TerraformOutputError extends CliError {
  constructor(message: string) {
    super(message, {
      hint: "The stack's outputs are the contract the launcher reads: check the stack's outputs.tf matches docs/spec.md.",
      exitCode: ExitCode.terraformFailed,
    })
  }
}

/** A programming error in the launcher's wiring, named so it is fixed where it starts. */
export class TfEnvError extends CliError {
  constructor(message: string) {
    super(message, {
      hint: 'This is a bug in the launcher wiring; report it with the command you ran.',
      exitCode: ExitCode.badInput,
    })
  }
}
