/**
 * Every error path goes through the process redactor: a record minted the real way (tokens, passphrase, a
 * generated host key) registered as the flows register it, then errors that carry its secrets verbatim,
 * encoded and line by line, reported by reportError in every output mode.
 */
import { Writable } from 'node:stream'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { reportError } from '../../lib/cli/main.ts'
import { Output } from '../../lib/cli/output.ts'
import { CliError, ExitCode } from '../../lib/errors.ts'
import { mintStackRecord, registerSecrets } from '../../lib/flows/record.ts'
import { providerModule } from '../../lib/providers/index.ts'
import { processRedactor, REDACTED } from '../../lib/terraform/redact.ts'

const record = mintStackRecord(providerModule('hetzner'), {
  provider: 'hetzner',
  env: 'test',
  image: 'img',
  ports: [],
  size: undefined,
  location: undefined,
})
registerSecrets({ redactor: processRedactor }, record)
const keyLines = record.ssh!.hostKeyPrivate.trim().split('\n').slice(1, -1)
const b64 = (text: string) => Buffer.from(text).toString('base64')

/** Every form of a secret an error below carries. */
const leaks = [
  record.tokens.api,
  b64(record.tokens.runner),
  encodeURIComponent(record.terraform.statePassphrase),
  ...keyLines,
]

function report(error: unknown, mode: { json: boolean; verbose: boolean }): string {
  let text = ''
  const sink = new Writable({
    write(chunk, _encoding, done) {
      text += chunk.toString()
      done()
    },
  })
  reportError(error, new Output({ ...mode, stdout: sink, stderr: sink, env: {} }))
  return text
}

const errors = () => [
  new CliError(`Could not reach the API with ${record.tokens.api}; key line ${keyLines.at(-1)}`, {
    hint: `Retry with Authorization: Basic ${b64(record.tokens.runner)}`,
    exitCode: ExitCode.terraformFailed,
  }),
  new Error(
    `GET /unlock?p=${encodeURIComponent(record.terraform.statePassphrase)} failed:\n${record.ssh!.hostKeyPrivate}`,
  ),
]

for (const mode of [
  { json: false, verbose: false },
  { json: false, verbose: true },
  { json: true, verbose: false },
]) {
  test(`reportError redacts message, hint and stack (json ${mode.json}, verbose ${mode.verbose})`, () => {
    for (const error of errors()) {
      const printed = report(error, mode)
      assert.match(printed, REDACTED)
      for (const secret of leaks) assert.not.ok(printed.includes(secret), `leaked ${secret}:\n${printed}`)
    }
  })
}

test('the exit code and the non-secret text survive redaction', () => {
  const printed = report(errors()[0], { json: true, verbose: false })
  const { error } = JSON.parse(printed) as { error: { message: string; hint: string; exitCode: number } }
  assert.is(error.exitCode, ExitCode.terraformFailed)
  assert.match(error.message, /^Could not reach the API with \[redacted\]; key line \[redacted\]$/)
  assert.is(error.hint, 'Retry with Authorization: Basic [redacted]')
})

test.run()
