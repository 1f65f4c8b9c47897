/**
 * `--provider contabo` end to end, as a person runs it: the REAL cloud:up with the real pinned tofu and the
 * Contabo provider 0.1.30 (built from its vendored sources) against the Contabo API STAND-IN (CNTB_API,
 * CNTB_OAUTH2_TOKEN_URL), a bench host as the instance, the gate passed in a pty. The full cycle, the
 * reinstall on a user-data change flagged DESTRUCTIVE at the gate, host-key mismatch, an OAuth2 endpoint that
 * refuses, the token cache never left on disk, and the leak scan.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ExitCode } from '../../lib/errors.ts'
import { operatorPaths } from '../../lib/state/paths.ts'
import { stackFolder } from '../../lib/state/workspace.ts'
import { getTool } from '../../lib/tools/spec.ts'
import { whyUnavailable } from '../../lib/tools/stamp.ts'
import { OPERATOR } from '../gate/sandbox.ts'
import { testUnless, whyNotRoot } from '../helpers/skip.ts'
import { ensureTestTools } from '../helpers/tools.ts'
import { assertInOrder, destroyAndVerify, fullCycle, hostKeyMismatch, leakScan, type Secrets } from './e2e.ts'
import { CloudWorkstation, listFiles } from './workstation.ts'

const skip = whyNotRoot() ?? whyUnavailable(getTool('provider-contabo'))
let ws: CloudWorkstation | undefined
let secrets: Secrets | undefined
const started = performance.now()

test.before(async () => {
  if (skip !== undefined) return
  await ensureTestTools()
  ws = await CloudWorkstation.start('contabo')
})
test.after(async () => {
  await ws?.stop()
  process.stderr.write(`contabo e2e: ${((performance.now() - started) / 1000).toFixed(1)} s\n`)
})

testUnless(
  test,
  skip,
  'contabo: up, status --refresh, connect, logs, converged re-run, destroy cancels',
  async () => {
    secrets = await fullCycle(ws!, 'c1')
    const calls = ws!.contabo.http.calls
    assert.ok(
      calls.some((c) => /^POST \/v1\/compute\/instances\/\d+\/cancel$/.test(c)),
      'destroy cancels',
    )
    // The provider's token cache lived only in the run's private HOME: nothing of it is left anywhere.
    const box = listFiles(ws!.box.dir)
    assert.equal(
      box.filter((f) => f.includes(join('.cache', 'contabo'))),
      [],
    )
    for (const token of ws!.contabo.issuedTokens) secrets[`issued token ${token.slice(-8)}`] = token
  },
)

testUnless(
  test,
  skip,
  'contabo: a user-data change is a reinstall, flagged DESTRUCTIVE at the gate',
  async () => {
    const stack = 'c-re'
    const up = await ws!.up(stack)
    assert.is(up.code, 0, up.transcript)
    const home = join(
      stackFolder(operatorPaths(OPERATOR, { DEBUG_CLOUD_SECRETS_DIR: ws!.box.secrets }), stack),
      'host',
      'home',
    )
    assert.not.ok(existsSync(home), 'the private HOME of tofu was not removed')
    // Another SSH source range changes the nftables rules in the user data: Contabo reinstalls in place.
    const session = ws!.spawn('scripts/up.ts', [
      '--provider',
      'contabo',
      '--stack-name',
      stack,
      '--image',
      ws!.image,
      '--ports',
      `127.0.0.1:${ws!.appPort}:8080`,
      '--ssh-from',
      '198.51.100.0/24',
    ])
    await session.expect(`Type ${stack} to continue`, 120_000)
    session.type('no\r')
    const declined = await ws!.finish(session)
    assert.is(declined.code, ExitCode.gateWrongName, declined.transcript)
    assertInOrder(declined.transcript, ['DESTRUCTIVE REINSTALL', 'user_data', `Type ${stack} to continue`])
    assert.not.ok(
      ws!.contabo.http.calls.some((c) => c.startsWith('PUT ')),
      'declined, yet reinstalled',
    )
    await destroyAndVerify(ws!, stack)
  },
)

testUnless(
  test,
  skip,
  'contabo: the instance serves another host key → exit 51, destroy cleans up',
  async () => {
    await hostKeyMismatch(ws!, 'c-key')
  },
)

testUnless(
  test,
  skip,
  'contabo: the OAuth2 token endpoint refuses → a clear error before anything is created',
  async () => {
    ws!.contabo.refuseTokens = 401
    try {
      const up = await ws!.up('c-auth', [], false)
      assert.is(up.code, ExitCode.terraformFailed, up.transcript)
      assert.match(up.transcript, 'Invalid user credentials')
      assert.equal(ws!.liveServers, [])
      assert.is((await ws!.record('c-auth')).status, 'failed')
    } finally {
      ws!.contabo.refuseTokens = undefined
    }
  },
)

testUnless(
  test,
  skip,
  "contabo: an instance that ends in error → exit 50 in Contabo's words; destroy cancels it",
  async () => {
    ws!.contabo.failNextCreate = 'the product is not available in this region'
    const up = await ws!.up('c-err')
    assert.is(up.code, ExitCode.terraformFailed, up.transcript)
    assert.match(up.transcript, 'Contabo reports the instance as "error", not running', up.transcript)
    assert.match(up.transcript, 'the product is not available in this region')
    assert.is((await ws!.record('c-err')).status, 'failed')
    assert.equal(ws!.machines.inUse, [])
    await destroyAndVerify(ws!, 'c-err')
  },
)

testUnless(
  test,
  skip,
  'contabo: no secret in any file or transcript; every response matches the API spec',
  async () => {
    assert.ok(secrets, 'the full cycle did not finish')
    leakScan(ws!, secrets!)
    assert.equal(await ws!.specProblems(), [])
  },
)

test.run()
