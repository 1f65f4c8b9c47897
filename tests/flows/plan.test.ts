/**
 * `cloud:plan` (lib/flows/plan.ts) end to end with `--provider local` on the real bench: a stack not created
 * yet is planned in a private scratch folder that is gone afterwards and creates nothing; after `cloud:up` the
 * same plan says "no changes" (exit 0); a changed port is a change (exit 2); `--json` carries the same report.
 * Planning the local provider needs no credential, so the gate asks no stack name, only the passphrase that opens
 * the state.
 */
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ExitCode } from '../../lib/errors.ts'
import { buildChildEnv, realProc } from '../../lib/proc.ts'
import { startBench } from '../harness/hosts.ts'
import type { TestBench, TestHost } from '../harness/types.ts'
import { testUnless, whyNotRoot } from '../helpers/skip.ts'
import { ensureTestTools } from '../helpers/tools.ts'
import { LauncherEnv, OPERATOR } from './launcher-env.ts'

const skip = whyNotRoot()
let bench: TestBench
let host: TestHost
const ws = new LauncherEnv()
const STACK = 'planned'

function stackArgs(port: number, extra: string[] = []): string[] {
  return [
    '--provider', 'local',
    '--stack-name', STACK,
    '--docker-host', host.dockerHost,
    '--known-hosts', host.knownHostsPath,
    '--ssh-key', host.clientKeyPath,
    '--image', host.image,
    '--ports', `127.0.0.1:${port}:8080`,
    ...extra,
  ] // biome-ignore format: flag/value pairs
}

async function containerNames(): Promise<string> {
  const done = await realProc.run(
    ['docker', '-H', `unix://${host.dockerSocket}`, 'ps', '-a', '--format', '{{.Names}}'],
    { env: buildChildEnv() },
  )
  return done.stdout
}

function stacksDir(): string {
  return join(ws.secrets, 'operators', OPERATOR, 'stacks')
}

test.before(async () => {
  if (skip) return
  await ensureTestTools()
  bench = await startBench(1)
  host = bench.hosts[0]!
  await ws.initOperator()
})

test.after(async () => {
  await bench?.stop()
  ws.cleanup()
})

testUnless(
  test,
  skip,
  'a stack not created yet: exit 2, planned in a scratch folder that is gone, nothing made',
  async () => {
    const plan = ws.spawn('scripts/plan.ts', stackArgs(18090))
    assert.is(await ws.finish(plan), ExitCode.planChanges, plan.transcript)
    assert.match(plan.transcript, `Stack ${STACK} on local (not created yet):`)
    assert.match(plan.transcript, 'App (container): 2 to add, 0 to change, 0 to destroy.')
    assert.not.match(plan.transcript, `Type ${STACK} to continue`)
    assert.not.match(await containerNames(), STACK)
    const leftovers = existsSync(stacksDir()) ? readdirSync(stacksDir()) : []
    assert.equal(
      leftovers.filter((e) => e.startsWith(`${STACK}.plan-`)),
      [],
      'the scratch folder was removed',
    )
    assert.is((await ws.readState()).stacks[STACK], undefined, 'a plan records nothing')
  },
)

testUnless(
  test,
  skip,
  'after cloud:up the same plan has no changes (exit 0); --json says so too',
  async () => {
    const up = ws.spawn('scripts/up.ts', stackArgs(18090))
    await up.expect(`Type ${STACK} to continue`, 120_000)
    up.type(`${STACK}\r`)
    assert.is(await ws.finish(up), 0, up.transcript)

    const plan = ws.spawn('scripts/plan.ts', stackArgs(18090))
    assert.is(await ws.finish(plan), ExitCode.ok, plan.transcript)
    assert.match(plan.transcript, `Stack ${STACK} on local:`)
    assert.match(plan.transcript, 'App (container): no changes.')

    const json = ws.spawn('scripts/plan.ts', stackArgs(18090, ['--json']))
    assert.is(await ws.finish(json), ExitCode.ok, json.transcript)
    const line = json.transcript.split(/\r?\n/).find((l) => l.startsWith('{"type":"result"'))
    assert.ok(line, json.transcript)
    const report = JSON.parse(line) as { exists: boolean; hasChanges: boolean; phases: { phase: string }[] }
    assert.equal(
      { exists: report.exists, hasChanges: report.hasChanges, phases: report.phases.map((p) => p.phase) },
      { exists: true, hasChanges: false, phases: ['app'] },
    )
  },
)

testUnless(test, skip, 'a changed port is a change (exit 2) and the plan changes nothing', async () => {
  const plan = ws.spawn('scripts/plan.ts', stackArgs(18091))
  assert.is(await ws.finish(plan), ExitCode.planChanges, plan.transcript)
  assert.match(plan.transcript, /App \(container\): \d+ to add, \d+ to change, \d+ to destroy\./)
  assert.not.match(plan.transcript, 'App (container): no changes.')
  const still = ws.spawn('scripts/plan.ts', stackArgs(18090))
  assert.is(await ws.finish(still), ExitCode.ok, still.transcript)
})

testUnless(test, skip, 'destroy cleans up the planned stack', async () => {
  const destroy = ws.spawn('scripts/destroy.ts', ['--stack-name', STACK, '--ssh-key', host.clientKeyPath])
  await destroy.expect(`Type ${STACK} to continue`, 120_000)
  destroy.type(`${STACK}\r`)
  assert.is(await ws.finish(destroy), 0, destroy.transcript)
  assert.not.match(await containerNames(), STACK)
})

test.run()
