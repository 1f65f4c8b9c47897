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

export type SealProblem =
  | 'damaged'
  | 'foreign'
  | 'mismatch'
  | 'recipients'
  | 'missing'
  | 'unsealed'
  | 'rolled-back'
  | 'sops-config'

const SEAL_HINTS: Record<SealProblem, string> = {
  damaged: 'Put back a good version with `npm run state -- history` and `state -- restore <n>`.',
  foreign:
    'Someone without your identity wrote it. Check it with `npm run state -- show`; if the content is yours (after a recovery or a hand edit), accept it with `npm run state -- reseal`.',
  mismatch:
    'If you edited it with the real `sops`, accept your edit with `npm run state -- reseal` (it shows what changed). Otherwise someone without your identity changed it: restore a good version (`npm run state -- history`, `restore <n>`).',
  recipients:
    'A recipient that can read every later write was added (or one removed) by hand. If that was you, accept it with `npm run state -- reseal`; otherwise put profile.yaml back.',
  unsealed:
    'A state from before sealing is accepted without a person only while a plaintext identity opens it. If this file is yours, accept it with `npm run state -- reseal` (it shows what it holds); otherwise restore a good version with `npm run state -- history` and `restore <n>`.',
  missing:
    'The file has no seal although a sealed one came before it: it was replaced. Restore a good version with `npm run state -- history` and `restore <n>`.',
  'rolled-back':
    'An older version was put back in place of a newer one. Restore the newest with `npm run state -- history` and `restore <n>`, or accept this one with `npm run state -- reseal`.',
  'sops-config':
    'A plain `sops` run in the operator directory would encrypt to a recipient you did not seal. `npm run state -- reseal` writes .sops.yaml from the sealed recipients.',
}

/** The state's seal does not prove it was written by the operator's identity (lib/state/seal.ts). */
export class StateSealError extends CliError {
  constructor(
    readonly file: string,
    readonly problem: SealProblem,
    why: string,
  ) {
    super(`${file} is refused: ${why}.`, { hint: SEAL_HINTS[problem], exitCode: ExitCode.stateSeal })
  }
}
