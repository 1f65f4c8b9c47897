/** cloud:connect — pinned SSH tunnels to a stack's app ports and Docker socket. See docs/cli.md. */

import { runMain } from '../lib/cli/main.ts'
import type { Output } from '../lib/cli/output.ts'
import { closeConnection, type OpenConnection, openConnection } from '../lib/daytwo/connect.ts'
import { approveReveal, execWithEnv, type RevealEnv, writeEnvFile } from '../lib/daytwo/reveal.ts'
import { waitForStop } from '../lib/daytwo/signals.ts'
import { openStack, type StackHandle } from '../lib/daytwo/stack.ts'
import { CliError, ExitCode, UsageError } from '../lib/errors.ts'
import { resolveStackName, stackFlags } from '../lib/flows/flags.ts'
import { realProc } from '../lib/proc.ts'
import { resolveOperator } from '../lib/state/operator.ts'
import { operatorPaths } from '../lib/state/paths.ts'

const spec = {
  name: 'npm run cloud:connect --',
  positionals: '[-- <command…>]',
  summary:
    "Open pinned SSH tunnels to a stack: its app ports on 127.0.0.1 and the host's Docker socket as a private " +
    'unix socket. Stays until Ctrl-C, or --background until --close.',
  flags: {
    'stack-name': { type: 'string', description: 'The stack to connect to.', placeholder: 'name' },
    operator: stackFlags.operator,
    'ssh-key': stackFlags['ssh-key'],
    background: { type: 'boolean', description: 'Leave the tunnels running in the background and return.' },
    close: {
      type: 'boolean',
      description: 'Close the tunnels of an earlier connect (background or foreground).',
    },
    'strict-ports': {
      type: 'boolean',
      description: 'Fail when an app port is busy locally instead of picking a free one.',
    },
    'print-env': {
      type: 'string',
      description:
        'Write DEBUG_SERVER_URL, DEBUG_SERVER_API_TOKEN, DOCKER_HOST to this file (0600). Asks you first.',
      placeholder: 'file',
    },
    exec: {
      type: 'boolean',
      description: 'Run the command after -- with those variables set, then close. Asks you first.',
    },
    yes: {
      type: 'boolean',
      description: 'Skip the typed confirmation within a grant from `npm run cloud:unlock`.',
    },
  },
  details: `Exit codes: 0 closed cleanly (with --exec: the command's exit code), 41-48 refused by the human gate,
51 host key mismatch, 64 bad flags, 66 unknown stack, 1 the tunnel could not open or dropped.
Examples:
  npm run cloud:connect -- --stack-name debug-dev
  npm run cloud:connect -- --stack-name debug-dev --background --print-env .debug-server.env
  npm run cloud:connect -- --stack-name debug-dev --exec -- docker ps
  npm run cloud:connect -- --stack-name debug-dev --close`,
} as const

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
  out.info(`  DOCKER_HOST=${record.dockerHost}`)
  if (envFile) out.info(`  Env file (0600, holds the API token): ${envFile}`)
}

await runMain(spec, async ({ flags, positionals, out }) => {
  const name = requireStackName(flags['stack-name'])
  if (flags.exec !== positionals.length > 0)
    throw new UsageError(
      flags.exec ? '--exec needs a command after --.' : `Unexpected argument ${positionals[0]}.`,
      'Example: --exec -- docker ps',
    )
  if (flags.exec && (flags.background || flags.close))
    throw new UsageError('--exec cannot be combined with --background or --close.')
  if (flags.close) {
    // Closing needs only the operator's paths, not the (maybe destroyed) stack's record.
    const paths = operatorPaths(await resolveOperator({ flag: flags.operator }))
    const closed = await closeConnection(realProc, { paths, name })
    if (out.json) out.emitJson({ ok: true, stack: name, closed: closed ? { pid: closed.pid } : null })
    else
      out.success(
        closed ? `Closed the tunnels of ${name} (ssh pid ${closed.pid}).` : `${name} had no open tunnels.`,
      )
    return 0
  }
  const stack = await openStack({
    operator: flags.operator,
    stack: name,
    sshKey: flags['ssh-key'],
    command: 'cloud:connect',
  })
  if (!stack.ssh)
    throw new CliError(
      `Stack ${name} runs on the local Docker socket ${stack.dockerHost}: there is nothing to tunnel.`,
      {
        hint: `Reach the app at ${stack.record.endpoints.map((e) => e.url).join(', ') || 'its published ports'}.`,
        exitCode: ExitCode.usage,
      },
    )
  const envFile = flags['print-env']
  if (envFile !== undefined || flags.exec) {
    const what = [envFile && `the file ${envFile}`, flags.exec && `the command ${positionals[0]}`]
      .filter(Boolean)
      .join(' and ')
    await approveReveal({
      command: 'cloud:connect',
      operator: stack.operator,
      stack: name,
      what,
      yes: flags.yes,
      out,
    })
  }
  const conn = await openConnection(
    realProc,
    { ...stack, ssh: stack.ssh },
    { strictPorts: flags['strict-ports'], background: flags.background },
  )
  let keep = flags.background
  try {
    const env: RevealEnv = {
      DEBUG_SERVER_URL: conn.record.urls[0]?.url ?? '',
      DEBUG_SERVER_API_TOKEN: stack.record.tokens.api,
      DOCKER_HOST: conn.record.dockerHost,
    }
    const written = envFile === undefined ? undefined : await writeEnvFile(envFile, env)
    printConnection(out, stack, conn, written)
    if (flags.exec) return await execWithEnv(realProc, positionals, env)
    if (flags.background) {
      out.info(`Close with: npm run cloud:connect -- --stack-name ${name} --close`)
      return 0
    }
    out.info('Press Ctrl-C to close.')
    const why = await waitForStop(conn.ended)
    keep = false
    if (why === 'ended')
      throw new CliError(`The tunnel to ${name} ended (connection lost or closed with --close).`, {
        hint: 'Run cloud:connect again; `npm run cloud:status -- --refresh` shows whether the host answers.',
      })
    out.success(`Closed the tunnels of ${name}.`)
    return 0
  } catch (error) {
    keep = false
    throw error
  } finally {
    if (!keep) await conn.close()
  }
})
