import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { describeDiagnostic, formatDiagnostic } from '../../lib/terraform/diagnostics.ts'
import { TerraformOutputError } from '../../lib/terraform/errors.ts'
import { parseEventLine, type TfEvent, UnsupportedUiVersionError } from '../../lib/terraform/events.ts'
import { parseOutputs, readStringOutput } from '../../lib/terraform/outputs.ts'
import { REDACTED, Redactor } from '../../lib/terraform/redact.ts'
import { fixtureLines, readFixture } from './fixtures.ts'

const parseAll = (name: string): TfEvent[] =>
  fixtureLines(name).flatMap((line) => {
    const event = parseEventLine(line)
    return event === undefined ? [] : [event]
  })

test('recorded apply with outputs: version, hooks with addresses and elapsed time, summary, outputs', () => {
  const events = parseAll('cloud-apply-json-with-outputs-apply.jsonl')
  assert.equal(
    events.map((e) => e.type),
    ['version', 'apply_start', 'apply_complete', 'change_summary', 'outputs'],
  )
  const [version, start, complete, summary, outputs] = events
  assert.equal(version, {
    type: 'version',
    tool: 'Terraform',
    version: '1.3.7',
    ui: '1.0',
    message: 'Terraform 1.3.7',
    level: 'info',
    timestamp: '2023-01-20T21:13:14.916732Z',
  })
  assert.is(start?.type === 'apply_start' && start.address, 'null_resource.foo')
  assert.is(complete?.type === 'apply_complete' && complete.elapsedSeconds, 0)
  assert.equal(summary?.type === 'change_summary' && summary.changes, {
    operation: 'apply',
    add: 1,
    change: 0,
    remove: 0,
    import: 0,
  })
  // Only names: the 1.3.7 stream still carries the sensitive value, which must not survive parsing.
  assert.equal(outputs?.type === 'outputs' && outputs.names, ['complex', 'secret', 'simple'])
  assert.not.ok(JSON.stringify(events).includes('my-secret'))
})

test('recorded provisioner failure: errored hook, then the diagnostic with its address and location', () => {
  const events = parseAll('cloud-apply-json-with-provisioner-error-apply.jsonl')
  const diagnostic = events.find((e) => e.type === 'diagnostic')
  assert.equal(diagnostic?.type === 'diagnostic' && diagnostic.diagnostic, {
    severity: 'error',
    summary: 'local-exec provisioner error',
    detail: "Error running command 'exit 125': exit status 125. Output: ",
    address: 'null_resource.foo',
    location: 'main.tf:2',
  })
  assert.ok(events.some((e) => e.type === 'apply_errored'))
  assert.not.ok(events.some((e) => e.type === 'change_summary'))
})

test('untyped and unknown message types become messages showing @message; blank lines are skipped', () => {
  const events = parseAll('command-testdata-init-get-output.jsonl')
  assert.ok(events.length >= 6)
  const init = events.filter((e) => e.type === 'message')
  assert.ok(init.some((e) => e.type === 'message' && e.original === 'init_output'))
  assert.ok(init.some((e) => e.message === 'Initializing the backend...'))
  assert.is(parseEventLine('   '), undefined)
  const untyped = parseEventLine('{"@level":"info","@message":"Initializing provider plugins..."}')
  assert.equal(untyped, {
    type: 'message',
    original: 'log',
    message: 'Initializing provider plugins...',
    level: 'info',
  })
  assert.equal(parseEventLine('panic: not json'), {
    type: 'message',
    original: 'text',
    message: 'panic: not json',
    level: 'info',
  })
})

test('OpenTofu version lines are recognised; UI major versions other than 1 are refused', () => {
  const tofu = parseEventLine(
    '{"@level":"info","@message":"OpenTofu 1.12.6","@module":"tofu.ui","tofu":"1.12.6","type":"version","ui":"1.2"}',
  )
  assert.is(tofu?.type === 'version' && tofu.tool, 'OpenTofu')
  const [old] = fixtureLines('doc-sample-apply.jsonl')
  assert.throws(
    () => parseEventLine(old!),
    (e: unknown) => e instanceof UnsupportedUiVersionError && /0\.1\.0/.test(e.message),
  )
  assert.throws(
    () => parseEventLine('{"type":"version","terraform":"2.0.0","ui":"2.0","@message":"Terraform 2.0.0"}'),
    (e: unknown) => e instanceof UnsupportedUiVersionError,
  )
})

