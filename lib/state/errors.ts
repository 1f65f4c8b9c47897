/**
 * Named errors of the state store. Each says which file, what is wrong with it, and what to do next.
 */
import { CliError, ExitCode, type ExitCodeValue } from '../errors.ts'

/** The state document does not match the schema (names every bad path), or comes from a newer version. */
export class StateSchemaError extends CliError {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
    hint = `Fix the file with \`npm run state -- edit\`, or go back with \`npm run state -- history\` and \`restore <n>\`.`,
  ) {
    const shown = problems.slice(0, 8).map((p) => `  - ${p}`)
    if (problems.length > 8) shown.push(`  - … and ${problems.length - 8} more`)
    super(`${file} is not a valid state document:\n${shown.join('\n')}`, {
      hint,
      exitCode: ExitCode.stateSchema,
    })
  }
}

/** The file changed on disk since it was read (a hand edit, another command): nothing was overwritten. */
export class StateConflictError extends CliError {
  constructor(readonly file: string) {
    super(
      `${file} changed on disk since it was read (a hand edit or another command); it was not overwritten.`,
      {
        hint: 'Run the command again: it will read the current file and apply its change on top of it.',
        exitCode: ExitCode.stateConflict,
      },
    )
  }
}

/** A path or permission that the store refuses to trust (symlink out of the tree, identity readable by others). */
export class StateUnsafeError extends CliError {
  constructor(message: string, hint: string, exitCode: ExitCodeValue = ExitCode.stateUnsafe) {
    super(message, { hint, exitCode })
  }
}

/** Reading or writing a state file failed at the file-system level (disk full, permission, I/O). */
export class StateIoError extends CliError {
  constructor(message: string, hint: string, cause: unknown) {
    super(message, { hint, exitCode: ExitCode.io, cause })
  }
}

/** The lock is held by another live process. */
export class LockHeldError extends CliError {
  constructor(
    readonly lockPath: string,
    readonly holder: string,
  ) {
    super(`${lockPath} is held by ${holder}.`, {
      hint: 'Wait for that command to finish. If it is gone for good on another host, remove the lock directory by hand.',
      exitCode: ExitCode.lockHeld,
    })
  }
}

/** No operator profile exists yet, or several do and none was chosen. */
export class OperatorNotFoundError extends CliError {
  constructor(message: string, hint: string) {
    super(message, { hint, exitCode: ExitCode.notFound })
  }
}

/** A file the store could not decrypt or verify; keeps the codec's exit code and hint, adds the path. */
export class StateReadError extends CliError {
  constructor(
    readonly file: string,
    cause: CliError,
  ) {
    super(`${file}: ${cause.message}`, { hint: cause.hint, exitCode: cause.exitCode, cause })
  }
}
