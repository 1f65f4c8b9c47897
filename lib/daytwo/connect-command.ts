/**
 * The `cloud:connect` command: close an earlier connection, or open pinned SSH tunnels to a stack's app ports
 * (and with --docker its Docker socket) — in the foreground until Ctrl-C, in the background until --close, or
 * around one command (--exec). CI and agents are refused always; the Docker socket (root on the host) and the
 * API token (--print-env, --exec) only after a person approved at the gate.
 */
import type { Output } from '../cli/output.ts'
import { CliError, ExitCode, UsageError } from '../errors.ts'
import { resolveStackName } from '../flows/flags.ts'
import { resolveOperatorForGate } from '../flows/operator.ts'
import { verifyMayAsk } from '../gate/index.ts'
import { realProc } from '../proc.ts'
import { resolveOperator } from '../state/operator.ts'
import { operatorPaths } from '../state/paths.ts'
import { closeConnection, type OpenConnection, openConnection } from './connect.ts'
import { approveAccess, execWithEnv, type RevealEnv, writeEnvFile } from './reveal.ts'
import { waitForStop } from './signals.ts'
import { openStack, type StackHandle } from './stack.ts'

export interface ConnectFlags {
  'stack-name': string | undefined
  operator: string | undefined
  'ssh-key': string | undefined
  background: boolean
  close: boolean
  'strict-ports': boolean
  'print-env': string | undefined
  exec: boolean
  docker: boolean
  yes: boolean
}

function requireStackName(given: string | undefined): string {
  if (given === undefined)
    throw new UsageError('--stack-name is required.', 'List your stacks with `npm run cloud:status`.')
  return resolveStackName(given, 'dev')
}

function printConnection(
  out: Output,
  stack: StackHandle,
  conn: OpenConnection,
  envFile: string | undefined,
): void {
  const { record } = conn
  if (out.json) {
    out.emitJson({
      ok: true,
      stack: stack.name,
      pid: record.pid,
      mode: record.mode,
      urls: record.urls,
      dockerHost: record.dockerHost,
      envFile: envFile ?? null,
    })
    return
  }
  for (const f of conn.forwards)
    if (f.moved) out.warn(`Local port ${f.remote.port} is busy: ${f.name} is on ${f.localPort} instead.`)
  out.success(
    `Connected to ${stack.name} (${stack.ssh?.host}) with the pinned host key; ssh pid ${record.pid}.`,
  )
  for (const u of record.urls) out.info(`  ${u.name}: ${u.url}`)
  if (record.dockerHost) out.info(`  DOCKER_HOST=${record.dockerHost}`)
  if (envFile) out.info(`  Env file (0600, holds the API token): ${envFile}`)
}

/** Run `cloud:connect` with its parsed flags; returns the exit code. */
export async function runConnectCommand(
  flags: ConnectFlags,
  positionals: string[],
  out: Output,
): Promise<number> {
  const name = requireStackName(flags['stack-name'])
  verifyModes(flags, positionals)
  if (flags.close) return closeTunnels(flags.operator, name, out)
  const command = 'cloud:connect'
  // Even app ports alone: CI and agents are refused before the state is opened.
  const operator = await verifyMayAsk({
    command,
    operator: await resolveOperatorForGate(flags.operator),
    confirmName: name,
    yes: flags.yes,
  })
  const stack = await openStack({
    operator,

    stack: name,
    sshKey: flags['ssh-key'],
    command,
    out,
  })
  const ssh = stack.ssh
  const envFile = flags['print-env']
  const tokenTo = [envFile && `the file ${envFile}`, flags.exec && `the command ${positionals[0]}`].filter(
    Boolean,
  )
  if (!ssh) verifyLocalModes(stack, flags, tokenTo.length > 0)
  if (tokenTo.length > 0 || flags.docker)
    await approveAccess({
      command,
      operator: stack.operator,
      keyring: stack.keyring,
      stack: name,
      tokenTo: tokenTo.length > 0 ? tokenTo.join(' and ') : undefined,
      docker: flags.docker,
      yes: flags.yes,
      out,
    })
  if (!ssh) return revealLocal(stack, flags, positionals, envFile, out)
  const conn = await openConnection(
    realProc,
    { ...stack, ssh },
    { strictPorts: flags['strict-ports'], background: flags.background, docker: flags.docker },
  )
  let keep = flags.background
  try {
    const env: RevealEnv = {
      DEBUG_SERVER_URL: conn.record.urls[0]?.url ?? '',
      DEBUG_SERVER_API_TOKEN: stack.record.tokens.api,
      ...(conn.record.dockerHost ? { DOCKER_HOST: conn.record.dockerHost } : {}),
    }
    printConnection(out, stack, conn, envFile === undefined ? undefined : await writeEnvFile(envFile, env))
    if (flags.exec) return await execWithEnv(realProc, positionals, env)
    if (flags.background) {
      out.info(`Close with: npm run cloud:connect -- --stack-name ${name} --close`)
      return 0
    }
    keep = false
    return await holdUntilStopped(conn, name, out)
  } catch (error) {
    keep = false
    throw error
  } finally {
    if (!keep) await conn.close()
  }
}

