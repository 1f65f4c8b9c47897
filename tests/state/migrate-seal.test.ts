/**
 * Migration of an operator from before sealing: a plaintext age identity still opens the state, and every use
 * says so and how to seal it; `operator:init --seal` (the real script in a pty, the new passphrase typed twice)
 * seals the keys file in age's scrypt format and seals the state with it; from then on the passphrase is asked,
 * the warning is gone, and a process that has only the files (not the passphrase) can no longer decrypt.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { sopsBinary, toolCacheRoot } from '../../lib/tools/paths.ts'
import { answerPassphrase, createPlaintextOperator, testPassphrase } from '../helpers/operator.ts'
import { spawnTsxPty } from '../helpers/pty.ts'
import { ensureTestTools } from '../helpers/tools.ts'
import { makeTempEnv } from './env.ts'

const t = makeTempEnv()
test.after(() => t.cleanup())
const env: Record<string, string> = {
  ...(t.env as Record<string, string>),
  XDG_CACHE_HOME: join(toolCacheRoot(), '..', '..'),
  TERM: 'xterm',
}
const stateFile = join(t.secrets, 'operators/alice/state.sops.yaml')
const passphrase = testPassphrase()
const PLAINTEXT_WARNING = /is a plaintext file: any process running as you can read it/
const TOKEN = 'm'.repeat(64)

test.before(async () => {
  await ensureTestTools()
  await createPlaintextOperator('alice', t.env)
})

async function credentials(...args: string[]) {
  const session = answerPassphrase(
    spawnTsxPty('scripts/credentials.ts', [...args, '--operator', 'alice'], { env }),
    passphrase,
  )
  const code = await session.exitCode(120_000)
  return { code, transcript: session.transcript }
}

function sopsWithFilesOnly() {
  return spawnSync(sopsBinary(), ['-d', stateFile], {
    env: { PATH: env.PATH ?? '', HOME: env.HOME ?? '', XDG_CONFIG_HOME: env.XDG_CONFIG_HOME ?? '' },
    encoding: 'utf8',
    input: '',
  })
}

test('a plaintext identity still opens and writes the state, warned about with the command that seals it', async () => {
  writeFileSync(join(t.dir, 'token.txt'), `${TOKEN}\n`, { mode: 0o600 })
  const set = await credentials('set', 'HCLOUD_TOKEN', '--from-file', join(t.dir, 'token.txt'))
  assert.is(set.code, 0, set.transcript)
  assert.match(set.transcript, PLAINTEXT_WARNING)
  assert.match(set.transcript, 'npm run operator:init -- --seal')
  assert.not.match(set.transcript, /Passphrase of your identity/)
  assert.is(sopsWithFilesOnly().status, 0, 'before sealing, the files alone decrypt the state')
})

test('operator:init --seal seals the keys file and the state; the passphrase is asked from then on', async () => {
  const seal = spawnTsxPty('scripts/operator-init.ts', ['--operator', 'alice', '--seal'], { env })
  await seal.expect('New passphrase', 60_000)
  seal.type(`${passphrase}\r`)
  await seal.expect('The same passphrase again')
  seal.type(`${passphrase}\r`)
  assert.is(await seal.exitCode(120_000), 0, seal.transcript)
  assert.match(seal.transcript, 'is sealed with your passphrase')
  assert.match(seal.transcript, 'The state of alice is sealed by your identity')

  const keys = readFileSync(t.keysFile, 'utf8')
  assert.ok(/^(age-encryption\.org\/v1|-----BEGIN AGE ENCRYPTED FILE-----)/.test(keys), keys.slice(0, 40))
  assert.not.match(keys, 'AGE-SECRET-KEY-', 'no plaintext identity is left in the keys file')

  const list = await credentials('list')
  assert.is(list.code, 0, list.transcript)
  assert.match(list.transcript, /Passphrase of your identity/)
  assert.match(list.transcript, 'HCLOUD_TOKEN')
  assert.not.match(list.transcript, PLAINTEXT_WARNING)
  assert.not.match(list.transcript, TOKEN, 'list never shows a value')

  const filesOnly = sopsWithFilesOnly()
  assert.ok(filesOnly.status !== 0, 'after sealing, the files alone do not decrypt the state')
  assert.not.match(filesOnly.stdout, TOKEN)
})

test.run()
