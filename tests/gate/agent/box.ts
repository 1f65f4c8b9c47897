/**
 * A throw-away workstation for the unlock-agent tests: a HOME whose sops keys file is the operator's
 * identity sealed with a passphrase (the identity itself only ever in this process's memory), a file
 * encrypted to it, and shells in real ptys that run the client fixture. Agents it saw start are ended
 * by pid when the box is cleaned up.
 */
import { randomBytes } from 'node:crypto'
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { armor, Encrypter } from 'age-encryption'
import { generateAgeIdentity } from '../../../lib/sops/age.ts'
import { sealKeysFile } from '../../../lib/sops/sealed-keys.ts'
import { toolCacheRoot } from '../../../lib/tools/paths.ts'
import { buildCleanEnv, type PtySession, spawnPty, TSX } from '../../helpers/pty.ts'

export const CLI = join(import.meta.dirname, 'fixtures', 'agent-cli.ts')
export const RAW = join(import.meta.dirname, 'fixtures', 'raw-client.ts')
export const OPERATOR = 'alice'

export interface ReadyAgent {
  pid: number
  socket: string
  recipients: string[]
  expiresAt: string
  memoryLocked: boolean
  startMs: number
}

interface Sealed {
  identity: string
  recipient: string
  passphrase: string
  text: string
}

/** One sealed identity per test file: sealing at age's work factor costs seconds. */
let sealed: Promise<Sealed> | undefined

async function makeSealed(): Promise<Sealed> {
  const { identity, recipient } = await generateAgeIdentity()
  const passphrase = `pass-${randomBytes(12).toString('base64url')}`
  return { identity, recipient, passphrase, text: await sealKeysFile([identity], passphrase) }
}

export class AgentBox {
  readonly startedAt = Date.now()
  readonly dir = mkdtempSync(join(tmpdir(), 'agent-test-'))
  readonly home = join(this.dir, 'home')
  readonly secrets = join(this.dir, 'secrets')
  readonly keysFile = join(this.home, '.config', 'sops', 'age', 'keys.txt')
  readonly secretFile = join(this.dir, 'secret.age')
  passphrase = ''
  readonly message = `the unlocked secret ${randomBytes(6).toString('hex')}`
  identity = ''
  recipient = ''
  private readonly pids = new Set<number>()
  private readonly sessions: PtySession[] = []

  /** Make the sealed keys file and the encrypted file. */
  async setUp(): Promise<this> {
    mkdirSync(join(this.keysFile, '..'), { recursive: true, mode: 0o700 })
    mkdirSync(this.secrets, { mode: 0o700 })
    sealed ??= makeSealed()
    const { identity, recipient, passphrase, text } = await sealed
    this.identity = identity
    this.recipient = recipient
    this.passphrase = passphrase
    writeFileSync(this.keysFile, text, { mode: 0o600 })
    const encrypter = new Encrypter()
    encrypter.addRecipient(recipient)
    writeFileSync(this.secretFile, armor.encode(await encrypter.encrypt(this.message)))
    return this
  }

  env(extra: Record<string, string> = {}): Record<string, string> {
    return buildCleanEnv(this.home, {
      // The real tool cache (the agent binary), which would otherwise move with HOME.
      XDG_CACHE_HOME: resolve(toolCacheRoot(), '..', '..'),
      DEBUG_CLOUD_SECRETS_DIR: this.secrets,
      TSX,
      CLI,
      RAW,
      KEYS: this.keysFile,
      SECRET: this.secretFile,
      ...extra,
    })
  }

  /** A bash in a new pty (its own session, the pty its controlling terminal) running `script`. */
  shell(script: string, extra: Record<string, string> = {}, argv: readonly string[] = []): PtySession {
    const session = spawnPty([...argv, '/bin/bash', '--noprofile', '--norc', '-c', script], {
      env: this.env(extra),
    })
    this.sessions.push(session)
    return session
  }

  /** Answer the passphrase prompt of a `start` in `session` and return the agent it reports. */
  async answerStart(session: PtySession, passphrase = this.passphrase): Promise<ReadyAgent> {
    await session.expect('Passphrase for')
    session.type(`${passphrase}\r`)
    const match = await session.expect(/AGENT_READY (\{.*\})/)
    const agent = JSON.parse(match[1] ?? '') as ReadyAgent
    this.pids.add(agent.pid)
    return agent
  }

  /** Files written since the box was made (under HOME, the secrets dir and /tmp) that contain `needle`. */
  filesContaining(needle: string, roots: readonly string[] = [this.home, this.secrets, '/tmp']): string[] {
    const found: string[] = []
    const since = this.startedAt - 2_000
    const walk = (dir: string) => {
      let entries: string[]
      try {
        entries = readdirSync(dir)
      } catch {
        return
      }
      for (const entry of entries) {
        const path = join(dir, entry)
        let st: ReturnType<typeof lstatSync>
        try {
          st = lstatSync(path)
        } catch {
          continue
        }
        if (st.isDirectory()) walk(path)
        else if (st.isFile() && st.ctimeMs >= since && st.size < 64 * 1024 * 1024) {
          try {
            if (readFileSync(path).includes(needle)) found.push(path)
          } catch {
            /* vanished or unreadable meanwhile */
          }
        }
      }
    }
    for (const root of roots) walk(root)
    return found
  }

  /** Whether the process `pid` still exists (a zombie counts as gone). */
  /** True when `pid` runs an agent on this box's keys file. */
  private isOwnAgent(pid: number): boolean {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(`--keys-file=${this.keysFile}`)
    } catch {
      return false
    }
  }

  static alive(pid: number): boolean {
    try {
      return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ')
    } catch {
      return false
    }
  }

  /** Wait (up to `ms`) until `pid` is gone; true when it is. */
  static async gone(pid: number, ms = 15_000): Promise<boolean> {
    const deadline = Date.now() + ms
    while (AgentBox.alive(pid)) {
      if (Date.now() > deadline) return false
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    return true
  }

  cleanup(): void {
    for (const session of this.sessions) session.kill()
    // Only a process that is still this box's agent: an agent gone by now may have left its pid to a process
    // of the test file running beside this one (pid_max is 32768 here), which a SIGTERM once ended.
    for (const pid of this.pids) {
      if (AgentBox.alive(pid) && this.isOwnAgent(pid)) process.kill(pid, 'SIGTERM')
    }

    rmSync(this.dir, { recursive: true, force: true })
  }
}