/**
 * A stack on this machine's Docker socket has no tunnel: its published loopback port is reached directly. Only
 * the token (--exec, --print-env) is something to hand over; the socket itself is already here.
 */
function verifyLocalModes(stack: StackHandle, flags: ConnectFlags, revealsToken: boolean): void {
  const url = localUrl(stack)
  if (flags.docker)
    throw new UsageError(
      `Stack ${stack.name} runs on this machine's Docker socket: there is no socket to forward.`,
      `Use it directly: DOCKER_HOST=${stack.dockerHost}.`,
    )
  if (!revealsToken)
    throw new CliError(
      `Stack ${stack.name} runs on the local Docker socket ${stack.dockerHost}: there is nothing to tunnel.`,
      {
        hint: `Reach the app at ${url}; for the API token, add --exec -- <command> or --print-env <file>.`,
        exitCode: ExitCode.usage,
      },
    )
}

/** The first endpoint of a stack on the local socket, as recorded by cloud:up. */
function localUrl(stack: StackHandle): string {
  const url = stack.record.endpoints[0]?.url
  if (url === undefined)
    throw new CliError(`Stack ${stack.name} has no recorded endpoint.`, {
      hint: 'Re-run `npm run cloud:up` for it: that records its endpoints.',
      exitCode: ExitCode.notFound,
    })
  return url
}

/** --exec and --print-env for a stack on the local socket: the token and its URL, without a tunnel. */
async function revealLocal(
  stack: StackHandle,
  flags: ConnectFlags,
  positionals: string[],
  envFile: string | undefined,
  out: Output,
): Promise<number> {
  const env: RevealEnv = {
    DEBUG_SERVER_URL: localUrl(stack),
    DEBUG_SERVER_API_TOKEN: stack.record.tokens.api,
  }
  if (envFile !== undefined) {
    await writeEnvFile(envFile, env)
    if (out.json) out.emitJson({ ok: true, stack: stack.name, url: env.DEBUG_SERVER_URL, envFile })
    else out.info(`  Env file (0600, holds the API token): ${envFile}`)
  }
  if (!out.json)
    out.info(`  ${stack.name}: ${env.DEBUG_SERVER_URL} (this machine's Docker socket, no tunnel)`)
  return flags.exec ? execWithEnv(realProc, positionals, env) : 0
}

/** --exec takes the command after --, and no --background or --close. */
function verifyModes(flags: ConnectFlags, positionals: string[]): void {
  if (flags.exec !== positionals.length > 0)
    throw new UsageError(
      flags.exec ? '--exec needs a command after --.' : `Unexpected argument ${positionals[0]}.`,
      'Example: --exec -- docker ps',
    )
  if (flags.exec && (flags.background || flags.close))
    throw new UsageError('--exec cannot be combined with --background or --close.')
}

/** --close: needs only the operator's paths, not the (maybe destroyed) stack's record. */
async function closeTunnels(operator: string | undefined, name: string, out: Output): Promise<number> {
  const paths = operatorPaths(await resolveOperator({ flag: operator }))
  const closed = await closeConnection(realProc, { paths, name })
  if (out.json) out.emitJson({ ok: true, stack: name, closed: closed ? { pid: closed.pid } : null })
  else
    out.success(
      closed ? `Closed the tunnels of ${name} (ssh pid ${closed.pid}).` : `${name} had no open tunnels.`,
    )
  return 0
}

/** The foreground mode: until Ctrl-C (exit 0) or the tunnel ending on its own (an error). */
async function holdUntilStopped(conn: OpenConnection, name: string, out: Output): Promise<number> {
  out.info('Press Ctrl-C to close.')
  if ((await waitForStop(conn.ended)) === 'ended')
    throw new CliError(`The tunnel to ${name} ended (connection lost or closed with --close).`, {
      hint: 'Run cloud:connect again; `npm run cloud:status -- --refresh` shows whether the host answers.',
    })
  out.success(`Closed the tunnels of ${name}.`)
  return 0
}
