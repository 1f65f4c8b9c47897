import { existsSync } from 'node:fs'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { HostKeyError } from '../../lib/infra/errors.ts'
import { buildKnownHostsLine, generateHostKey } from '../../lib/infra/host-key.ts'
import { buildChildEnv, type Proc, type RunOptions, realProc } from '../../lib/proc.ts'

/** Records the key file ssh-keygen was asked to write, then behaves like the real one or fails. */
function recordingProc(fail: boolean): { proc: Proc; keyFiles: string[] } {
  const keyFiles: string[] = []
  const proc: Proc = {
    run(argv, options: RunOptions) {
      const f = argv.indexOf('-f')
      if (argv.includes('-t')) keyFiles.push(argv[f + 1] ?? '')
      if (fail)
        return Promise.resolve({
          exitCode: 1,
          signal: null,
          stdout: '',
          stderr: 'ssh-keygen: simulated failure',
        })
      return realProc.run(argv, options)
    },
    start: realProc.start,
  }
  return { proc, keyFiles }
}

test('generates an ed25519 key whose fingerprint ssh-keygen agrees with, and removes its temp dir', async () => {
  const { proc, keyFiles } = recordingProc(false)
  const key = await generateHostKey(proc, 'unit-test')
  assert.match(key.privateKey, /^-----BEGIN OPENSSH PRIVATE KEY-----\n/)
  assert.match(key.publicKey, /^ssh-ed25519 [A-Za-z0-9+/]+ unit-test$/)
  const check = await realProc.run(['ssh-keygen', '-l', '-E', 'sha256', '-f', '-'], {
    env: buildChildEnv(),
    input: `${key.publicKey}\n`,
  })
  assert.ok(check.stdout.includes(key.fingerprint), check.stdout + check.stderr)
  assert.is(keyFiles.length, 1)
  assert.not.ok(existsSync(keyFiles[0] ?? ''), 'private key file removed')
  assert.not.ok(existsSync(`${keyFiles[0]}.pub`), 'temp dir removed')
})

test('a failing ssh-keygen raises HostKeyError and still removes the temp dir', async () => {
  const { proc, keyFiles } = recordingProc(true)
  try {
    await generateHostKey(proc)
    assert.unreachable('should have thrown')
  } catch (error) {
    assert.instance(error, HostKeyError)
    assert.match((error as Error).message, 'simulated failure')
  }
  const dir = (keyFiles[0] ?? '').replace(/\/[^/]+$/, '')
  assert.ok(dir.includes('debug-cloud-hostkey-'))
  assert.not.ok(existsSync(dir))
})

test('known_hosts lines pin the key without its comment, bracketing non-22 ports', () => {
  const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIabc host-comment'
  assert.is(
    buildKnownHostsLine('203.0.113.7', 22, key),
    '203.0.113.7 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIabc',
  )
  assert.is(
    buildKnownHostsLine('10.213.1.2', 2222, key),
    '[10.213.1.2]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIabc',
  )
})

test.run()
