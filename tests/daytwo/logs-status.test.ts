/**
 * cloud:logs and cloud:status on the real bench after a real cloud:up: a request's log line arrives within a
 * second with the API token redacted, Ctrl-C leaves no `docker logs` on the host, --follow ends by itself
 * when the container stops; status --refresh is clean first, then names a restarted container, a container
 * removed behind its back, Terraform state that lost the stack, and a host that stopped answering SSH.
 */
import { rename } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { StatusRow } from '../../lib/daytwo/status.ts'
import { operatorPaths } from '../../lib/state/paths.ts'
import { requireStack } from '../../lib/state/records.ts'
import { stackFolder } from '../../lib/state/workspace.ts'
import { testUnless, whyNotRoot } from '../helpers/skip.ts'
import { APP_PORT, bringUp, type LiveStack, OPERATOR, STACK } from './stack.ts'

let live: LiveStack | undefined
const cli = (script: string, ...args: string[]) =>
  live!.spawn(script, ['--ssh-key', live!.host.clientKeyPath, ...args])

const logs = (...args: string[]) => cli('scripts/logs.ts', '--stack-name', STACK, ...args)
const docker = (...args: string[]) => live!.host.exec(['docker', '-H', 'unix:///run/docker.sock', ...args])

/** GET /healthz from inside the host (the app is published on the host's loopback only). */
async function requestOnHost(): Promise<void> {
  const result = await live!.host.exec(['busybox', 'wget', '-qO-', `http://127.0.0.1:${APP_PORT}/healthz`])
  assert.is(result.stdout, 'ok', result.stderr)
}

async function statusRefresh(): Promise<{ code: number; row: StatusRow }> {
  const session = cli('scripts/status.ts', '--refresh', '--json')
  const code = await session.exitCode(60_000)
  const json = JSON.parse(session.transcript.slice(session.transcript.indexOf('{'))) as {
    stacks: StatusRow[]
  }
  const row = json.stacks.find((r) => r.stack === STACK)
  assert.ok(row, session.transcript)
  return { code, row }
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
  'logs --follow streams a new request as it happens, token redacted; Ctrl-C leaves nothing on the host',
  async () => {
    const token = requireStack((await (await live!.store()).read()).doc, STACK).tokens.api
    // The last line so far is cloud:up's health check; the next one must be ours.
    const session = logs('--follow', '--tail', '1')
    await session.expect('path=/healthz status=200', 15_000)
    await requestOnHost()
    // Streamed while following (the bench measures how fast: `npm run bench -- launcher`).
    await session.expect('path=/healthz status=200', 5000)
    // The app prints its own token to its log (as a careless app might): it arrives redacted.
    await docker('exec', STACK, 'sh', '-c', 'echo "token=$DEBUG_SERVER_API_TOKEN" >/proc/1/fd/1')
    await session.expect('token=[redacted]', 5000)
    assert.not.match(session.transcript, token)
    session.type('\x03')
    assert.is(await session.exitCode(), 0, session.transcript)
    const ps = await live!.host.exec(['ps', '-eo', 'args'])
    assert.not.match(ps.stdout, 'docker logs', 'the remote docker logs ended with the session')
  },
)

testUnless(
  test,
  whyNotRoot(),
  'logs --tail prints past lines and ends; --follow ends by itself when the container stops',
  async () => {
    const tail = logs('--tail', '1')
    assert.is(await tail.exitCode(), 0, tail.transcript)
    assert.match(tail.transcript, /^token=\[redacted\]$/m)
    assert.not.match(tail.transcript, 'path=/healthz status=200', 'only the last line')
    const bad = logs('--since', '10 minutes; rm -rf /')
    assert.is(await bad.exitCode(), 64, bad.transcript)
    assert.match(bad.transcript, 'is not a duration')

    const follow = logs('--follow')
    await follow.expect('token=[redacted]')
    await docker('stop', STACK)
    assert.is(await follow.exitCode(10_000), 0, follow.transcript)
    await docker('start', STACK)
  },
)

testUnless(
  test,
  whyNotRoot(),
  'status --refresh: a restarted container, then one removed behind its back, then lost Terraform state',
  async () => {
    const first = await statusRefresh()
    assert.is(first.row.status, 'ready')
    assert.is(first.row.address, live!.host.address)
    assert.is(first.row.health, 'running')
    assert.equal(
      first.row.drift?.map((d) => d.kind),
      ['container-restarted'],
      'stopped and started by the previous test',
    )
    assert.is(first.code, 1)

    const table = cli('scripts/status.ts')
    assert.is(await table.exitCode(), 0, table.transcript)
    assert.match(table.transcript, /PROVIDER\s+STACK\s+STATE\s+ADDRESS\s+AGE\s+HEALTH\s+SESSIONS\s+TUNNEL/)
    assert.match(
      table.transcript,
      new RegExp(
        `local\\s+${STACK}\\s+ready\\s+${live!.host.address.replaceAll('.', '\\.')}\\s+\\d+[smh]\\s+not checked\\s+0\\s+-`,
      ),
    )

    await docker('rm', '-f', STACK)
    const gone = await statusRefresh()
    assert.is(gone.row.health, 'gone')
    assert.equal(
      gone.row.drift?.map((d) => d.kind),
      ['container-gone'],
    )
    assert.is(gone.code, 1)

    const state = join(
      stackFolder(operatorPaths(OPERATOR, { DEBUG_CLOUD_SECRETS_DIR: live!.box.secrets }), STACK),
      'app',
      'terraform.tfstate',
    )
    await rename(state, `${state}.away`)
    try {
      const lost = await statusRefresh()
      assert.equal(
        lost.row.drift?.map((d) => d.kind),
        ['terraform-missing', 'container-gone'],
      )
    } finally {
      await rename(`${state}.away`, state)
    }
  },
)

testUnless(test, whyNotRoot(), 'status --refresh names a host that stopped answering SSH', async () => {
  await live!.host.stopSsh()
  const { code, row } = await statusRefresh()
  assert.is(code, 1)
  assert.is(row.health, 'unreachable')
  assert.equal(
    row.drift?.map((d) => d.kind),
    ['host-unreachable'],
  )
  assert.match(row.drift![0]!.message, `${live!.host.address} does not answer SSH`)
})

test.run()
