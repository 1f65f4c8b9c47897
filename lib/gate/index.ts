/**
 * The human gate in front of every command that creates, changes or destroys infrastructure or reveals
 * secrets. Deny by default: CI, an AI agent, no terminal, piped stdin or no operator identity each refuse,
 * and all of them are named at once. Otherwise a person types the confirm name on /dev/tty, or `--yes`
 * rides on a cloud:unlock grant for this very terminal session. Every outcome is audited.
 * There is deliberately no switch that turns any of this off, for tests either.
 */
import type { Output } from '../cli/output.ts'
import { appendAudit, buildAuditEntry } from './audit.ts'
import { GateDeniedError, type GateReason, sortReasons } from './errors.ts'
import { checkGrant } from './grant.ts'
import { detectIdentityReason } from './identity.ts'
import { buildPromptLines, confirmOnTerminal } from './prompt.ts'
import { detectAgentReason, detectCiReason } from './signals.ts'
import { buildTerminalReason, readTerminalBinding, readTerminalState } from './terminal.ts'

export { type AuditEntry, appendAudit, buildAuditEntry } from './audit.ts'
export { GateDeniedError, type GateReason } from './errors.ts'

export interface GateRequest {
  /** e.g. 'cloud:up', 'cloud:destroy', 'state show --reveal' */
  command: string
  operator: string | undefined
  /** What will happen: plan adds/changes/destroys, provider, size, location… */
  summary: string[]
  /** What the person must type: the stack name (for reveal and unlock, the operator name). */
  confirmName: string
  /** --yes was given. */
  yes: boolean
  out: Output
}

/** Every reason that refuses `req` before anyone is asked (empty when a person may be asked). */
export async function collectDenials(req: Pick<GateRequest, 'operator' | 'yes'>): Promise<GateReason[]> {
  const reasons = [
    detectCiReason(),
    await detectAgentReason(),
    buildTerminalReason(readTerminalState()),
    await detectIdentityReason(req.operator),
  ]
  if (req.yes && req.operator !== undefined) reasons.push(checkGrant(req.operator, readTerminalBinding()))
  return sortReasons(reasons.filter((r): r is GateReason => r !== undefined))
}

type GateCheck = Omit<GateRequest, 'summary' | 'out'>

async function deny(req: GateCheck, reasons: GateReason[]): Promise<never> {
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
 * Preflight for slow commands: refuse now (audited, GateDeniedError) when nobody could approve later, so
 * no planning happens first. Asks nothing; requireHuman runs the same checks again when it asks. Returns the
 * operator, who exists from here on (no operator is a denial).
 */
export async function verifyMayAsk(req: GateCheck): Promise<string> {
  const denials = await collectDenials(req)
  if (denials.length > 0 || req.operator === undefined) return deny(req, denials)
  return req.operator
}

/**
 * Return only when a person approved `req` on this terminal; otherwise audit the denial and throw
 * GateDeniedError naming every reason (exit code of the first).
 */
export async function requireHuman(req: GateRequest): Promise<void> {
  await verifyMayAsk(req)
  const prompt = { ...req, color: req.out.color }
  let via: 'typed' | 'grant' = 'grant'
  if (req.yes) {
    for (const line of buildPromptLines(prompt)) req.out.info(line)
  } else {
    const answer = await confirmOnTerminal(prompt)
    if (answer !== undefined) return deny(req, [answer])
    via = 'typed'
  }
  await appendAudit(
    buildAuditEntry({
      operator: req.operator ?? null,
      command: req.command,
      target: req.confirmName,
      outcome: 'approved',
      via,
    }),
  )
  req.out.success(`Approved ${via === 'grant' ? 'by your cloud:unlock grant on this terminal' : 'by you'}.`)
}
