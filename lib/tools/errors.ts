/** Named errors of the pinned tools (ToolMissingError is in lib/errors.ts, ToolBuildError beside the installer). */
import { CliError, ExitCode } from '../errors.ts'

/** A pinned binary is not the one its stamp recorded (or was never recorded). */
export class ToolReplacedError extends CliError {
  constructor(
    readonly tool: string,
    readonly path: string,
    why: string,
  ) {
    super(`${path} (${tool}) ${why}; refusing to run it.`, {
      hint: 'If you did not replace it yourself, find out what did. Then run `npm run tools`: it builds the binary again from the pinned sources.',
      exitCode: ExitCode.toolMissing,
    })
  }
}
