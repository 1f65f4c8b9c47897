/**
 * The agent's own Go tests (lib/gate/agent/*_test.go: the seal-key vector, stat parsing, the binding rules,
 * pid pinning, unsealing, unwrapping), run with the Go the tools are built with, as part of the suite.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { realProc } from '../../../lib/proc.ts'
import { AGENT_SOURCE_DIR } from '../../../lib/tools/agent.ts'
import { buildGoEnv, findGo } from '../../../lib/tools/install.ts'

test('go test of the agent module passes', async () => {
  const go = findGo()
  const result = await realProc.run([go, 'test', '-count=1', '-mod=readonly', './...'], {
    env: buildGoEnv(go),
    cwd: AGENT_SOURCE_DIR,
  })
  assert.is(result.exitCode, 0, `${result.stdout}${result.stderr}`)
  assert.match(result.stdout, /^ok\s+debugcloud\.local\/agent/m)
})

test.run()
