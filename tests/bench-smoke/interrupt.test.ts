/**
 * Clean-up when a test run does not end normally: Ctrl-C (SIGINT) and SIGTERM stop the bench before the
 * process exits; after a SIGKILL the next bench's sweep removes the orphaned hosts.
 */
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { buildChildEnv, realProc } from '../../lib/proc.ts'
import { listLeftovers } from '../harness/leftovers.ts'
import { sweepLeftovers } from '../harness/sweep.ts'
import { testUnless, whyNotRoot } from '../helpers/skip.ts'

const fixture = join(import.meta.dirname, 'fixtures', 'hold-bench.ts')
const skip = whyNotRoot()

interface Held {
  hosts: string[]
  benchDir: string
}

async function holdBench(
  signal: NodeJS.Signals,
): Promise<{ held: Held; exitCode: number | null; signal: string | null }> {
  const child = realProc.start([process.execPath, '--import', 'tsx', fixture, '1'], {
    env: buildChildEnv(),
    cwd: join(import.meta.dirname, '..', '..'),
  })
  let first: string | undefined
  for await (const line of child.lines()) {
    first = line
    break
  }
  assert.ok(first, 'the fixture printed its hosts')
  const held = JSON.parse(first) as Held
  child.kill(signal)
  const done = await child.done
  return { held, exitCode: done.exitCode, signal: done.signal }
}

const allLeftovers = (held: Held) => held.hosts.flatMap((h) => listLeftovers(h))

for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  testUnless(test, skip, `${signal} during a run stops the bench and leaves nothing behind`, async () => {
    const { held, exitCode } = await holdBench(signal)
    assert.is(exitCode, code)
    assert.equal(allLeftovers(held), [])
    assert.not.ok(existsSync(resolve(held.benchDir)), 'bench dir left')
  })
}

testUnless(test, skip, 'after a SIGKILL the sweep removes the orphaned host', async () => {
  const { held, signal } = await holdBench('SIGKILL')
  assert.is(signal, 'SIGKILL')
  assert.ok(allLeftovers(held).length > 0, 'a killed run leaves its host running until the sweep')
  const removed = await sweepLeftovers()
  for (const host of held.hosts) assert.ok(removed.includes(host), `${host} was swept: ${removed.join(', ')}`)
  assert.equal(allLeftovers(held), [])
  assert.not.ok(existsSync(resolve(held.benchDir)), 'bench dir left')
})

test.run()
