/**
 * The single entry wrapper every script uses: parse flags, answer --help, run the command, and turn any
 * error into `Error: …` plus a hint and an exit code (a stack only with --verbose), every part of it through
 * the process redactor, so no error path prints a registered secret.
 */
import { CliError, ExitCode } from '../errors.ts'
import { processRedactor } from '../terraform/redact.ts'
import { type CommandSpec, type FlagSpec, formatHelp, type ParsedArgs, parseArgs } from './args.ts'
import { endAfterHangup } from './hangup.ts'
import { Output } from './output.ts'

export interface CommandContext<F extends Record<string, FlagSpec>> extends ParsedArgs<F> {
  out: Output
}

export type CommandHandler<F extends Record<string, FlagSpec>> = (
  ctx: CommandContext<F>,
) => Promise<number | undefined> | number | undefined

/** Report an error the way every command does (message, hint and stack redacted); returns the exit code. */
export function reportError(error: unknown, out: Output): number {
  const known = error instanceof CliError
  const exitCode = known ? error.exitCode : ExitCode.failure
  const message = processRedactor.redact(error instanceof Error ? error.message : String(error))
  const hint = known && error.hint ? processRedactor.redact(error.hint) : undefined
  if (out.json) {
    out.emitJson({ ok: false, error: { name: known ? error.name : 'Error', message, hint, exitCode } })
  } else {
    out.info(`${out.color.red('Error:')} ${message}`)
    if (hint) out.info(hint)
    if (out.verbose && error instanceof Error && error.stack)
      out.info(out.color.dim(processRedactor.redact(error.stack)))
    else if (!known) out.info('Run again with --verbose for details.')
  }
  return exitCode
}

/**
 * Run a command: the whole life of a script process. Sets process.exitCode, never calls process.exit; a
 * process whose terminal closed during the run ends by SIGHUP once the command cleaned up (hangup.ts).
 */
export async function runMain<F extends Record<string, FlagSpec>>(
  spec: CommandSpec<F>,
  handler: CommandHandler<F>,
  argv: readonly string[] = process.argv.slice(2),
): Promise<void> {
  // Only our own flags count: after `--` they belong to a command we run (connect --exec -- tool --json).
  const end = argv.indexOf('--')
  const own = end === -1 ? argv : argv.slice(0, end)
  const out = new Output({ json: own.includes('--json'), verbose: own.includes('--verbose') })
  try {
    const parsed = parseArgs(spec, argv)
    if (parsed.flags.help) {
      process.stdout.write(formatHelp(spec))
      return
    }
    const code = await handler({ ...parsed, out })
    process.exitCode = code ?? ExitCode.ok
  } catch (error) {
    process.exitCode = reportError(error, out)
  } finally {
    endAfterHangup()
  }
}
