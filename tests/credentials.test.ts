/** The `.env` credentials file: read when only its owner may, refused like a private key file otherwise. */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { credentialPresence, loadCredentials } from '../lib/credentials.ts'
import { CredentialsFileUnsafeError, ExitCode } from '../lib/errors.ts'

const dir = mkdtempSync(join(tmpdir(), 'credentials-test-'))
const envFile = join(dir, '.env')
test.after(() => rmSync(dir, { recursive: true, force: true }))

test('a 0600 .env is read; values never come from a file others may read', () => {
  writeFileSync(envFile, 'HCLOUD_TOKEN=tok-from-file\n', { mode: 0o600 })
  chmodSync(envFile, 0o600)
  assert.equal(loadCredentials(['HCLOUD_TOKEN'], envFile, {}), { HCLOUD_TOKEN: 'tok-from-file' })
  for (const mode of [0o644, 0o640, 0o604, 0o660, 0o602]) {
    chmodSync(envFile, mode)
    for (const read of [
      () => loadCredentials(['HCLOUD_TOKEN'], envFile, {}),
      () => credentialPresence(['HCLOUD_TOKEN'], envFile, {}),
    ])
      assert.throws(read, (e: unknown) => {
        const error = e as CredentialsFileUnsafeError
        return (
          e instanceof CredentialsFileUnsafeError &&
          error.exitCode === ExitCode.permission &&
          error.message ===
            `The credentials file ${envFile} is accessible by group or others (mode ${mode.toString(8)}).` &&
          error.hint ===
            `Run \`chmod 600 ${envFile}\`; it holds your cloud accounts' tokens, readable by you only.`
        )
      })
  }
})

test('no .env at all: credentials come from the environment', () => {
  assert.equal(loadCredentials(['HCLOUD_TOKEN'], join(dir, 'missing.env'), { HCLOUD_TOKEN: 'from-env' }), {
    HCLOUD_TOKEN: 'from-env',
  })
})

test.run()
