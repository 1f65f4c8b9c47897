/**
 * Opening the operator's identity for one command, and the unlock that keeps it open for a few minutes.
 *
 * A sealed identity (a keys file encrypted with the person's passphrase, the `age -p` format sops reads) opens
 * only inside the unlock agent of this terminal session (lib/gate/agent): the passphrase, typed hidden on the
 * terminal, goes to a fresh agent, which keeps the identity in its own memory until it expires, the session
 * ends or `cloud:lock`. Later commands in the same session use it without the passphrase; another terminal
 * session, or a process without a terminal, gets nothing from it. Where the agent is not built the passphrase
 * opens the identity in the command itself, for that command only. A plaintext identity from before sealing
 * still works, with a warning every time.

 */
import { readFile } from 'node:fs/promises'
import type { Output } from '../cli/output.ts'

import { CliError, ExitCode } from '../errors.ts'
import { findAgeIdentities } from '../sops/index.ts'
import type { Keyring } from '../state/keyring.ts'
import { openOperatorPaths, readProfile } from '../state/operator.ts'
import { StateStore } from '../state/store.ts'
import { isAgentBuilt } from '../tools/agent.ts'
import { type AgentClient, connectAgent } from './agent/client.ts'
import { AgentRefusedError, AgentWrongPassphraseError } from './agent/errors.ts'
import { startAgent } from './agent/start.ts'
import { appendAudit, buildAuditEntry } from './audit.ts'
import type { GateReason } from './errors.ts'
import { type GateCheck, refuse, verifyMayAsk } from './index.ts'
import { agentKeyring, plaintextKeyring, verifyAgentHolds } from './keyring.ts'
import { openSealedKeysOnTerminal } from './passphrase.ts'
import { askHidden } from './prompt.ts'
import { readTerminalBinding, type TerminalBinding } from './terminal.ts'
import { UNLOCK_DEFAULT_MINUTES } from './unlock-minutes.ts'

export { UNLOCK_DEFAULT_MINUTES, UNLOCK_MAX_MINUTES, verifyUnlockMinutes } from './unlock-minutes.ts'

const PASSPHRASE_ATTEMPTS = 3

export interface OpenKeyringRequest {
  command: string
  operator: string
  /** What the person will be asked to type for this command (audited with a refusal); default the operator. */
  confirmName?: string

  /** The operator's own recipients (its profile): the identity must hold one of them. */
  recipients: readonly string[]
  out: Output
  env?: NodeJS.ProcessEnv
}

/** The agent of this session holding an identity of the operator, proved to hold it; else undefined. */
async function useSessionAgent(
  binding: TerminalBinding,
  req: OpenKeyringRequest,
): Promise<Keyring | undefined> {
  const client = await connectAgent(binding)
  if (!client) return undefined
  const status = await client.status()
  const recipient = status.recipients.find((r) => req.recipients.includes(r))
  if (status.operator !== req.operator || recipient === undefined) {
    client.close()
    return undefined
  }
  await verifyAgentHolds(client, recipient)
  return agentKeyring(client, status, [
    `the unlock agent of this terminal session (until ${status.expiresAt})`,
  ])
}

/** The gate check a refusal of `req` is audited as. */
function checkOf(req: OpenKeyringRequest): GateCheck {
  return {
    command: req.command,
    operator: req.operator,
    confirmName: req.confirmName ?? req.operator,
    yes: false,
  }
}

/** The session's agent refused this process (a background job, another session): a denial, audited as one. */
async function refuseByAgent(req: OpenKeyringRequest, error: unknown): Promise<never> {
  if (!(error instanceof AgentRefusedError)) throw error
  return refuse(checkOf(req), [{ code: 'no-unlock', text: error.message, signals: ['unlock agent'] }])
}

/**
 * The operator's identity for this command: the session's unlock agent, else a plaintext identity of the
 * operator (warned about), else the sealed keys file opened with the passphrase (asked on the terminal, only
 * where the gate lets a person be asked). Throws a gate denial when none of them works.
 */
