/**
 * Where provider credentials come from: the sealed state first, then the project's `.env`, then the
 * environment; the last two are warned about (naming where, and the command that moves them in), and a `.env`
 * that group or others may read is refused like a private key file.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { loadCredentials, locateCredentials } from '../lib/credentials.ts'
import { CredentialsFileUnsafeError, ExitCode } from '../lib/errors.ts'

const dir = mkdtempSync(join(tmpdir(), 'credentials-test-'))
const envFile = join(dir, '.env')
test.after(() => rmSync(dir, { recursive: true, force: true }))

/** loadCredentials with the warnings it gave. */
function load(names: string[], sources: Parameters<typeof loadCredentials>[1]) {
  const warnings: string[] = []
  const values = loadCredentials(names, sources, (line) => warnings.push(line))
  return { values, warnings }
}

test('a 0600 .env is read, with a warning naming it and the command that moves the value in', () => {
  writeFileSync(envFile, 'HCLOUD_TOKEN=tok-from-file\n', { mode: 0o600 })
  chmodSync(envFile, 0o600)
  const { values, warnings } = load(['HCLOUD_TOKEN'], { state: {}, envFile, env: {} })
  assert.equal(values, { HCLOUD_TOKEN: 'tok-from-file' })
  assert.is(warnings.length, 1)
  assert.match(warnings[0] ?? '', `HCLOUD_TOKEN (${envFile})`)
  assert.match(warnings[0] ?? '', 'npm run credentials -- set HCLOUD_TOKEN')
  assert.not.match(warnings[0] ?? '', 'tok-from-file')
})

test('values never come from a .env others may read', () => {
  writeFileSync(envFile, 'HCLOUD_TOKEN=tok-from-file\n', { mode: 0o600 })
  for (const mode of [0o644, 0o640, 0o604, 0o660, 0o602]) {
    chmodSync(envFile, mode)
    for (const read of [
      () => load(['HCLOUD_TOKEN'], { state: {}, envFile, env: {} }),
      () => locateCredentials(['HCLOUD_TOKEN'], { state: {}, envFile, env: {} }),
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
  chmodSync(envFile, 0o600)
})

test('the sealed state wins over .env and the environment, and gives no warning', () => {
  const { values, warnings } = load(['HCLOUD_TOKEN'], {
    state: { HCLOUD_TOKEN: 'tok-from-state' },
    envFile,
    env: { HCLOUD_TOKEN: 'tok-from-env' },
  })
  assert.equal(values, { HCLOUD_TOKEN: 'tok-from-state' })
  assert.equal(warnings, [])
})

test('no .env at all: credentials come from the environment, warned about', () => {
  const { values, warnings } = load(['HCLOUD_TOKEN'], {
    state: {},
    envFile: join(dir, 'missing.env'),
    env: { HCLOUD_TOKEN: 'from-env' },
  })
  assert.equal(values, { HCLOUD_TOKEN: 'from-env' })
  assert.match(warnings[0] ?? '', 'HCLOUD_TOKEN (the environment)')
})

test('a missing credential is named with the command that stores it; an empty value counts as missing', () => {
  assert.throws(
    () =>
      load(['CNTB_CLIENT_ID', 'CNTB_USER'], {
        state: { CNTB_USER: '' },
        envFile: join(dir, 'none'),
        env: {},
      }),
    (e: unknown) =>
      e instanceof Error &&
      e.message === 'Missing provider credentials: CNTB_CLIENT_ID, CNTB_USER.' &&
      (e as { hint?: string }).hint?.includes('`npm run credentials -- set CNTB_CLIENT_ID`') === true,
  )
})

test.run()
