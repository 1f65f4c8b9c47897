/**
 * A real pseudo-terminal for tests (node-pty): spawn a command with an explicit, clean environment (nothing
 * from process.env: CI runs the suite with CI=true), wait for text, type answers, read the exit code and
 * the full transcript. The spawned command leads its own session with the pty as controlling terminal.
 */
import { dirname, join } from 'node:path'
import { spawn as spawnPtyProcess } from 'node-pty'

const root = join(import.meta.dirname, '..', '..')
/** The project's tsx launcher. */
export const TSX = join(root, 'node_modules', '.bin', 'tsx')
/** tsx as a loader of node itself (`node --import <this> script.ts`), found from any working directory. */
const TSX_LOADER = import.meta.resolve('tsx')

const EXIT_DRAIN_MS = 300
const ANSI = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07]*\x07|[@-Z\\-_])/g

/** Terminal output without colour and cursor escapes, CR-LF as LF. */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, '').replace(/\r\n?/g, '\n')
}

/** A minimal environment: PATH with this node first, the given HOME, a TERM, and `extra`. */
export function buildCleanEnv(home: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: `${dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`,
    HOME: home,
    TERM: 'xterm-256color',
    LANG: 'C.UTF-8',
    ...extra,
  }
}

export interface PtyOptions {
  env: Record<string, string>
  cwd?: string
  cols?: number
  rows?: number
}

export interface PtyExit {
  exitCode: number
  signal: number | undefined
}

/** One process in a pseudo-terminal. */
export class PtySession {
  readonly pid: number
  /** Resolves when the process exits. */
  readonly exited: Promise<PtyExit>
  private raw = ''
  private cursor = 0
  private readonly pty: ReturnType<typeof spawnPtyProcess>
  private readonly waiters = new Set<() => void>()
  private readonly answers: { ask: RegExp; done: RegExp; text: string; from: number; typed: boolean }[] = []

  constructor(argv: readonly string[], options: PtyOptions) {
    const [file, ...args] = argv
    if (file === undefined) throw new Error('spawnPty: empty argv')
    this.pty = spawnPtyProcess(file, args, {
      name: 'xterm-256color',
      cols: options.cols ?? 120,
      rows: options.rows ?? 40,
      cwd: options.cwd ?? root,
      env: options.env,
    })
    this.pid = this.pty.pid
    this.pty.onData((data) => {
      this.raw += data
      this.answerPrompts()
      for (const wake of this.waiters) wake()
    })
    this.exited = new Promise((resolve) => {
      this.pty.onExit(({ exitCode, signal }) => {
        resolve({ exitCode, signal: signal === 0 ? undefined : signal })
        for (const wake of this.waiters) wake()
      })
    })
  }

  /** Everything the terminal showed, escapes removed. */
  get transcript(): string {
    return stripAnsi(this.raw)
  }

  /** Wait until `pattern` appears after the previous match; returns the match. Fails with the transcript. */
  async expect(pattern: string | RegExp, timeoutMs = 60_000): Promise<RegExpExecArray> {
    const regex =
      typeof pattern === 'string' ? new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : pattern
    let exitedAt: number | undefined
    void this.exited.then(() => {
      exitedAt = Date.now()
    })
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const rest = this.transcript.slice(this.cursor)
      const match = regex.exec(rest)
      if (match) {
        this.cursor += match.index + match[0].length
        return match
      }
      // Output can trail the exit event a little; give it a moment before giving up.
      const left = Math.min(deadline, (exitedAt ?? Number.POSITIVE_INFINITY) + EXIT_DRAIN_MS) - Date.now()
      if (left <= 0) {
        const why = exitedAt === undefined ? `${timeoutMs} ms passed` : 'the process exited'
        throw new Error(`pty: ${why} before ${regex} appeared. Transcript:\n${this.transcript}`)
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.waiters.delete(wake)
          clearTimeout(timer)
          resolve()
        }
        const timer = setTimeout(wake, left)
        this.waiters.add(wake)
      })
    }
  }

  /**
   * Whenever the question `ask` appears, type `text` and Enter once, as a person answering it would; the next
   * time is after `done` (the prompt's answered line) showed. Prompts redraw their line on every keystroke.
   */
  answerWhenAsked(ask: RegExp, done: RegExp, text: string): void {
    this.answers.push({ ask, done, text, from: 0, typed: false })
    this.answerPrompts()
  }

  private answerPrompts(): void {
    const text = this.transcript
    for (const answer of this.answers) {
      const match = (answer.typed ? answer.done : answer.ask).exec(text.slice(answer.from))
      if (!match) continue
      answer.from += match.index + match[0].length
      answer.typed = !answer.typed
      if (answer.typed) this.type(`${answer.text}\r`)
    }
  }

  /** Type into the terminal as a person would (use "\r" for Enter, "\x03" for Ctrl-C). */
  type(text: string): void {
    this.pty.write(text)
  }

  /** The exit code once the process ends (fails after `timeoutMs`, killing it). */
  async exitCode(timeoutMs = 60_000): Promise<number> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.kill()
        reject(new Error(`pty: no exit within ${timeoutMs} ms. Transcript:\n${this.transcript}`))
      }, timeoutMs)
    })
    try {
      const { exitCode } = await Promise.race([this.exited, timeout])
      await new Promise((resolve) => setTimeout(resolve, EXIT_DRAIN_MS))
      return exitCode
    } finally {
      clearTimeout(timer)
    }
  }

  /** Close the terminal as a person closing its window does: the master side goes away, then SIGHUP. */
  hangUp(): void {
    // node-pty's UnixTerminal has destroy() (close the master, then SIGHUP) but its typings do not list it.
    ;(this.pty as unknown as { destroy(): void }).destroy()
  }

  kill(signal = 'SIGKILL'): void {
    try {
      this.pty.kill(signal)
    } catch {
      /* already gone */
    }
  }
}

/** Spawn `argv` in a new pseudo-terminal. */
export function spawnPty(argv: readonly string[], options: PtyOptions): PtySession {
  return new PtySession(argv, options)
}

/**
 * Spawn a TypeScript script in a new pseudo-terminal: node itself with tsx as its loader, no tsx CLI in between.
 * The CLI relays Ctrl-C to its child and kills it (exit 130) when the child does not confirm within 30 ms that
 * it handles the signal, which a loaded machine does not always manage; a person's `npm run` has no such relay.
 */
export function spawnTsxPty(script: string, args: readonly string[], options: PtyOptions): PtySession {
  return new PtySession([process.execPath, '--import', TSX_LOADER, script, ...args], options)
}