export async function openKeyring(req: OpenKeyringRequest): Promise<Keyring> {
  const binding = readTerminalBinding()
  const fromAgent =
    binding && (await useSessionAgent(binding, req).catch((error) => refuseByAgent(req, error)))
  if (fromAgent) return fromAgent
  const found = await findAgeIdentities(req.env)
  const plain = await plaintextKeyring(found)
  if (plain.recipients.some((r) => req.recipients.includes(r))) {
    req.out.warn(
      `The identity of operator ${req.operator} is a plaintext file: any process running as you can read it and act as you. ` +
        'Seal it with a passphrase: `npm run operator:init -- --seal` (docs/spec.md, "Human presence").',
    )
    return plain
  }
  const [keysFile] = found.sealedFiles
  if (keysFile !== undefined)
    return unlockWithPassphrase({ ...req, keysFile, minutes: UNLOCK_DEFAULT_MINUTES, allowYes: false })
  return refuse(checkOf(req), [
    {
      code: 'no-identity',
      text: `No identity of operator "${req.operator}" was found on this workstation (looked at: ${found.searched.join('; ')}).`,
      signals: ['age identity'],
    },
  ])
}

export interface UnlockRequest extends OpenKeyringRequest {
  keysFile: string
  minutes: number
  /** An explicit `cloud:unlock`: --yes may then skip the typed confirmation in this session. */
  allowYes: boolean
}

/**
 * Ask the passphrase (up to three times) and start this session's agent with it; the agent must then hold an
 * identity of the operator. Audited as `unlocked` (or denied).
 */
export async function unlockWithPassphrase(req: UnlockRequest): Promise<Keyring> {
  const check = checkOf(req)
  await verifyMayAsk(check, 'passphrase')
  const binding = readTerminalBinding()

  if (binding === undefined)
    return refuse(check, [
      {
        code: 'no-tty',
        text: 'This process has no terminal session (controlling tty and session in /proc) an unlock could belong to.',
        signals: ['/proc session'],
      },
    ])
  if (!req.allowYes && !isAgentBuilt(req.env)) return openForThisCommand(req, check)
  const client = await startWithPassphrase(req, binding, check)
  const status = await client.status()
  const recipient = status.recipients.find((r) => req.recipients.includes(r))
  if (recipient === undefined) {
    await client.lock()
    throw new CliError(`${req.keysFile} holds no identity of operator ${req.operator}.`, {
      hint: `Its identities are for ${status.recipients.join(', ')}; the profile lists ${req.recipients.join(', ')}.`,
      exitCode: ExitCode.gateNoIdentity,
    })
  }
  await appendAudit(
    buildAuditEntry({
      operator: req.operator,
      command: req.command,
      target: req.operator,
      outcome: 'unlocked',
      detail: { expiresAt: status.expiresAt, allowYes: String(status.allowYes) },
    }),
  )
  return agentKeyring(client, status, [`${req.keysFile} (sealed, unlocked in this terminal session)`])
}

/**
 * Without a built agent nothing can keep the unlock, so the passphrase opens the keys file in this process,
 * for this one command (`cloud:unlock` still needs the agent).
 */
async function openForThisCommand(req: UnlockRequest, check: GateCheck): Promise<Keyring> {
  req.out.warn(
    'The unlock agent is not built, so your passphrase opens the identity for this command only; `npm run tools` builds it.',
  )
  const bytes = new Uint8Array(await readFile(req.keysFile))
  const { identities } = await openSealedKeysOnTerminal(check, bytes, req.keysFile, req.out)
  return plaintextKeyring({ identities, sealedFiles: [req.keysFile], searched: [req.keysFile] }, 'passphrase')
}

