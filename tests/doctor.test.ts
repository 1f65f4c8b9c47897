/**
 * `npm run doctor` (lib/doctor.ts) as a person runs it, in a throw-away HOME and secrets dir: each check says
 * what is wrong and what to do, and the exit code is toolMissing (69) only when something needed fails. doctor
 * reads no secret: credentials are checked for presence, and no value appears in its output.
 */
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Check } from '../lib/doctor.ts'
import { ExitCode } from '../lib/errors.ts'
import { toolCacheRoot } from '../lib/tools/paths.ts'
import { createPlaintextOperator } from './helpers/operator.ts'
import { TSX } from './helpers/pty.ts'
import { ensureTestTools } from './helpers/tools.ts'
import { makeTempEnv } from './state/env.ts'

const t = makeTempEnv()
test.after(() => t.cleanup())
const sshKey = join(t.dir, 'id_ed25519')
const TOKEN = `doctor-token-${'d'.repeat(51)}`

test.before(async () => {
  await ensureTestTools()
})

function doctor(extra: Record<string, string> = {}, args: string[] = []) {
  const done = spawnSync(TSX, ['scripts/doctor.ts', '--json', '--ssh-key', sshKey, ...args], {
    env: {
      ...(t.env as Record<string, string>),
      XDG_CACHE_HOME: join(toolCacheRoot(), '..', '..'),
      ...extra,
    },
    encoding: 'utf8',
  })
  const checks = (JSON.parse(done.stdout) as { checks: Check[] }).checks
  const check = (name: string): Check => {
    const found = checks.find((c) => c.name === name)
    if (!found) throw new Error(`no "${name}" check in:\n${done.stdout}`)
    return found
  }
  return { code: done.status, output: done.stdout + done.stderr, check }
}

test('a new machine without an operator: the operator check fails and says to run operator:init', () => {
  const run = doctor()
  assert.is(run.code, ExitCode.toolMissing, run.output)
  assert.is(run.check('operator').level, 'fail')
  assert.match(run.check('operator').fix ?? '', 'npm run operator:init -- --operator <name>')
  assert.is(run.check('node').level, 'ok')
  assert.is(run.check('sops').level, 'ok', 'the pinned tools are built')
  assert.is(run.check('ssh key').level, 'warn')
  assert.match(run.check('ssh key').fix ?? '', 'ssh-keygen -t ed25519')
})

test('a plaintext identity is a warning naming --seal; the operator passes', async () => {
  await createPlaintextOperator('alice', t.env)
  writeFileSync(sshKey, 'not really a key\n', { mode: 0o600 })
  const run = doctor()
  assert.is(run.code, ExitCode.ok, run.output)
  assert.is(run.check('operator').level, 'ok')
  assert.is(run.check('age identity').level, 'warn')
  assert.match(run.check('age identity').fix ?? '', 'npm run operator:init -- --seal')
  assert.is(run.check('ssh key').level, 'ok')
})

test('an ssh key others can read fails with the chmod that fixes it', () => {
  chmodSync(sshKey, 0o644)
  const run = doctor()
  assert.is(run.code, ExitCode.toolMissing, run.output)
  assert.is(run.check('ssh key').level, 'fail')
  assert.is(run.check('ssh key').fix, `chmod 600 ${sshKey}`)
  chmodSync(sshKey, 0o600)
})

test('a token in the environment is named (never shown) with the command that seals it', () => {
  const run = doctor({ HCLOUD_TOKEN: TOKEN })
  const hetzner = run.check('hetzner credentials')
  assert.is(hetzner.level, 'warn')
  assert.match(hetzner.detail, 'HCLOUD_TOKEN in plain text')
  assert.match(hetzner.fix ?? '', 'npm run credentials -- set HCLOUD_TOKEN')
  assert.not.match(run.output, TOKEN)
  assert.is(doctor().check('hetzner credentials').level, 'ok')
})

test('an unknown operator is a failure that names it', () => {
  mkdirSync(join(t.secrets, 'operators'), { recursive: true })
  const run = doctor({}, ['--operator', 'nobody'])
  assert.is(run.code, ExitCode.toolMissing, run.output)
  assert.is(run.check('operator').level, 'fail')
  assert.match(run.check('operator').detail, 'nobody')
})

test.run()
