/**
 * cloud:connect on the real bench after a real cloud:up: the app's /healthz through the tunnel, `docker ps`
 * through the Docker socket forwarded only with --docker and a typed approval, CI and agents refused even for app
 * ports, Ctrl-C and --close leave no ssh process or socket behind, both ends of the tunnel's connection run with
 * TCP_NODELAY, busy ports move (or fail with --strict-ports),
 * a wrong pinned host key is refused and named, and the API token reaches an env file (0600) and an --exec'd
 * command only after a person typed the stack name. The server is the reference server: through the tunnel its
 * API answers 200 with the minted token and 401 without, and after `cloud:up --rotate-tokens` the old token is
 * 401 and the new one 200.
 */
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { connectionRecordPath, readConnection } from '../../lib/daytwo/connection.ts'
import { ExitCode } from '../../lib/errors.ts'
import { buildKnownHostsLine, generateHostKey } from '../../lib/infra/host-key.ts'
import { buildChildEnv, realProc } from '../../lib/proc.ts'
import { httpStatus } from '../../lib/ssh/health.ts'
import { operatorPaths } from '../../lib/state/paths.ts'
import { requireStack } from '../../lib/state/records.ts'
import { testUnless, whyNotRoot } from '../helpers/skip.ts'
import { tcpSockets } from '../helpers/tcp-sockets.ts'
import { APP_PORT, bringUp, type LiveStack, OPERATOR, STACK, upArgs } from './stack.ts'

let live: LiveStack | undefined
const connect = (...args: string[]) =>
  live!.spawn('scripts/connect.ts', ['--stack-name', STACK, '--ssh-key', live!.host.clientKeyPath, ...args])

function listening(port: number): Server {
  return createServer().listen(port, '127.0.0.1')
}

async function sshProcesses(controlDir: string): Promise<string[]> {
  const ps = await realProc.run(['ps', '-eo', 'pid,args'], { env: buildChildEnv() })
  return ps.stdout.split('\n').filter((l) => l.includes(controlDir))
}

const paths = () => operatorPaths(OPERATOR, { DEBUG_CLOUD_SECRETS_DIR: live!.box.secrets })

/**
 * Both ends of the tunnel's SSH connection, its ssh process (`pid`) here and sshd on the host, have TCP_NODELAY
 * set: without it on the host's end each request waited about 40 ms on a delayed ACK (lib/ssh/tunnel.ts).
 */
async function assertNoDelay(pid: number): Promise<void> {
  const here = (argv: string[]) => realProc.run(argv, { env: buildChildEnv() })
  const transport = (await tcpSockets(here, { pid })).filter((s) => s.peerPort === 22)
  assert.is(transport.length, 1, `one SSH connection of ssh ${pid}`)
  const hostEnd = (await tcpSockets((argv) => live!.host.exec(argv), { comm: 'sshd' })).filter(
    (s) => s.peerPort === transport[0]!.localPort,
  )
  assert.ok(hostEnd.length > 0, "the connection's end in the host's sshd")
  assert.equal(
    [transport[0]!.nodelay, ...hostEnd.map((s) => s.nodelay)],
    [true, ...hostEnd.map(() => true)],
    'TCP_NODELAY: ssh here, then each sshd process on the host',
  )
}

/** True when an HTTP GET gets any answer. */
async function answers(url: string): Promise<boolean> {
  return httpStatus(url, 1000).then(
    () => true,
    () => false,
  )
}

test.before(async () => {
  if (whyNotRoot() === undefined) live = await bringUp()
})
test.after(async () => {
  await live?.stop()
})

testUnless(
  test,
  whyNotRoot(),
  'foreground with --docker (approved): /healthz and docker ps through the tunnels; Ctrl-C closes everything',
  async () => {
    const session = connect('--docker')
    await session.expect(`Forward the Docker socket of stack ${STACK}'s host to this machine`, 30_000)
    await session.expect(`Type ${STACK} to continue`)
    session.type(`${STACK}\r`)
    await session.expect('Press Ctrl-C to close.', 30_000)
    const record = await readConnection(paths(), STACK)
    assert.ok(record, 'connection recorded')
    const url = record.urls[0]!.url
    assert.is(url, `http://127.0.0.1:${APP_PORT}`)
    assert.is(await httpStatus(`${url}/healthz`), 200)
    await assertNoDelay(record.pid)
    const ps = await realProc.run(['docker', '-H', record.dockerHost ?? '', 'ps', '--format', '{{.Names}}'], {
      env: buildChildEnv(),
    })
    assert.is(ps.exitCode, 0, ps.stderr)
    assert.match(ps.stdout, STACK)
    assert.is(statSync(record.runtimeDir).mode & 0o777, 0o700)
    assert.is(statSync(connectionRecordPath(paths(), STACK)).mode & 0o777, 0o600)
    session.type('\x03')
    assert.is(await session.exitCode(), 0, session.transcript)
    assert.equal(await sshProcesses(record.runtimeDir), [], 'no ssh left')
    assert.not.ok(existsSync(record.runtimeDir), 'sockets removed')
    assert.is(await readConnection(paths(), STACK), undefined)
    assert.not.ok(await answers(`${url}/healthz`), 'the local port is closed')
  },
)