async function startWithPassphrase(
  req: UnlockRequest,
  binding: TerminalBinding,
  check: GateCheck,
): Promise<AgentClient> {
  for (let attempt = 1; ; attempt++) {
    const asked = await askHidden('passphrase', `Passphrase of your identity (${req.keysFile}):`)
    if ('reason' in asked) return refuse(check, [asked.reason])
    try {
      await startAgent({
        keysFile: req.keysFile,
        operator: req.operator,
        binding,
        ttlMs: req.minutes * 60_000,
        allowYes: req.allowYes,
        passphrase: asked.answer,
        ...(req.env ? { env: req.env } : {}),
      })
      break
    } catch (error) {
      if (!(error instanceof AgentWrongPassphraseError)) throw error
      if (attempt === PASSPHRASE_ATTEMPTS) return refuse(check, [wrongPassphrase(attempt)])
      req.out.warn('That passphrase does not open it; try again.')
    }
  }
  const client = await connectAgent(binding)
  if (!client)
    throw new CliError('The unlock agent started but does not answer.', { hint: 'Run the command again.' })
  return client
}

function wrongPassphrase(attempts: number): GateReason {
  return {
    code: 'no-identity',
    text: `The passphrase did not open the sealed identity (${attempts} attempts).`,
    signals: ['passphrase'],
  }
}

/**
 * `cloud:unlock`: always asks the passphrase anew (an unlock is extended only by a new passphrase entry) and
 * starts this session's agent for `minutes`, with --yes allowed. Says first what it covers.
 */
export async function unlockSession(req: {
  operator: string | undefined
  minutes: number
  out: Output
}): Promise<{ operator: string; expiresAt: string; recipients: readonly string[] }> {
  const command = 'cloud:unlock'
  const operator = await verifyMayAsk({
    command,
    operator: req.operator,
    confirmName: req.operator ?? '',
    yes: false,
  })
  const profile = await readProfile(await openOperatorPaths(operator))
  const found = await findAgeIdentities()
  const [keysFile] = found.sealedFiles
  if (keysFile === undefined)
    return refuse({ command, operator, confirmName: operator, yes: false }, [
      {
        code: 'no-identity',
        text: `cloud:unlock needs a sealed identity; none was found (looked at: ${found.searched.join('; ')}).`,
        signals: ['sealed identity'],
      },
    ])
  const tty = readTerminalBinding()?.ttyPath ?? 'this terminal'
  for (const line of [
    `cloud:unlock keeps the identity of operator "${operator}" open on ${tty} for ${req.minutes} minute(s):`,
    '  commands of this terminal session need no passphrase, and --yes may skip the typed confirmation;',
    '  other terminals, other sessions and processes without a terminal get nothing. End it with `npm run cloud:lock`.',
  ])
    req.out.info(line)
  const keyring = await unlockWithPassphrase({
    command,
    operator,
    recipients: profile.recipients,
    out: req.out,
    keysFile,
    minutes: req.minutes,
    allowYes: true,
  })
  keyring.close()
  return { operator, expiresAt: keyring.expiresAt ?? '', recipients: keyring.recipients }
}

/** `cloud:lock`: end this session's unlock at once; false when there was none. */
export async function lockSession(operator: string, command = 'cloud:lock'): Promise<boolean> {
  const binding = readTerminalBinding()
  const client = binding && (await connectAgent(binding))
  if (!client) return false
  await client.lock()
  await appendAudit(buildAuditEntry({ operator, command, target: operator, outcome: 'locked' }))
  return true
}

/**
 * The store of `operator` for `command`: its paths checked, its profile read, and its identity opened
 * (openKeyring: the session's unlock, a plaintext identity, or the passphrase).
 */
export async function openOperatorStore(req: {
  operator: string
  command: string
  out: Output
  /** What the person will type to approve this command (audited with a refusal); default the operator. */
  confirmName?: string
  env?: NodeJS.ProcessEnv
}): Promise<StateStore> {
  const paths = await openOperatorPaths(req.operator, req.env)
  const profile = await readProfile(paths)
  const keyring = await openKeyring({ ...req, recipients: profile.recipients })
  return StateStore.open(req.operator, paths, profile, keyring, req.command)
}
