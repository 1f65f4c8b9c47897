/**
 * `cloud:unlock`: a person, at this terminal, lets `--yes` skip the typed prompt for a few minutes, or
 * revokes that. Unlocking passes the same gate as everything else (typing the operator name).
 */
import type { Output } from '../cli/output.ts'
import { CliError, ExitCode } from '../errors.ts'
import { appendAudit, buildAuditEntry } from './audit.ts'
import { type Grant, revokeGrant, writeGrant } from './grant.ts'
import { requireHuman } from './index.ts'
import { readTerminalBinding, type TerminalBinding } from './terminal.ts'

export interface UnlockRequest {
  /** undefined when no operator resolves: the gate then refuses for lack of an identity, and audits it. */
  operator: string | undefined
  minutes: number
  out: Output
}

function requireBinding(): TerminalBinding {
  const binding = readTerminalBinding()
  if (binding === undefined) {
    throw new CliError('This process has no terminal session (controlling tty and session in /proc).', {
      hint: 'Run cloud:unlock directly in the terminal where you will run the command with --yes.',
      exitCode: ExitCode.gateNoTty,
    })
  }
  return binding
}

/** Gate, then write a grant for this terminal session; returns it. */
export async function unlockTerminal(req: UnlockRequest): Promise<Grant> {
  const where = readTerminalBinding()?.ttyPath ?? 'this terminal'
  const operator = req.operator ?? ''
  await requireHuman({
    command: 'cloud:unlock',
    operator: req.operator,
    summary: [
      `--yes will skip the typed confirmation for operator "${operator}" on ${where}`,
      `for ${req.minutes} minute${req.minutes === 1 ? '' : 's'}, in this terminal session only.`,
      'The CI, agent, terminal and identity checks still run every time.',
    ],
    confirmName: operator,
    yes: false,
    out: req.out,
  })
  // requireHuman refuses an undefined operator (no identity), so `operator` is a real name from here on.
  const grant = await writeGrant(operator, requireBinding(), req.minutes)
  await appendAudit(
    buildAuditEntry({
      operator,
      command: 'cloud:unlock',
      target: operator,
      outcome: 'unlocked',
      detail: { expiresAt: grant.expiresAt },
    }),
  )
  return grant
}

/** Remove this terminal's grant (no gate: it only takes a permission away); true when there was one. */
export async function revokeTerminal(operator: string): Promise<boolean> {
  const removed = await revokeGrant(operator, requireBinding())
  await appendAudit(
    buildAuditEntry({ operator, command: 'cloud:unlock --revoke', target: operator, outcome: 'revoked' }),
  )
  return removed
}
