/**
 * Handing the API token to the operator without printing it: an env file written 0600, or a command run
 * with the variables set. Both reveal a secret, so both go through the human gate first.
 */
import { stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { Output } from '../cli/output.ts'
import { UsageError } from '../errors.ts'
import { requireHuman } from '../gate/index.ts'
import { buildChildEnv, type Env, type Proc } from '../proc.ts'
import { writeFileAtomic } from '../state/atomic.ts'

export interface RevealEnv {
  DEBUG_SERVER_URL: string
  DEBUG_SERVER_API_TOKEN: string
  DOCKER_HOST: string
}

/** The lines of the env file (`NAME=value`, no quotes: the format of both dotenv and `docker --env-file`). */
export function buildEnvFile(env: RevealEnv): string {
  const lines = Object.entries(env).map(([name, value]) => {
    if (/[\r\n]/.test(value)) throw new UsageError(`${name} holds a line break and cannot go in an env file.`)
    return `${name}=${value}`
  })
  return `${lines.join('\n')}\n`
}

/** Write the env file 0600 (atomic; a symlink at the path is replaced, never followed). */
export async function writeEnvFile(path: string, env: RevealEnv): Promise<string> {
  const target = resolve(path)
  if ((await stat(target).catch(() => undefined))?.isDirectory())
    throw new UsageError(
      `--print-env ${path} is a directory.`,
      'Give the path of a file, e.g. .debug-server.env.',
    )
  await writeFileAtomic(target, buildEnvFile(env), 0o600)
  return target
}

/** Ask a person before the token leaves the encrypted state; the confirm name is the stack name. */
export async function approveReveal(options: {
  command: string
  operator: string
  stack: string
  what: string
  yes: boolean
  out: Output
}): Promise<void> {
  await requireHuman({
    command: options.command,
    operator: options.operator,
    confirmName: options.stack,
    yes: options.yes,
    out: options.out,
    summary: [
      `Reveal the API token of stack ${options.stack} (DEBUG_SERVER_API_TOKEN) to ${options.what}.`,
      'Anyone with the token controls the debug server.',
    ],
  })
}

/** Run `argv` on this terminal with the variables set; returns its exit code (Ctrl-C ends it too). */
export async function execWithEnv(proc: Proc, argv: readonly string[], env: RevealEnv): Promise<number> {
  const controller = new AbortController()
  const stop = () => controller.abort()
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  try {
    const extra: Env = { ...env }
    const result = await proc.run(argv, {
      env: buildChildEnv(extra),
      stdio: 'inherit',
      signal: controller.signal,
    })
    return result.exitCode ?? (controller.signal.aborted ? 130 : 1)
  } finally {
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
  }
}
