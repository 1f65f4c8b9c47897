/**
 * Cloud faults on `--provider hetzner`, through the REAL cloud:up and hcloud provider against the Hetzner
 * Cloud API STAND-IN (faults injected into it), in a pty as a person runs it. Each fault ends with a clear
 * error and a record the next run can use: one stack is re-run through a 429 (retried), a 503 burst, an
 * action ending in `error`, the API unreachable mid-apply and a server that stays `initializing` past the
 * wait, then converges and is destroyed; Ctrl-C during the create is recorded and destroy cleans up.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ExitCode } from '../../lib/errors.ts'
import { testUnless, whyNotRoot } from '../helpers/skip.ts'
import { ensureTestTools } from '../helpers/tools.ts'
import { destroyAndVerify } from './e2e.ts'
import { CloudWorkstation, type Finished } from './workstation.ts'

let ws: CloudWorkstation | undefined
const started = performance.now()
const STACK = 'hf'

test.before(async () => {
  if (whyNotRoot() !== undefined) return
  await ensureTestTools()
  ws = await CloudWorkstation.start('hetzner', 'bench')
})
test.after(async () => {
  await ws?.stop()
  process.stderr.write(`hetzner faults: ${((performance.now() - started) / 1000).toFixed(1)} s\n`)
})

const hcloudError = (code: string, message: string) => ({ error: { code, message, details: {} } })

async function failedUp(extra: string[] = []): Promise<Finished> {
  const up = await ws!.up(STACK, extra)
  const record = await ws!.record(STACK)
  assert.is(record.status, 'failed', up.transcript)
  assert.ok(record.lastError?.message, 'the record keeps the error')
  return up
}

testUnless(
  test,
  whyNotRoot(),
  "a 503 burst on create: exit 50 with the API's words, key and firewall kept",
  async () => {
    ws!.hcloud.http.inject({
      method: 'POST',
      template: /^\/servers$/,
      status: 503,
      times: 2,
      body: hcloudError('unavailable', 'service unavailable'),
    })
    try {
      const up = await failedUp()
      assert.is(up.code, ExitCode.terraformFailed, up.transcript)
      assert.match(up.transcript, 'service unavailable (unavailable)', up.transcript)
      // hcloud-go does not retry a 5xx on create: the first answer of the burst ends the run.
      assert.is(ws!.hcloud.http.pendingFaults, 1)
    } finally {
      ws!.hcloud.http.clearFaults()
    }
    assert.is(ws!.hcloud.sshKeys.size, 1)
    assert.is(ws!.hcloud.firewalls.size, 1)
    assert.equal(ws!.liveServers, [])
  },
)

testUnless(
  test,
  whyNotRoot(),
  'the create action ends in error: exit 50 naming it; the re-run used the record',
  async () => {
    // A 429 first: hcloud-go waits for Retry-After and sends the create again (the re-run is not disturbed).
    ws!.hcloud.http.inject({
      method: 'POST',
      template: /^\/servers$/,
      status: 429,
      headers: { 'retry-after': '1' },
      body: hcloudError('rate_limit_exceeded', 'limit of 3600 requests per hour reached'),
    })
    ws!.hcloud.failNextCreate = 'the host system is full'
    const posts = () => ws!.hcloud.http.calls.filter((c) => c === 'POST /v1/servers').length
    const before = posts()
    const up = await failedUp()
    assert.is(up.code, ExitCode.terraformFailed, up.transcript)
    assert.match(up.transcript, 'the host system is full', up.transcript)
    assert.is(posts() - before, 2, 'the 429 was not retried')
    // Only the server was planned: the key and firewall of the first run were reused from its state.
    assert.equal(
      ws!.hcloud.http.calls.filter((c) => c === 'POST /v1/ssh_keys' || c === 'POST /v1/firewalls').length,
      2,
    )
    assert.equal(ws!.machines.inUse, [])
  },
)

testUnless(
  test,
  whyNotRoot(),
  'the API becomes unreachable mid-apply: exit 50 naming the connection',
  async () => {
    ws!.hcloud.http.inject({ method: 'POST', template: /^\/servers$/, drop: true, times: 10 })
    try {
      const up = await failedUp()
      assert.is(up.code, ExitCode.terraformFailed, up.transcript)
      assert.match(up.transcript, /\/v1\/servers": (EOF|.*connection reset)/, up.transcript)
    } finally {
      ws!.hcloud.http.clearFaults()
    }
  },
)

testUnless(
  test,
  whyNotRoot(),
  'a server that stays initializing past the wait: exit 52 naming the host',
  async () => {
    ws!.hcloud.holdInitializing = true
    ws!.machines.cloudInitStuck = true
    try {
      const up = await failedUp(['--wait-timeout', '5'])
      assert.is(up.code, ExitCode.hostNotReady, up.transcript)
      assert.match(up.transcript, `${ws!.host.address} was not ready after 5s`)
      assert.not.match(up.transcript, 'App phase')
    } finally {
      ws!.hcloud.holdInitializing = false
      ws!.machines.cloudInitStuck = false
      // The machine finishes booting after all: the next run finds it ready.
      await ws!.host.setCloudInitStatus('done')
    }
  },
)

testUnless(
  test,
  whyNotRoot(),
  'after every fault the next run converges, and destroy removes everything',
  async () => {
    const up = await ws!.up(STACK)
    assert.is(up.code, 0, up.transcript)
    assert.is((await ws!.record(STACK)).status, 'ready')
    await destroyAndVerify(ws!, STACK)
    assert.is(ws!.hcloud.sshKeys.size, 0)
    assert.is(ws!.hcloud.firewalls.size, 0)
  },
)

testUnless(
  test,
  whyNotRoot(),
  'Ctrl-C while the server is created: exit 130, recorded, destroy cleans up',
  async () => {
    ws!.machines.bootDelayMs = 20_000
    try {
      const args = ['--provider', 'hetzner', '--stack-name', 'hc', '--image', ws!.image]
      const session = ws!.spawn('scripts/up.ts', [...args, '--ports', `127.0.0.1:${ws!.appPort}:8080`])
      await session.expect('Type hc to continue', 120_000)
      session.type('hc\r')
      await session.expect('hcloud_server.node: creating', 120_000)
      // Interrupt while the provider waits for the create action (the server exists, the machine boots).
      const deadline = Date.now() + 30_000
      while (ws!.liveServers.length === 0 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 100))
      assert.is(ws!.liveServers.length, 1, session.transcript)
      await new Promise((resolve) => setTimeout(resolve, 500))
      session.type('\x03')
      const up = await ws!.finish(session, 120_000)
      assert.is(up.code, ExitCode.interrupted, up.transcript)
      assert.is((await ws!.record('hc')).status, 'interrupted')
    } finally {
      ws!.machines.bootDelayMs = 0
    }
    await destroyAndVerify(ws!, 'hc')
  },
)

testUnless(test, whyNotRoot(), 'every response, faults included, matches the API spec', async () => {
  assert.equal(await ws!.specProblems(), [])
})

test.run()
