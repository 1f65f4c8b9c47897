/**
 * The agent's place in the tool cache: a directory per source hash, a stamp with the Go version, and
 * agentBinary refusing (with how to fix it) when nothing was built for these sources.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ToolMissingError } from '../../../lib/errors.ts'
import {
  AGENT_NAME,
  agentBinary,
  agentBinaryPath,
  agentSourceHash,
  isAgentBuilt,
  listAgentSources,
} from '../../../lib/tools/agent.ts'
import { toolCacheRoot } from '../../../lib/tools/paths.ts'

test('the sources are the Go files without tests, go.mod and go.sum', () => {
  const sources = listAgentSources()
  assert.ok(sources.includes('go.mod') && sources.includes('go.sum') && sources.includes('main.go'))
  assert.not.ok(sources.some((f) => f.endsWith('_test.go') || f.endsWith('.ts')))
  assert.match(agentSourceHash(), /^[0-9a-f]{16}$/)
})

test('an empty cache has no agent, and agentBinary says how to build it', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'agent-build-'))
  const empty = { XDG_CACHE_HOME: scratch }
  try {
    assert.is(
      agentBinaryPath(empty),
      join(scratch, 'debug-cloud', 'tools', AGENT_NAME, agentSourceHash(), AGENT_NAME),
    )
    assert.not.ok(isAgentBuilt(empty))
    assert.throws(
      () => agentBinary(empty),
      (error: unknown) => error instanceof ToolMissingError && /npm run tools/.test(error.hint ?? ''),
    )
  } finally {
    rmSync(scratch, { recursive: true, force: true })
  }
})

test('the built agent is stamped with these sources and its Go; another Go means rebuild', () => {
  const env = { XDG_CACHE_HOME: resolve(toolCacheRoot(), '..', '..') }
  const stamp = JSON.parse(readFileSync(join(agentBinaryPath(env), '..', '.stamp.json'), 'utf8')) as {
    goVersion: string
  }
  assert.match(stamp.goVersion, /^go1\.\d+/)
  assert.ok(isAgentBuilt(env, stamp.goVersion))
  assert.not.ok(isAgentBuilt(env, 'go1.0'))
})

test.run()
