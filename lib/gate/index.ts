/**
 * The human gate in front of every command that creates, changes or destroys infrastructure or reveals
 * secrets. Deny by default: CI, an AI agent (by its variables, files or as an ancestor process), no terminal,
 * piped stdin or no operator each refuse, and all of them are named at once. Otherwise the person proves the
 * identity by its passphrase in this terminal session (lib/gate/unlock.ts) and types the confirm name on
 * /dev/tty, or `--yes` rides on an explicit `cloud:unlock` of this very session. Every outcome is audited.
 * There is deliberately no switch that turns any of this off, for tests either.
 */
import type { Output } from '../cli/output.ts'
import type { Keyring } from '../state/keyring.ts'
import { detectAncestryReason } from './ancestry.ts'
import { appendAudit, buildAuditEntry } from './audit.ts'
import { GateDeniedError, type GateReason, sortReasons } from './errors.ts'
import { detectOperatorReason } from './identity.ts'
import { buildPromptLines, confirmOnTerminal } from './prompt.ts'
import { detectAgentReason, detectCiReason } from './signals.ts'
import { buildTerminalReason, readTerminalState } from './terminal.ts'

export { type AuditEntry, appendAudit, buildAuditEntry } from './audit.ts'
export { GateDeniedError, type GateReason } from './errors.ts'

/** What the gate needs to know before anyone is asked. */
export interface GateCheck {
  /** e.g. 'cloud:up', 'cloud:destroy', 'state show --reveal' */
  command: string
  operator: string | undefined
  /** What the person must type: the stack name (for reveal and unlock, the operator name). */
  confirmName: string
  /** --yes was given. */
  yes: boolean
}

export interface GateRequest extends GateCheck {
  /** What will happen: plan adds/changes/destroys, provider, size, location… */
  summary: string[]
  out: Output
  /** The operator's identity as opened in this terminal session (lib/gate/unlock.ts openKeyring). */
  keyring: Keyring
}

/**
 * What is asked: the typed confirmation needs the command's own stdin and stdout on the terminal (its output
 * is what the person approves from); the passphrase is read from /dev/tty like sudo's or ssh's, so a command
 * whose input or output is redirected can still be unlocked.
 */
export type Question = 'confirmation' | 'passphrase'

/** Why no person can be asked here: CI, an AI agent (variables, files, ancestors), no terminal, piped stdin. */
async function collectAbsence(question: Question): Promise<(GateReason | undefined)[]> {
  const terminal = readTerminalState()
  return [
    detectCiReason(),
    await detectAgentReason(),
    detectAncestryReason(),
    buildTerminalReason(
      question === 'passphrase' ? { ...terminal, stdinTty: true, stdoutTty: true } : terminal,
    ),
  ]
}

/** Every reason that refuses before anyone is asked (empty when a person may be asked). */
export async function collectDenials(
  req: Pick<GateCheck, 'operator'>,
  question: Question = 'confirmation',
): Promise<GateReason[]> {
  const reasons = [...(await collectAbsence(question)), await detectOperatorReason(req.operator)]
  return sortReasons(reasons.filter((r): r is GateReason => r !== undefined))
}

/** Refuse (audited) unless a person may be asked a passphrase here, before an operator exists (operator:init). */
export async function verifyPersonPresent(req: GateCheck): Promise<void> {
  const reasons = (await collectAbsence('passphrase')).filter((r): r is GateReason => r !== undefined)

  if (reasons.length > 0) await refuse(req, sortReasons(reasons))
}

/** Audit the refusal of `req` and throw GateDeniedError naming every reason. */
export async function refuse(req: GateCheck, reasons: GateReason[]): Promise<never> {
  await appendAudit(
    buildAuditEntry({
      operator: req.operator ?? null,
      command: req.command,
      target: req.confirmName,
      outcome: 'denied',
      reasons: reasons.map((r) => r.code),
      signals: [...new Set(reasons.flatMap((r) => r.signals))],
    }),
  )
  throw new GateDeniedError(req.command, reasons)
}

/**
 * Preflight: refuse now (audited, GateDeniedError) when nobody could approve later, so no planning and no
 * passphrase prompt happens first. Asks nothing; requireHuman runs the same checks again when it asks.
 * Returns the operator, who exists from here on (no operator is a denial).
 */
export async function verifyMayAsk(req: GateCheck, question: Question = 'confirmation'): Promise<string> {
  const denials = await collectDenials(req, question)

  if (denials.length > 0 || req.operator === undefined) return refuse(req, denials)
  return req.operator
}

/** Why --yes may not skip the typed name: only an explicit `cloud:unlock` in this terminal session allows it. */
function unlockReason(keyring: Keyring): GateReason | undefined {
  if (keyring.kind === 'agent' && keyring.allowYes) return undefined
  return {
    code: 'no-unlock',
    text: '--yes was given, but this terminal session has no `cloud:unlock` that allows it.',
    signals: ['--yes'],
  }
}

/**
 * Return only when a person approved `req` on this terminal; otherwise audit the denial and throw
 * GateDeniedError naming every reason (exit code of the first).
 */
export async function requireHuman(req: GateRequest): Promise<void> {
  await verifyMayAsk(req)
  const prompt = { ...req, color: req.out.color }
  if (req.keyring.kind === 'plaintext')
    req.out.warn(
      'Your identity is a plaintext file: any process running as you can approve this. Seal it with `npm run operator:init -- --seal`.',
    )
  let via: 'typed' | 'unlock' = 'unlock'
  if (req.yes) {
    const reason = unlockReason(req.keyring)
    if (reason) return refuse(req, [reason])
    for (const line of buildPromptLines(prompt)) req.out.info(line)
  } else {
    const answer = await confirmOnTerminal(prompt)
    if (answer !== undefined) return refuse(req, [answer])
    via = 'typed'
  }
  await appendAudit(
    buildAuditEntry({
      operator: req.operator ?? null,
      command: req.command,
      target: req.confirmName,
      outcome: 'approved',
      via,
      detail: { identity: req.keyring.kind },
    }),
  )
  req.out.success(`Approved ${via === 'unlock' ? 'by your cloud:unlock on this terminal' : 'by you'}.`)
}
