/**
 * A recording double of lib/proc.ts's `Proc` for exact argv/env assertions. It stands in for the
 * Terraform binary: each started child replays scripted stdout lines and exits with a scripted code.
 */
import type { Child, Env, Proc, RunOptions, RunResult } from '../../lib/proc.ts'

export interface Script {
  stdout: string[]
  stderr?: string[]
  exitCode?: number | null
  signal?: string | null
  /** Lines emitted after the first SIGINT the child receives (the child then ends). */
  afterSigint?: string[]
  /** When set, the child waits (does not end) until it gets SIGINT. */
  waitForSigint?: boolean
}

export interface Call {
  argv: readonly string[]
  env: Env
  cwd: string | undefined
}

export class FakeProc implements Proc {
  readonly calls: Call[] = []
  readonly kills: string[] = []

  constructor(private readonly scripts: Script[]) {}

  async run(argv: readonly string[], options: RunOptions): Promise<RunResult> {
    const script = this.next(argv, options)
    return {
      exitCode: script.exitCode === undefined ? 0 : script.exitCode,
      signal: script.signal ?? null,
      stdout: script.stdout.join('\n'),
      stderr: (script.stderr ?? []).join('\n'),
    }
  }

  start(argv: readonly string[], options: RunOptions): Child {
    const script = this.next(argv, options)
    let sigint: () => void = () => {}
    const interrupted = new Promise<void>((resolve) => {
      sigint = resolve
    })
    const kills = this.kills
    let resolveDone: (r: RunResult) => void = () => {}
    const done = new Promise<RunResult>((resolve) => {
      resolveDone = resolve
    })
    const stderrListeners: ((line: string) => void)[] = []
    const exitCode = script.exitCode === undefined ? 0 : script.exitCode
    async function* lines(): AsyncGenerator<string> {
      try {
        for (const line of script.stdout) yield line
        for (const line of script.stderr ?? []) for (const l of stderrListeners) l(line)
        if (script.waitForSigint === true) {
          await interrupted
          for (const line of script.afterSigint ?? []) yield line
        }
      } finally {
        // Also when the reader stops early: the double then behaves like a child that ended.
        resolveDone({ exitCode, signal: script.signal ?? null, stdout: '', stderr: '' })
      }
    }
    return {
      pid: 4242,
      lines,
      onStderr: (listener) => {
        stderrListeners.push(listener)
      },
      kill(signal) {
        kills.push(signal)
        if (signal === 'SIGINT') sigint()
      },
      done,
    }
  }

  private next(argv: readonly string[], options: RunOptions): Script {
    this.calls.push({ argv, env: options.env, cwd: options.cwd })
    const script = this.scripts.shift()
    if (script === undefined) throw new Error(`FakeProc: no script left for ${argv.join(' ')}`)
    return script
  }
}
