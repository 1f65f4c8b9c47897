/**
 * Named errors of the session inventory. Each says which session or stack, what rule it broke, and what to
 * do next.
 */
import { CliError, ExitCode } from '../errors.ts'

/** A session id that is not in the inventory. */
export class SessionNotFoundError extends CliError {
  constructor(
    readonly id: string,
    suggestion: string | undefined,
  ) {
    super(`No session "${id}" is pinned.`, {
      hint: suggestion
        ? `Did you mean "${suggestion}"? \`npm run cloud:sessions -- list\` shows every pinned session.`
        : '`npm run cloud:sessions -- list` shows every pinned session.',
      exitCode: ExitCode.notFound,
    })
  }
}

/** A change the inventory rules refuse (already pinned, a host that is gone, a move onto the same host). */
export class SessionRuleError extends CliError {
  constructor(message: string, hint: string) {
    super(message, { hint, exitCode: ExitCode.badInput })
  }
}
