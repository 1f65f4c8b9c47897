/**
 * The bench's only door to processes: root commands through lib/proc with a minimal environment, failing
 * loudly with the command's own stderr.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { CliError } from '../../lib/errors.ts'
import { buildChildEnv, type Child, type RunResult, realProc } from '../../lib/proc.ts'

/** A bench step failed; the message names the command and carries its stderr. */
export class BenchError extends CliError {
  constructor(message: string, hint = 'See the host logs under /var/lib/debug-cloud-bench/hosts/<name>/.') {
    super(message, { hint })
  }
}

const rootEnv = () => buildChildEnv({ PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' })

/** Run a command; a non-zero exit is returned, not thrown. */
export function run(argv: readonly string[], input?: string): Promise<RunResult> {
  return realProc.run(argv, { env: rootEnv(), ...(input === undefined ? {} : { input }) })
}

/** Run a command that must succeed. */
export async function mustRun(argv: readonly string[], input?: string): Promise<string> {
  const result = await run(argv, input)
  if (result.exitCode !== 0)
    throw new BenchError(`\`${argv.join(' ')}\` exited ${result.exitCode}: ${result.stderr.trim()}`)
  return result.stdout
}

/** Start a long-running command (the host's init). */
export function start(argv: readonly string[]): Child {
  return realProc.start(argv, { env: rootEnv() })
}

/** True while a process with this pid exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** The pids whose parent is `pid` (the host's PID 1 is the child of `unshare`). */
export function childPids(pid: number): number[] {
  const found: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (ppid === pid) found.push(Number(entry))
    } catch {
      /* the process ended while we looked */
    }
  }
  return found
}

/** Poll `check` every 100 ms until it returns true or `timeoutMs` passes. */
export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return true
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return false
}
