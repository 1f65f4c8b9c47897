import { spawnSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { StateIoError } from '../../lib/state/errors.ts'
import { createPlaintextOperator, openTestStore } from '../helpers/operator.ts'
import { testUnless, whyNotRoot } from '../helpers/skip.ts'
import { makeTempEnv, rejection } from './env.ts'
import { buildSampleStack } from './sample.ts'

const t = makeTempEnv()
test.after(() => t.cleanup())

testUnless(
  test,
  whyNotRoot(),
  'a state write onto a full disk fails and the old state stays intact',
  async () => {
    mkdirSync(t.secrets)
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', t.secrets])
    assert.is(mounted.status, 0, mounted.stderr.toString())
    try {
      await createPlaintextOperator('alice', t.env)
      const store = await openTestStore('alice', t.env)
      await store.update((doc) => ({ ...doc, stacks: { lab: buildSampleStack('lab') } }))
      const before = readFileSync(store.paths.state, 'utf8')
      // The disk fills up while the lock is held, so the failing write is the state write itself.
      const error = await rejection(
        store.update((doc) => {
          try {
            writeFileSync(join(t.secrets, 'filler'), Buffer.alloc(1024 * 1024))
          } catch {
            /* ENOSPC: the disk is now full, which is the point */
          }
          for (let i = 0; i < 50; i++) doc.stacks[`big-${i}`] = buildSampleStack(`big-${i}`)
          return doc
        }),
      )
      assert.instance(error, StateIoError, `${error.name}: ${error.message}\n${error.stack}`)
      assert.match(error.message, `Could not write ${store.paths.state} (ENOSPC)`)
      assert.match(error.message, 'the previous file is intact')
      assert.is(readFileSync(store.paths.state, 'utf8'), before)
      assert.equal(Object.keys((await store.read()).doc.stacks), ['lab'])
      // The pending history entry of the failed write is gone (it would be settled later, but is not left).
      assert.equal(
        readdirSync(store.paths.history).filter((name) => name.startsWith('.pending-')),
        [],
      )
      const leftovers = readdirSync(store.paths.dir).filter((name) => name.endsWith('.tmp'))
      assert.equal(leftovers, [])
    } finally {
      spawnSync('umount', [t.secrets])
    }
  },
)

test.run()
