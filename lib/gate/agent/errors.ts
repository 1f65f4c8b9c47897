/** What can go wrong between the CLI and the unlock agent, each with what to do next. */
import { CliError, ExitCode } from '../../errors.ts'

/** The passphrase did not open the sealed keys file; no agent was left running. */
export class AgentWrongPassphraseError extends CliError {
  constructor(readonly keysFile: string) {
    super(`The passphrase does not open the sealed identity ${keysFile}.`, {
      hint: 'Type the passphrase you chose at `npm run operator:init` again; nothing was unlocked.',
      exitCode: ExitCode.gateNoIdentity,
    })
  }
}

/** The agent could not start (a usage, file, binding or socket problem: `code` says which). */
export class AgentStartError extends CliError {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`The unlock agent did not start: ${message}`, {
      hint:
        code === 'keys-file-unsafe' || code === 'socket-dir-unsafe'
          ? 'Fix the ownership or mode named above and unlock again.'
          : 'Unlock again from the terminal where you will run the command; `npm run doctor` checks the setup.',
      exitCode: code === 'binding-mismatch' ? ExitCode.gateNoTty : ExitCode.failure,
    })
  }
}

/** The agent refused this process: another user, another terminal session, no terminal, or a background job. */
export class AgentRefusedError extends CliError {
  constructor(readonly reason: string) {
    super(`The unlock agent refused this process: ${reason}.`, {
      hint: 'Run the command in the foreground of the terminal where you unlocked, or unlock in this one.',
      exitCode: ExitCode.gateNoUnlock,
    })
  }
}

/** The agent answered something this client does not understand, failed a request, or went away. */
export class AgentProtocolError extends CliError {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`The unlock agent failed: ${message}`, {
      hint: 'Lock with `npm run cloud:lock` and unlock again; if it persists, rebuild it with `npm run tools`.',
      exitCode: ExitCode.failure,
    })
  }
}

/** The socket directory is not private to this user: nothing in it is trusted. */
export class AgentSocketUnsafeError extends CliError {
  constructor(
    readonly dir: string,
    why: string,
  ) {
    super(`The unlock agent's socket directory ${dir} ${why}, so no agent in it is trusted.`, {
      hint: `Remove ${dir} (as its owner) and unlock again; it must be a 0700 directory of yours.`,
      exitCode: ExitCode.permission,
    })
  }
}
