/**
 * Why the human gate refused, in words a person understands. Every applicable reason is collected; the
 * exit code is the one of the first reason, in the fixed order of REASON_ORDER.
 */
import { CliError, ExitCode, type ExitCodeValue } from '../errors.ts'

export type GateReasonCode =
  | 'ci'
  | 'agent'
  | 'no-tty'
  | 'piped-stdin'
  | 'no-identity'
  | 'no-unlock'
  | 'wrong-name'
  | 'declined'
  | 'timeout'

export interface GateReason {
  code: GateReasonCode
  /** One sentence for the person at the terminal. */
  text: string
  /** Names of the variables or checks that fired (never their values). */
  signals: string[]
}

const EXIT_CODES: Record<GateReasonCode, ExitCodeValue> = {
  ci: ExitCode.gateCi,
  agent: ExitCode.gateAgent,
  'no-tty': ExitCode.gateNoTty,
  'piped-stdin': ExitCode.gatePipedStdin,
  'no-identity': ExitCode.gateNoIdentity,
  'no-unlock': ExitCode.gateNoUnlock,
  'wrong-name': ExitCode.gateWrongName,
  declined: ExitCode.gateDeclined,
  timeout: ExitCode.gateTimeout,
}

const REASON_ORDER: readonly GateReasonCode[] = Object.keys(EXIT_CODES) as GateReasonCode[]

const HINTS: Record<GateReasonCode, string> = {
  ci: 'Run this from an interactive terminal on your workstation, not from CI.',
  agent: 'A person must run this command themselves, in their own terminal, outside any AI coding agent.',
  'no-tty': 'Run it directly in a terminal, without redirecting its input or output.',
  'piped-stdin':
    'Do not pipe or redirect input into the command; the gate reads your answer from the terminal.',
  'no-identity':
    'Create your operator identity with `npm run operator:init`, and type its passphrase when asked (only you know it).',
  'no-unlock': 'Run `npm run cloud:unlock` in this terminal first, or leave out --yes and type the name.',
  'wrong-name': 'Run the command again and type the name exactly as shown.',
  declined: 'Nothing was changed. Run the command again when you are ready.',
  timeout: 'Nothing was changed. Run the command again when you are at the terminal.',
}

/** The exit code a reason stands for. */
export function exitCodeOf(code: GateReasonCode): ExitCodeValue {
  return EXIT_CODES[code]
}

/** Reasons in the fixed order that decides the exit code (CI, agent, terminal, identity, unlock, answer). */
export function sortReasons(reasons: readonly GateReason[]): GateReason[] {
  return [...reasons].sort((a, b) => REASON_ORDER.indexOf(a.code) - REASON_ORDER.indexOf(b.code))
}

/** The human gate refused; names every reason and exits with the code of the first. */
export class GateDeniedError extends CliError {
  readonly reasons: GateReason[]

  constructor(
    readonly command: string,
    reasons: readonly GateReason[],
  ) {
    const sorted = sortReasons(reasons)
    const first = sorted[0]
    if (first === undefined) throw new Error('GateDeniedError needs at least one reason')
    const lines = sorted.map((r) => `  - ${r.text}`)
    const hints = [...new Set(sorted.map((r) => HINTS[r.code]))]
    super(`The human gate refused \`${command}\`:\n${lines.join('\n')}`, {
      hint: hints.join('\n'),
      exitCode: exitCodeOf(first.code),
    })
    this.reasons = sorted
  }
}
