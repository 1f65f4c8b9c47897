/**
 * `cloud:logs`: the app container's output (`docker logs`) streamed over the pinned SSH connection line by
 * line, every known secret of the stack redacted. Over SSH the remote `docker logs` is tied to the session's
 * stdin, so it ends with the connection (Ctrl-C) instead of lingering on the host until the next log line.
 */
import { CliError, UsageError } from '../errors.ts'
import { registerSecrets } from '../flows/record.ts'
import { buildChildEnv, type Proc } from '../proc.ts'
import { HostKeyMismatchError, TunnelError } from '../ssh/errors.ts'
import { isHostKeyFailure } from '../ssh/ready.ts'
import { buildSshArgs } from '../ssh/target.ts'
import type { StackRecord } from '../state/schema.ts'
import { processRedactor, type Redactor } from '../terraform/redact.ts'
import { ContainerNotFoundError } from './errors.ts'
import { appContainerName, type StackHandle } from './stack.ts'

export interface LogsOptions {
  follow: boolean
  /** Docker's --since: a duration (10m, 1h30m), an RFC 3339 time or a unix timestamp. */
  since: string | undefined
  /** Lines from the end: a number or "all". */
  tail: string | undefined
}

export interface LogSink {
  stdout(line: string): void
  stderr(line: string): void
}

const SINCE = /^(?:\d+(?:\.\d+)?|(?:\d+[hms])+|\d{4}-\d{2}-\d{2}(?:T[0-9:.]+(?:Z|[+-]\d{2}:\d{2})?)?)$/
const TAIL = /^(?:\d+|all)$/

/** `docker logs` arguments; values are checked because they reach the host's shell. */
export function buildLogsArgs(container: string, options: LogsOptions): string[] {
  if (options.since !== undefined && !SINCE.test(options.since))
    throw new UsageError(
      `--since "${options.since}" is not a duration, date or timestamp.`,
      'Examples: --since 10m, --since 2h30m, --since 2026-01-31T12:00:00Z',
    )
  if (options.tail !== undefined && !TAIL.test(options.tail))
    throw new UsageError(`--tail "${options.tail}" is not a number of lines or "all".`, 'Example: --tail 100')
  return [
    'logs',
    ...(options.follow ? ['--follow'] : []),
    ...(options.since === undefined ? [] : ['--since', options.since]),
    ...(options.tail === undefined ? [] : ['--tail', options.tail]),
    container,
  ]
}

/**
 * The remote command: `docker logs` in the background, a watchdog that kills it once the session's stdin
 * closes (the client went away), and the logs' own exit status. fd 3 keeps stdin reachable for the
 * watchdog, which a background job would otherwise get as /dev/null.
 */
export function buildRemoteLogsCommand(dockerArgs: readonly string[]): string[] {
  const script = `exec 3<&0; docker ${dockerArgs.join(' ')} & p=$!; { cat <&3; kill $p; } >/dev/null 2>&1 & wait $p`
  return ['sh', '-c', `'${script}'`]
}

/** argv that streams the logs of the stack's app container. */
export function buildStackLogsArgv(
  stack: Pick<StackHandle, 'name' | 'record' | 'ssh' | 'dockerHost'>,
  options: LogsOptions,
): string[] {
  const args = buildLogsArgs(appContainerName(stack.name, stack.record), options)
  return stack.ssh
    ? buildSshArgs(stack.ssh, buildRemoteLogsCommand(args))
    : ['docker', '-H', stack.dockerHost, ...args]
}

/** The process redactor, once it knows every secret of the record (so error reports hide them too). */
export function buildStackRedactor(record: StackRecord): Redactor {
  registerSecrets({ redactor: processRedactor }, record)
  return processRedactor
}

/** Stream the logs to `sink` until they end (container stopped, or no --follow) or Ctrl-C; returns 0. */
export async function streamLogs(
  proc: Proc,
  stack: StackHandle,
  options: LogsOptions,
  sink: LogSink,
): Promise<number> {
  const redactor = buildStackRedactor(stack.record)
  const child = proc.start(buildStackLogsArgv(stack, options), { env: buildChildEnv() })
  const stderr: string[] = []
  let stopped = false
  const stop = () => {
    stopped = true
    child.kill('SIGTERM')
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  child.onStderr((line) => {
    stderr.push(line)
    sink.stderr(redactor.redact(line))
  })
  try {
    for await (const line of child.lines()) sink.stdout(redactor.redact(line))
    const result = await child.done
    if (stopped || result.exitCode === 0) return 0
    const text = stderr.join('\n')
    if (stack.ssh && isHostKeyFailure(text)) throw new HostKeyMismatchError(stack.ssh.host)
    if (/No such container/i.test(text))
      throw new ContainerNotFoundError(appContainerName(stack.name, stack.record), stack.name)
    if (stack.ssh && result.exitCode === 255)
      throw new TunnelError(stack.ssh.host, redactor.redact(stderr.at(-1) ?? 'ssh failed'))
    throw new CliError(`docker logs failed (exit ${result.exitCode}).`, { hint: 'See the lines above.' })
  } finally {
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
  }
}
