/**
 * Handing the API token (and the forwarded Docker socket) to the operator without printing them: an env file
 * written 0600, or a command run with the variables set. Both give away what the gate guards, so both — and
 * forwarding the Docker socket at all — go through the human gate first.
 */
import { stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { Output } from '../cli/output.ts'
import { UsageError } from '../errors.ts'
import { requireHuman } from '../gate/index.ts'
import { buildChildEnv, type Env, type Proc } from '../proc.ts'
import { writeFileAtomic } from '../state/atomic.ts'
import type { Keyring } from '../state/keyring.ts'

export interface RevealEnv {
  DEBUG_SERVER_URL: string
  DEBUG_SERVER_API_TOKEN: string
  /** Only when the Docker socket is forwarded (--docker). */
  DOCKER_HOST?: string
}

/** The lines of the env file (`NAME=value`, no quotes: the format of both dotenv and `docker --env-file`). */
export function buildEnvFile(env: RevealEnv): string {
  const lines = Object.entries(env).flatMap(([name, value]: [string, string | undefined]) => {
    if (value === undefined) return []
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

/**
 * Ask a person before the token leaves the encrypted state, or the host's Docker socket (root on the VM, and
 * every container's environment, tokens included) is forwarded; the confirm name is the stack name.
 */
export async function approveAccess(options: {
  command: string
  operator: string
  keyring: Keyring
  stack: string
  /** Where the token goes, if anywhere: "the file x and the command y". */
  tokenTo: string | undefined
  docker: boolean
  yes: boolean
  out: Output
}): Promise<void> {
  const summary = [
    ...(options.tokenTo
      ? [
          `Reveal the API token of stack ${options.stack} (DEBUG_SERVER_API_TOKEN) to ${options.tokenTo}.`,
          'Anyone with the token controls the debug server.',
        ]
      : []),
    ...(options.docker
      ? [
          `Forward the Docker socket of stack ${options.stack}'s host to this machine:`,
          "root on that host, and every container's environment (the tokens) to anyone who can reach the socket.",
        ]
      : []),
  ]
  await requireHuman({
    command: options.command,
    operator: options.operator,
    confirmName: options.stack,
    yes: options.yes,
    out: options.out,
    keyring: options.keyring,
    summary,
  })
}

/** Run `argv` on this terminal with the variables set; returns its exit code (Ctrl-C ends it too). */
export async function execWithEnv(proc: Proc, argv: readonly string[], env: RevealEnv): Promise<number> {
  const controller = new AbortController()
  const stop = () => controller.abort()
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  try {
    const extra: Env = Object.fromEntries(
      Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined),
    )
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
