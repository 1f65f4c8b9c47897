/**
 * The client of the unlock agent: one connection, JSON-lines requests answered in order (the protocol is
 * documented in protocol.go and docs/spec.md). The identity never leaves the agent: `unwrapFileKey` hands
 * it an age header's stanzas and gets the file key back, which is all age-encryption needs of an identity.
 */
import { createConnection, type Socket } from 'node:net'
import { dirname } from 'node:path'
import type { Identity, Stanza } from 'age-encryption'
import type { TerminalBinding } from '../terminal.ts'
import { AgentProtocolError, AgentRefusedError } from './errors.ts'
import { agentSocketPath, verifySocketDir } from './paths.ts'

export const AGENT_PROTOCOL = 1
const REQUEST_TIMEOUT_MS = 10_000

/** What `status` reports. */
export interface AgentStatus {
  protocol: number
  operator: string
  /** The age recipients of the identities the agent holds. */
  recipients: string[]
  expiresAt: string
  /** Set by an explicit `cloud:unlock`: `--yes` may skip the typed confirmation. */
  allowYes: boolean
  /** Whether the agent's memory is locked out of swap (mlockall; root or a high RLIMIT_MEMLOCK). */
  memoryLocked: boolean
  pid: number
}

type Reply = { ok: true } & Record<string, unknown>

interface Failure {
  ok: false
  error: { code: string; message: string }
}

/** A connection to the agent of this terminal session. Close it when done: it keeps the process alive. */
export class AgentClient {
  private readonly lines: string[] = []
  private readonly waiters: ((line: string | undefined) => void)[] = []
  private buffer = ''
  private ended = false
  private queue: Promise<unknown> = Promise.resolve()

  private constructor(
    private readonly socket: Socket,
    readonly path: string,
  ) {
    socket.setEncoding('utf8')
    // An idle connection must not keep the command running; a pending request's timer does while it waits.
    socket.unref()
    socket.on('data', (chunk: string) => {
      this.buffer += chunk
      for (let end = this.buffer.indexOf('\n'); end >= 0; end = this.buffer.indexOf('\n')) {
        this.deliver(this.buffer.slice(0, end))
        this.buffer = this.buffer.slice(end + 1)
      }
    })
    const end = () => {
      this.ended = true
      for (const wake of this.waiters.splice(0)) wake(undefined)
    }
    socket.on('close', end)
    socket.on('error', end)
  }

  /** Connect to the socket at `path`; rejects with the connect error (ENOENT, ECONNREFUSED, …). */
  static open(path: string): Promise<AgentClient> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(path)
      socket.once('connect', () => {
        socket.removeListener('error', reject)
        resolve(new AgentClient(socket, path))
      })
      socket.once('error', reject)
    })
  }

  private deliver(line: string): void {
    const wake = this.waiters.shift()
    if (wake) wake(line)
    else this.lines.push(line)
  }

  private nextLine(): Promise<string | undefined> {
    const line = this.lines.shift()
    if (line !== undefined || this.ended) return Promise.resolve(line)
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(wake), 1)
        resolve(undefined)
      }, REQUEST_TIMEOUT_MS)
      const wake = (next: string | undefined) => {
        clearTimeout(timer)
        resolve(next)
      }
      this.waiters.push(wake)
    })
  }

  private async exchange(request: Record<string, unknown>): Promise<Reply> {
    if (!this.ended) this.socket.write(`${JSON.stringify(request)}\n`)
    const line = await this.nextLine()
    if (line === undefined) {
      // A late reply would answer the next request: this connection is done.
      this.close()
      throw new AgentProtocolError('gone', 'the agent closed the connection or did not answer in time')
    }
    let reply: Reply | Failure
    try {
      reply = JSON.parse(line) as Reply | Failure
    } catch {
      throw new AgentProtocolError('bad-reply', 'the agent answered something that is not JSON')
    }
    if (reply.ok) return reply
    if (reply.error.code === 'refused') throw new AgentRefusedError(reply.error.message)
    throw new AgentProtocolError(reply.error.code, reply.error.message)
  }

  /** One request at a time: replies come back in order, so requests are queued. */
  private request(request: Record<string, unknown>): Promise<Reply> {
    const next = this.queue.then(() => this.exchange(request))
    this.queue = next.catch(() => undefined)
    return next
  }

  /** Who is unlocked, until when, and whether --yes is allowed. */
  async status(): Promise<AgentStatus> {
    const reply = await this.request({ op: 'status' })
    if (reply.protocol !== AGENT_PROTOCOL)
      throw new AgentProtocolError('protocol', `the agent speaks protocol ${String(reply.protocol)}`)
    return reply as unknown as AgentStatus
  }

  /** The file key of an age header's stanzas, or null when none is for an identity of the agent. */
  async unwrapFileKey(stanzas: readonly Stanza[]): Promise<Uint8Array | null> {
    const wire = stanzas.map((s) => ({ args: s.args, body: Buffer.from(s.body).toString('base64') }))
    const reply = await this.request({ op: 'unwrap', stanzas: wire })
    return typeof reply.fileKey === 'string' ? new Uint8Array(Buffer.from(reply.fileKey, 'base64')) : null
  }

  /**
   * HMAC-SHA256 of `data` under the seal key of the identity of `recipient` (seal-key.ts). The recipient is
   * named because a keys file may hold several identities (a rotation keeps the old one for a while).
   */
  async mac(recipient: string, data: Uint8Array): Promise<Uint8Array> {
    const reply = await this.request({ op: 'mac', recipient, data: Buffer.from(data).toString('base64') })
    if (typeof reply.mac !== 'string') throw new AgentProtocolError('bad-reply', 'the agent sent no MAC')
    return new Uint8Array(Buffer.from(reply.mac, 'base64'))
  }

  /** End the agent at once (it wipes and exits after answering); closes this connection. */
  async lock(): Promise<void> {
    try {
      await this.request({ op: 'lock' })
    } finally {
      this.close()
    }
  }

  /** The agent as an age-encryption identity, for `Decrypter.addIdentity`. */
  asIdentity(): Identity {
    return { unwrapFileKey: (stanzas) => this.unwrapFileKey(stanzas) }
  }

  close(): void {
    this.socket.destroy()
  }
}

/**
 * The agent of this terminal session, or undefined when there is none (never started, locked, expired or
 * gone with its session). Throws AgentRefusedError when an agent is there but refuses this process, and
 * AgentSocketUnsafeError when the socket directory is not private.
 */
export async function connectAgent(binding: TerminalBinding): Promise<AgentClient | undefined> {
  const path = agentSocketPath(binding)
  if (!verifySocketDir(dirname(path), binding.uid)) return undefined
  let client: AgentClient
  try {
    client = await AgentClient.open(path)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ECONNREFUSED') return undefined
    throw error
  }
  try {
    await client.status()
  } catch (error) {
    client.close()
    throw error
  }
  return client
}
