/**
 * Named errors with exit codes. Every message says what failed and what to do next;
 * low-level causes are kept in `cause`. The top level (lib/cli/main.ts) prints `Error: <message>`,
 * the hint on its own line, and sets the exit code.
 */

/** Exit codes, documented in docs/cli.md. Keep numbers stable: scripts depend on them. */
export const ExitCode = {
  ok: 0,
  failure: 1,
  /** `cloud:plan` only: the plan has changes, like `terraform plan -detailed-exitcode`. */
  planChanges: 2,
  usage: 64,
  badInput: 65,
  notFound: 66,
  toolMissing: 69,
  io: 74,
  lockHeld: 75,
  permission: 77,
  // SOPS decoding (20-29)
  sopsFormat: 20,
  sopsNoKey: 21,
  sopsWrongKey: 22,
  sopsValueTampered: 23,
  sopsMacTampered: 24,
  sopsStructureChanged: 25,
  sopsUnsupported: 26,
  // State store (30-39)
  stateConflict: 30,
  stateSchema: 31,
  stateUnsafe: 32,
  stateSeal: 33,
  auditTampered: 34,
  // Human gate (40-49): one code per denial reason; the first applicable reason decides.
  gateCi: 41,
  gateAgent: 42,
  gateNoTty: 43,
  gatePipedStdin: 44,
  gateWrongName: 45,
  gateNoIdentity: 46,
  gateNoUnlock: 47,
  gateDeclined: 48,
  gateTimeout: 49,
  // Infrastructure (50-59)
  terraformFailed: 50,
  hostKeyMismatch: 51,
  hostNotReady: 52,
  healthCheckFailed: 53,
  imageUnavailable: 54,
  interrupted: 130,
} as const

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]
export type ExitCodeName = keyof typeof ExitCode

/** What each code means in a --help line (docs/cli.md has the long form). */
const SUMMARY: Record<ExitCodeName, string> = {
  ok: 'ok',
  failure: 'unexpected error',
  planChanges: 'the plan has changes',
  usage: 'bad flags',
  badInput: 'bad input',
  notFound: 'not found',
  toolMissing: 'a tool is missing',
  io: 'a write failed',
  lockHeld: 'lock held',
  permission: 'a key or credentials file is readable by others',
  sopsFormat: 'not a SOPS file',
  sopsNoKey: 'no age identity',
  sopsWrongKey: 'wrong age identity',
  sopsValueTampered: 'a value was tampered with',
  sopsMacTampered: 'the MAC was tampered with',
  sopsStructureChanged: 'the structure changed outside sops',
  sopsUnsupported: 'unsupported SOPS feature',
  stateConflict: 'the state changed on disk',
  stateSchema: 'the state is invalid',
  stateUnsafe: 'an unsafe state path',
  stateSeal: 'the state is not sealed by your identity',
  auditTampered: 'the audit log was altered',
  gateCi: 'CI',
  gateAgent: 'AI agent',
  gateNoTty: 'no terminal',
  gatePipedStdin: 'piped stdin',
  gateWrongName: 'wrong name typed',
  gateNoIdentity: 'no operator identity',
  gateNoUnlock: '--yes without cloud:unlock in this terminal',
  gateDeclined: 'cancelled',
  gateTimeout: 'nobody answered in time',
  terraformFailed: 'Terraform failed',
  hostKeyMismatch: 'host key mismatch',
  hostNotReady: 'host not ready in time',
  healthCheckFailed: 'health check failed',
  imageUnavailable: 'the image is not in the Docker engine and cannot be had',
  interrupted: 'interrupted',
}

/** Code ranges a --help line names at once. */
const GROUPS = { gate: ['gate', 'refused by the human gate'], sops: ['sops', 'SOPS errors'] } as const
export type ExitCodeGroup = keyof typeof GROUPS

/** One line of a command's exit codes: a code or group by name, optionally with what it means for that command. */
export type ExitCodeUse = ExitCodeName | ExitCodeGroup | readonly [ExitCodeName | ExitCodeGroup, string]

/** "Exit codes: 0 up, 41-48 refused by the human gate, …", the numbers taken from the ExitCode table. */
export function formatExitCodes(uses: readonly ExitCodeUse[]): string {
  const items = uses.map((use) => {
    const [name, text] = typeof use === 'string' ? [use, undefined] : use
    if (name in GROUPS) {
      const [prefix, groupText] = GROUPS[name as ExitCodeGroup]
      const codes = Object.entries(ExitCode)
        .filter(([n]) => n.startsWith(prefix))
        .map(([, c]) => c)
      return `${Math.min(...codes)}-${Math.max(...codes)} ${text ?? groupText}`
    }
    return `${ExitCode[name as ExitCodeName]} ${text ?? SUMMARY[name as ExitCodeName]}`
  })
  return `Exit codes: ${items.join(', ')}.`
}

export interface CliErrorOptions {
  /** What the user should do next; printed on its own line. */
  hint?: string
  exitCode?: ExitCodeValue
  cause?: unknown
}

/** Base class for every error the CLI expects and explains. */
export class CliError extends Error {
  readonly hint: string | undefined
  readonly exitCode: ExitCodeValue

  constructor(message: string, options: CliErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    this.hint = options.hint
    this.exitCode = options.exitCode ?? ExitCode.failure
  }
}

/** Bad flags or arguments. */
export class UsageError extends CliError {
  constructor(message: string, hint?: string) {
    super(message, {
      hint: hint ?? 'Run the command with --help to see its flags.',
      exitCode: ExitCode.usage,
    })
  }
}

/** A required external tool is missing or has the wrong version. */
export class ToolMissingError extends CliError {
  constructor(
    readonly tool: string,
    message: string,
    hint = 'Run `npm run tools` to build the pinned tools, or `npm run doctor` to check every prerequisite.',
  ) {
    super(message, { hint, exitCode: ExitCode.toolMissing })
  }
}

/** The credentials file (`.env`) is accessible by group or others: refused, as ssh refuses such private keys. */
export class CredentialsFileUnsafeError extends CliError {
  constructor(
    readonly path: string,
    mode: number,
  ) {
    super(
      `The credentials file ${path} is accessible by group or others (mode ${(mode & 0o777).toString(8)}).`,
      {
        hint: `Run \`chmod 600 ${path}\`; it holds your cloud accounts' tokens, readable by you only.`,
        exitCode: ExitCode.permission,
      },
    )
  }
}

/** Turn anything thrown into a message for humans, without a stack. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message
  return String(error)
}