testUnless(
  test,
  whyNotRoot(),
  'without --docker only the app ports are forwarded, without a typed approval; CI and agents are refused',
  async () => {
    const session = connect('--background')
    assert.is(await session.exitCode(), 0, session.transcript)
    assert.not.match(session.transcript, `Type ${STACK} to continue`)
    assert.not.match(session.transcript, 'DOCKER_HOST')
    const record = await readConnection(paths(), STACK)
    assert.is(record?.dockerHost, null, 'no Docker socket was forwarded')
    assert.is(await httpStatus(`${record?.urls[0]?.url}/healthz`), 200)
    assert.is(await connect('--close').exitCode(), 0)
    for (const [name, value, code] of [
      ['CI', 'true', ExitCode.gateCi],
      ['AI_AGENT', 'some-agent', ExitCode.gateAgent],
    ] as const) {
      const refused = live!.spawn('scripts/connect.ts', ['--stack-name', STACK], { [name]: value })
      assert.is(await refused.exitCode(), code, refused.transcript)
      assert.match(refused.transcript, 'The human gate refused `cloud:connect`')
      assert.is(await readConnection(paths(), STACK), undefined, 'nothing was opened')
    }
  },
)

testUnless(
  test,
  whyNotRoot(),
  '--background returns with the tunnels up; --close ends the ssh process and removes the sockets',
  async () => {
    const busy = listening(APP_PORT)
    try {
      const session = connect('--background')
      assert.is(await session.exitCode(), 0, session.transcript)
      assert.match(session.transcript, `Local port ${APP_PORT} is busy`)
      const record = await readConnection(paths(), STACK)
      assert.ok(record)
      assert.is.not(record.urls[0]!.url, `http://127.0.0.1:${APP_PORT}`, 'a free port was picked')
      assert.is(await httpStatus(`${record.urls[0]!.url}/healthz`), 200)
      assert.is((await sshProcesses(record.runtimeDir)).length, 1, 'one detached ssh')
      await assertNoDelay(record.pid)

      const strict = connect('--strict-ports')
      assert.is(await strict.exitCode(), 1, strict.transcript)
      assert.match(strict.transcript, 'already has an open connection')
      const close = connect('--close')
      assert.is(await close.exitCode(), 0, close.transcript)
      assert.match(close.transcript, `Closed the tunnels of ${STACK} (ssh pid ${record.pid})`)
      assert.equal(await sshProcesses(record.runtimeDir), [])
      assert.not.ok(existsSync(record.runtimeDir))
      assert.not.ok(await answers(`${record.urls[0]!.url}/healthz`))
      const strictBusy = connect('--strict-ports')
      assert.is(await strictBusy.exitCode(), 1, strictBusy.transcript)
      assert.match(strictBusy.transcript, `Local port ${APP_PORT} already in use on 127.0.0.1`)
      assert.is(await readConnection(paths(), STACK), undefined)
    } finally {
      busy.close()
    }
  },
)

testUnless(
  test,
  whyNotRoot(),
  'a wrong pinned host key is refused and named (exit 51), nothing left open',
  async () => {
    const store = await live!.store()
    const real = requireStack((await store.read()).doc, STACK).ssh!
    const other = generateHostKey()
    const pin = (line: string) =>
      store.update((doc) => {
        doc.stacks[STACK]!.ssh = { ...real, knownHosts: line }
        return doc
      })
    await pin(buildKnownHostsLine(live!.host.address, 22, other.publicKey))
    try {
      const session = connect()
      assert.is(await session.exitCode(), ExitCode.hostKeyMismatch, session.transcript)
      assert.match(
        session.transcript,
        `The SSH host key of ${live!.host.address} does not match the key pinned for it`,
      )
      assert.is(await readConnection(paths(), STACK), undefined)
    } finally {
      await pin(real.knownHosts)
    }
  },
)

