/**
 * The one module that starts child processes. Everything else receives a `Proc` so tests can hand in
 * the real one or a recording double. Children always get an explicit, minimal environment and an argv
 * array (zx quotes every item; `exec` replaces the wrapping shell so signals reach the tool itself).
 */
import type { SpawnOptions, spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import type { ProcessPromise } from 'zx'

/**
 * zx is loaded on the first child, not at start-up: it is the largest package here and most `--help` or
 * read-only commands start none. Loaded with require (zx ships CommonJS) because `start` must stay
 * synchronous; the precompiled build leaves it to node to resolve.
 */
let zx: typeof import('zx') | undefined
const loadZx = (): typeof import('zx') => {
  zx ??= createRequire(import.meta.url)('zx') as typeof import('zx')
  return zx
}

/** node:child_process, loaded on the first child for the same reason (with what it pulls in, a few ms). */
const nodeSpawn: typeof spawn = ((...args: Parameters<typeof spawn>) =>
  (createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process')).spawn(
    ...args,
  )) as typeof spawn

export type Env = Record<string, string>

export interface RunOptions {
  /** The complete environment of the child; nothing is inherited from this process. */
  env: Env
  cwd?: string
  /** Text (or bytes: an image archive) written to the child's stdin, then closed. */
  input?: string | Buffer
  /** 'inherit' hands the terminal to the child (ssh, sops edit). */
  stdio?: 'pipe' | 'inherit'
  /** Kill the child (SIGTERM, then SIGKILL after 2 s) when this signal aborts. */
  signal?: AbortSignal
}

export interface RunResult {
  exitCode: number | null
  signal: string | null
  stdout: string
  stderr: string
}

/** A running child whose stdout is read line by line. */
export interface Child {
  readonly pid: number | undefined
  /** Stdout, one line at a time, without the newline. */
  lines(): AsyncIterable<string>
  /** Stderr lines as they arrive. */
  onStderr(listener: (line: string) => void): void
  kill(signal: NodeJS.Signals): void
  readonly done: Promise<RunResult>
}

export interface Proc {
  /** Run to completion; never throws on a non-zero exit (the exit code is an answer). */
  run(argv: readonly string[], options: RunOptions): Promise<RunResult>
  /** Start a child whose output is consumed while it runs. */
  start(argv: readonly string[], options: RunOptions): Child
}

/** Variables every child may see: enough to find binaries and behave, nothing secret. */
const PASSTHROUGH = ['PATH', 'HOME', 'USER', 'LOGNAME', 'LANG', 'LC_ALL', 'TMPDIR', 'TERM', 'NO_COLOR', 'TZ']

/** A minimal environment from this process's PATH/HOME/locale plus `extra` (which wins). */
export function buildChildEnv(extra: Env = {}, source: NodeJS.ProcessEnv = process.env): Env {
  const env: Env = {}
  for (const name of PASSTHROUGH) {
    const value = source[name]
    if (value !== undefined) env[name] = value
  }
  return { ...env, ...extra }
}

/**
 * zx runs each command through `bash -c`. A bash whose stdin is a socket (Node's pipes are) reads ~/.bashrc,
 * which would leak the operator's shell setup into every child: run it with --noprofile --norc instead.
 */
const spawnWithoutRcFiles: typeof spawn = ((command: string, args: readonly string[], opts: SpawnOptions) =>
  nodeSpawn('/bin/bash', ['--noprofile', '--norc', '-c', [command, ...args].join(' ')], {
    ...opts,
    shell: false,
  })) as typeof spawn

function spawnZx(argv: readonly string[], options: RunOptions): ProcessPromise {
  if (argv.length === 0) throw new Error('proc: empty argv')
  const stdio = options.stdio ?? 'pipe'
  // Every zx default that ZX_* variables could change is pinned here.
  const $ = loadZx().$({
    env: options.env,
    cwd: options.cwd ?? process.cwd(),
    shell: '/bin/bash',
    prefix: 'exec ',
    postfix: '',
    quiet: true,
    verbose: false,
    nothrow: true,
    detached: true,
    stdio: stdio === 'inherit' ? ['inherit', 'inherit', 'inherit'] : ['pipe', 'pipe', 'pipe'],
    killSignal: 'SIGTERM',
    timeoutSignal: 'SIGTERM',
    preferLocal: false,
    spawn: spawnWithoutRcFiles,
    ...(options.input === undefined ? {} : { input: options.input }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  })
  return $`${[...argv]}`
}

async function settle(p: ProcessPromise): Promise<RunResult> {
  const out = await p
  return { exitCode: out.exitCode, signal: out.signal, stdout: out.stdout, stderr: out.stderr }
}

function splitLines(listener: (line: string) => void): (chunk: Buffer | string) => void {
  let pending = ''
  return (chunk) => {
    pending += chunk.toString()
    const parts = pending.split(/\r?\n/)
    pending = parts.pop() ?? ''
    for (const part of parts) listener(part)
  }
}

/**
 * Stdout lines buffered from the first byte: iterating the process itself only sees chunks that arrive
 * after the loop started, so a fast child's first lines were lost.
 */
async function* collectLines(p: ProcessPromise, done: Promise<RunResult>): AsyncGenerator<string> {
  const queue: string[] = []
  let wake: (() => void) | undefined
  let ended = false
  p.stdout.on(
    'data',
    splitLines((line) => {
      queue.push(line)
      wake?.()
    }),
  )
  void done.then((result) => {
    const rest = result.stdout.split(/\r?\n/).at(-1)
    if (rest) queue.push(rest)
    ended = true
    wake?.()
  })
  for (;;) {
    const line = queue.shift()
    if (line !== undefined) {
      yield line
      continue
    }
    if (ended) return
    await new Promise<void>((resolve) => {
      wake = resolve
    })
    wake = undefined
  }
}

/** What a detached child said before this process stopped waiting for it. */
export interface DetachedStart {
  pid: number | undefined
  /** Its first line on stdout, without the newline; undefined when it exited without one. */
  firstLine: string | undefined
  /** Its stderr up to then (a crash's message). */
  stderr: string
}

/** A detached child sent nothing within the time allowed; it was killed. */
export class DetachedStartTimeoutError extends Error {
  constructor(
    readonly command: string,
    readonly timeoutMs: number,
  ) {
    super(`${command} said nothing within ${timeoutMs} ms and was stopped.`)
    this.name = 'DetachedStartTimeoutError'
  }
}

/**
 * Start a daemon that outlives this process (an unlock agent): no shell, its own session and process group
 * (so no terminal signal reaches it), `input` written to its stdin and closed (a secret never goes into
 * argv or the environment), resolved with its first stdout line. After that this process holds nothing
 * of the child: its pipes are closed and it no longer keeps the event loop alive.
 */
export function startDetached(
  argv: readonly string[],
  options: { env: Env; input: string; timeoutMs: number },
): Promise<DetachedStart> {
  const [command, ...args] = argv
  if (command === undefined) throw new Error('proc: empty argv')
  return new Promise((resolve, reject) => {
    const child = nodeSpawn(command, args, { env: options.env, detached: true, stdio: 'pipe', shell: false })
    let stdout = ''
    let stderr = ''
    let settled = false
    const release = () => {
      settled = true
      clearTimeout(timer)
      child.stdin.destroy()
      child.stdout.destroy()
      child.stderr.destroy()
      child.unref()
    }
    const finish = (firstLine: string | undefined) => {
      if (settled) return
      release()
      resolve({ pid: child.pid, firstLine, stderr })
    }
    const timer = setTimeout(() => {
      if (settled) return
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL')
      } catch {
        /* already gone */
      }
      release()
      reject(new DetachedStartTimeoutError(command, options.timeoutMs))
    }, options.timeoutMs)
    child.on('error', (error) => {
      if (settled) return
      release()
      reject(error)
    })
    // EPIPE when the child exits before reading its input: its first line says why.
    child.stdin.on('error', () => undefined)
    child.stdin.end(options.input)
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
      const end = stdout.indexOf('\n')
      if (end >= 0) finish(stdout.slice(0, end))
    })
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    child.on('close', () => finish(stdout === '' ? undefined : stdout))
  })
}

export const realProc: Proc = {
  run(argv, options) {
    return settle(spawnZx(argv, options))
  },
  start(argv, options) {
    const p = spawnZx(argv, options)
    const done = settle(p)
    const stdout = collectLines(p, done)
    return {
      get pid() {
        return p.child?.pid
      },
      lines() {
        return stdout
      },
      onStderr(listener) {
        p.stderr.on('data', splitLines(listener))
      },
      kill(signal) {
        const pid = p.child?.pid
        // The child leads its own process group (detached), so signal the whole group once.
        if (pid !== undefined) {
          try {
            process.kill(-pid, signal)
          } catch {
            /* already gone */
          }
        }
      },
      done,
    }
  },
}
