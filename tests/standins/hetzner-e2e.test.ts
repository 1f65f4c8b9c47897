/**
 * `--provider hetzner` end to end, as a person runs it: the REAL cloud:up with the real pinned tofu and the
 * unmodified hcloud provider against the Hetzner Cloud API STAND-IN (HCLOUD_ENDPOINT), each server a booted
 * Debian machine where real cloud-init runs the user data, the gate passed in a pty (passphrase and stack name
 * typed). up → status --refresh → connect (app port; the Docker socket with a typed approval) → logs → re-run
 * (no change, no prompt) → destroy (the server gone from the stand-in, the machine powered off and removed);
 * host-key mismatch; a user data that fails, reported in cloud-init's own words; leak scan.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ExitCode } from '../../lib/errors.ts'
import { testUnless, whyNotRoot } from '../helpers/skip.ts'
import { ensureTestTools } from '../helpers/tools.ts'
import { destroyAndVerify, fullCycle, hostKeyMismatch, leakScan, type Secrets } from './e2e.ts'
import { BootedMachines } from './machine-backend.ts'
import { CloudWorkstation } from './workstation.ts'

let ws: CloudWorkstation | undefined
let secrets: Secrets | undefined
const started = performance.now()

test.before(async () => {
  if (whyNotRoot() !== undefined) return
  await ensureTestTools()
  ws = await CloudWorkstation.start('hetzner')
  // The token lives in the operator's sealed state, as the docs tell a person to keep it.
  await ws.sealCredential('HCLOUD_TOKEN')
})
test.after(async () => {
  await ws?.stop()
  process.stderr.write(`hetzner e2e: ${((performance.now() - started) / 1000).toFixed(1)} s\n`)
})

testUnless(
  test,
  whyNotRoot(),
  'hetzner: up, status --refresh, connect, logs, converged re-run, destroy',
  async () => {
    secrets = await fullCycle(ws!, 'h1')
    // The token came from the sealed state: nothing warned about a plaintext credential.
    assert.not.ok(
      ws!.transcripts.some((t) => t.includes('credentials -- set HCLOUD_TOKEN')),
      'a plaintext HCLOUD_TOKEN was warned about',
    )
    const calls = ws!.hcloud.http.calls
    assert.ok(
      calls.some((c) => c.startsWith('GET /v1/actions?id=')),
      'the provider polled actions by ?id=',
    )
  },
)

testUnless(
  test,
  whyNotRoot(),
  'hetzner: the server serves another host key → exit 51, destroy cleans up',
  async () => {
    await hostKeyMismatch(ws!, 'h-key')
  },
)

testUnless(
  test,
  whyNotRoot(),
  "hetzner: a user data step that fails ends the wait at once with cloud-init's words (exit 52); destroy cleans up",
  async () => {
    const machines = ws!.machines
    assert.instance(machines, BootedMachines)
    ;(machines as BootedMachines).cloudInitFails = true
    try {
      const up = await ws!.up('h-fail')
      assert.is(up.code, ExitCode.hostNotReady, up.transcript)
      assert.match(up.transcript, /cloud-init on \S+ reported an error/)
      assert.match(up.transcript, 'Runparts: 1 failures (runcmd)')
      assert.not.match(up.transcript, 'App phase')
      assert.is((await ws!.record('h-fail')).status, 'failed')
    } finally {
      ;(machines as BootedMachines).cloudInitFails = false
    }
    await destroyAndVerify(ws!, 'h-fail')
  },
)

testUnless(
  test,
  whyNotRoot(),
  'hetzner: no secret in any file or transcript; every response matches the API spec',
  async () => {
    assert.ok(secrets, 'the full cycle did not finish')
    leakScan(ws!, secrets!)
    assert.equal(await ws!.specProblems(), [])
  },
)

test.run()