testUnless(
  test,
  whyNotRoot(),
  'the API token reaches an env file (0600) and an --exec command only after the typed stack name',
  async () => {
    const token = requireStack((await (await live!.store()).read()).doc, STACK).tokens.api
    const envFile = join(live!.box.dir, 'debug.env')
    const denied = live!.spawn(
      'scripts/connect.ts',
      ['--stack-name', STACK, '--ssh-key', live!.host.clientKeyPath, '--print-env', envFile],
      { CI: 'true' },
    )

    assert.is(await denied.exitCode(), ExitCode.gateCi, denied.transcript)
    assert.not.ok(existsSync(envFile), 'no env file without approval')

    const session = connect('--background', '--print-env', envFile)
    await session.expect(`Type ${STACK} to continue`)
    session.type(`${STACK}\r`)
    assert.is(await session.exitCode(), 0, session.transcript)
    assert.is(statSync(envFile).mode & 0o777, 0o600)
    const record = (await readConnection(paths(), STACK))!
    assert.is(
      readFileSync(envFile, 'utf8'),
      `DEBUG_SERVER_URL=${record.urls[0]!.url}\nDEBUG_SERVER_API_TOKEN=${token}\n`,
    )
    assert.not.match(session.transcript, token, 'the token is never printed')
    const close = connect('--close')
    assert.is(await close.exitCode(), 0, close.transcript)

    const digest = createHash('sha256').update(token).digest('hex')
    const exec = connect(
      '--docker',
      '--exec',

      '--',
      'sh',
      '-c',
      'printf %s "$DEBUG_SERVER_API_TOKEN" | sha256sum; docker ps --format "{{.Names}}"',
    )
    await exec.expect(`Type ${STACK} to continue`)
    exec.type(`${STACK}\r`)
    assert.is(await exec.exitCode(), 0, exec.transcript)
    assert.match(exec.transcript, digest)
    assert.match(exec.transcript, new RegExp(`^${STACK}$`, 'm'))
    assert.not.match(exec.transcript, token)
    assert.is(await readConnection(paths(), STACK), undefined, '--exec closes the tunnels afterwards')
  },
)

/**
 * Run inside `cloud:connect --exec`: GET /api/v1/status through the tunnel with the token it was handed, with
 * the token given as its argument (if any), and with none; prints the three statuses (never a token).
 */
const PROBE = [
  'const url = process.env.DEBUG_SERVER_URL + "/api/v1/status"',
  'const get = (token) => fetch(url, token ? { headers: { authorization: "Bearer " + token } } : {}).then((r) => r.status)',
  'const [minted, given, none] = await Promise.all([get(process.env.DEBUG_SERVER_API_TOKEN), get(process.argv[1]), get()])',
  'console.log("api minted=" + minted + " given=" + given + " none=" + none)',
].join('\n')

/** `cloud:connect --exec` the probe, typing the stack name; its output line. */
async function probeApi(given = ''): Promise<string> {
  // `--` before the token: one that starts with "-" (base64url) is not node's option.
  const exec = connect('--exec', '--', process.execPath, '--input-type=module', '-e', PROBE, '--', given)
  await exec.expect(`Type ${STACK} to continue`)
  exec.type(`${STACK}\r`)
  assert.is(await exec.exitCode(), 0, exec.transcript)
  return /api minted=\d+ given=\d+ none=\d+/.exec(exec.transcript)?.[0] ?? exec.transcript
}

testUnless(
  test,
  whyNotRoot(),
  'the reference server through the tunnel: 200 with the minted token, 401 without; --rotate-tokens takes effect only once approved',
  async () => {
    const tokens = async () => requireStack((await (await live!.store()).read()).doc, STACK).tokens
    const before = await tokens()
    assert.is(await probeApi(), 'api minted=200 given=401 none=401')

    const declined = live!.spawn('scripts/up.ts', [...upArgs(live!.host), '--rotate-tokens'])
    await declined.expect(`Type ${STACK} to continue`, 120_000)
    declined.type('no\r')
    assert.is(await declined.exitCode(), ExitCode.gateWrongName, declined.transcript)
    assert.equal(await tokens(), before, 'a declined rotation records nothing')
    assert.is(await probeApi(), 'api minted=200 given=401 none=401')

    const rotate = live!.spawn('scripts/up.ts', [...upArgs(live!.host), '--rotate-tokens'])
    await rotate.expect('Token rotation: new API and runner tokens', 120_000)
    await rotate.expect('App (container): 1 to add, 0 to change, 1 to destroy.')
    await rotate.expect(`Type ${STACK} to continue`)
    rotate.type(`${STACK}\r`)
    assert.is(await rotate.exitCode(180_000), 0, rotate.transcript)
    const after = await tokens()
    assert.is.not(after.api, before.api, 'a new API token is recorded')
    assert.is.not(after.runner, before.runner, 'a new runner token is recorded')
    for (const token of [before.api, before.runner, after.api, after.runner])
      assert.not.ok(rotate.transcript.includes(token), 'no token in the output')

    // The old token is handed to the probe as its argument: 401 now, and the minted (new) one 200.
    assert.is(await probeApi(before.api), 'api minted=200 given=401 none=401')
    assert.is(await probeApi(after.api), 'api minted=200 given=200 none=401')
  },
)

test.run()