test('redactor: whole secrets, each line of a multi-line key, JSON-escaped forms, deep values', () => {
  const key =
    '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUA\nAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtz\n-----END OPENSSH PRIVATE KEY-----'
  const r = new Redactor().add('tok-abc"123', key, undefined, '')
  assert.is(r.redact('token tok-abc"123 here'), `token ${REDACTED} here`)
  assert.is(r.redact(JSON.stringify({ v: 'tok-abc"123' })), `{"v":"${REDACTED}"}`)
  assert.is(r.redact(`k=${JSON.stringify(key)}`), `k="${REDACTED}"`)
  const oneLine = r.redact('stderr: AAAEbm9uZQAAAAAAAAABAAAAMwAAAAtz leaked')
  assert.is(oneLine, `stderr: ${REDACTED} leaked`)
  assert.equal(r.redactValue({ a: ['x b3BlbnNzaC1rZXktdjEAAAAABG5vbmUA'], n: 1 }), {
    a: [`x ${REDACTED}`],
    n: 1,
  })
  assert.is(r.redact('nothing secret'), 'nothing secret')
})

test('diagnostics: fixes for lock held, missing variable, docker unreachable, host key, mirror, encryption', () => {
  const docker = parseAll('synthesized/docker-apply-error.jsonl').find((e) => e.type === 'diagnostic')
  assert.ok(docker?.type === 'diagnostic')
  const dockerReport = describeDiagnostic(docker.diagnostic)
  assert.match(dockerReport.fix ?? '', 'Docker on ssh://root@203.0.113.10 did not answer')
  const cases: [string, string, RegExp][] = [
    [
      'Error acquiring the state lock',
      'Error message: resource temporarily unavailable\nLock Info:\n  ID: 1\n  Who: alice@laptop\n',
      /held by alice@laptop/,
    ],
    [
      'No value for required variable',
      'The root module input variable "api_token" is not set, and has no default value.',
      /"api_token"/,
    ],
    [
      'failed to create Docker client',
      'command [ssh -o StrictHostKeyChecking=yes -l deploy -- 203.0.113.7 docker system dial-stdio] has exited with exit status 255: stderr=Host key verification failed.',
      /host key of 203\.0\.113\.7 does not match/,
    ],
    [
      'Failed to query available provider packages',
      'Could not retrieve the list of available versions for provider kreuzwerker/docker',
      /npm run tools/,
    ],
    [
      'Unsupported state file format',
      'This state file is encrypted and can not be read without an encryption configuration',
      /passphrase/,
    ],
  ]
  for (const [summary, detail, fix] of cases) {
    const report = describeDiagnostic({ severity: 'error', summary, detail })
    assert.match(report.fix ?? '(none)', fix, summary)
  }
  assert.is(
    describeDiagnostic({ severity: 'error', summary: 'Unsupported block type', detail: '' }).fix,
    undefined,
  )
  const lines = formatDiagnostic({ ...dockerReport, location: 'main.tf:3' })
  assert.is(lines[0]?.startsWith('Error: failed to create Docker client'), true)
  assert.match(lines[0] ?? '', '(docker_image.app, main.tf:3)')
  assert.match(lines.at(-1) ?? '', /^ {2}Fix: Docker on/)
})

test('outputs: typed map with sensitive values; missing or mistyped outputs explained', () => {
  const outputs = parseOutputs(readFixture('output-json-all.json'))
  assert.equal(outputs.foo, { sensitive: true, type: 'string', value: 'secret' })
  assert.equal(outputs.bar?.value, [true, false, true])
  assert.is(readStringOutput(outputs, 'foo'), 'secret')
  const isOutputError = (e: unknown) => e instanceof TerraformOutputError
  assert.throws(() => readStringOutput(outputs, 'missing'), isOutputError)
  assert.throws(() => readStringOutput(outputs, 'bar'), isOutputError)
  assert.throws(() => parseOutputs('Error: no state'), isOutputError)
})

test.run()
