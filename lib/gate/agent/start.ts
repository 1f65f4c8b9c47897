/**
 * Starting the unlock agent of this terminal session: an earlier agent of the session is locked first
 * (an unlock is extended only by a new passphrase entry), then the agent binary starts detached with the
 * binding in argv and the passphrase on stdin, opens the sealed keys file itself and says whether it is
 * ready. This process keeps no handle on it afterwards.
 */
import { resolve } from 'node:path'
import { startDetached } from '../../proc.ts'
import { agentBinary } from '../../tools/agent.ts'
import type { TerminalBinding } from '../terminal.ts'
import { connectAgent } from './client.ts'
import { AgentStartError, AgentWrongPassphraseError } from './errors.ts'
import { agentSocketPath } from './paths.ts'

/** scrypt at age's work factor takes about a second; a work factor of 22 (age's maximum) about 15. */
const START_TIMEOUT_MS = 60_000

export interface StartAgentOptions {
  /** The passphrase-sealed keys file (`age -p` format). */
  keysFile: string
  operator: string
  /** The person's terminal session (readTerminalBinding() of the process that asked the passphrase). */
  binding: TerminalBinding
  ttlMs: number
  /** An explicit `cloud:unlock`: `--yes` may skip the typed confirmation while the agent lives. */
  allowYes: boolean
  /** As the person typed it; it only goes to the agent's stdin. */
  passphrase: string
  env?: NodeJS.ProcessEnv
}

export interface StartedAgent {
  pid: number
  socket: string
  recipients: string[]
  expiresAt: string
  memoryLocked: boolean
}

/** The agent's one line on stdout (main.go): ready with its facts, or the reason it is not. */
type ReadyLine =
  | {
      ready: true
      pid: number
      socket: string
      recipients: string[]
      expiresAt: string
      memoryLocked?: boolean
    }
  | { ready: false; error?: { code: string; message: string } }

/** The agent's argv: the binding and the file, nothing secret. */
export function buildAgentArgv(binary: string, options: StartAgentOptions): string[] {
  const { binding } = options
  return [
    binary,
    `--keys-file=${resolve(options.keysFile)}`,
    `--operator=${options.operator}`,
    `--socket=${agentSocketPath(binding)}`,
    `--session=${binding.sessionId}`,
    `--session-start=${binding.sessionStart}`,
    `--tty=${binding.ttyDevice}`,
    `--ttl=${Math.round(options.ttlMs)}ms`,
    ...(options.allowYes ? ['--allow-yes'] : []),
  ]
}

function parseReady(firstLine: string | undefined, stderr: string): ReadyLine {
  if (firstLine !== undefined) {
    try {
      return JSON.parse(firstLine) as ReadyLine
    } catch {
      /* reported below */
    }
  }
  const said = stderr.trim().split('\n').slice(-5).join('\n')
  throw new AgentStartError('crashed', `it exited without saying why${said ? `:\n${said}` : ''}`)
}

/** Start the agent of `options.binding`; throws AgentWrongPassphraseError or AgentStartError. */
export async function startAgent(options: StartAgentOptions): Promise<StartedAgent> {
  const binary = agentBinary(options.env)
  const previous = await connectAgent(options.binding)
  if (previous) await previous.lock()
  const started = await startDetached(buildAgentArgv(binary, options), {
    env: {},
    input: options.passphrase,
    timeoutMs: START_TIMEOUT_MS,
  })
  const ready = parseReady(started.firstLine, started.stderr)
  if (!ready.ready) {
    const code = ready.error?.code ?? 'failed'
    if (code === 'wrong-passphrase') throw new AgentWrongPassphraseError(options.keysFile)
    throw new AgentStartError(code, ready.error?.message ?? 'it gave no reason')
  }
  const { pid, socket, recipients, expiresAt } = ready
  // memoryLocked is left out of the line when false.
  return { pid, socket, recipients, expiresAt, memoryLocked: ready.memoryLocked ?? false }
}
