/**
 * The audit log's hash chain and link refusal, on real files: appends from several processes at once stay one
 * chain, and an edited, removed, reordered or cut-off-at-the-head line is named by its number; a symlink in
 * the log's place is refused, its target untouched.
 */
import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { appendAudit, buildAuditEntry } from '../../lib/gate/audit.ts'
import { verifyAuditChain } from '../../lib/gate/audit-chain.ts'
import { realProc } from '../../lib/proc.ts'
import { StateUnsafeError } from '../../lib/state/errors.ts'

const dir = mkdtempSync(join(tmpdir(), 'audit-test-'))
const env = { DEBUG_CLOUD_SECRETS_DIR: join(dir, 'secrets') }
const log = join(dir, 'secrets', 'operators', 'alice', 'audit.jsonl')
mkdirSync(join(log, '..'), { recursive: true, mode: 0o700 })
test.after(() => rmSync(dir, { recursive: true, force: true }))

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')
const entry = (target: string) =>
  buildAuditEntry({ operator: 'alice', command: 'cloud:up', target, outcome: 'approved', via: 'typed' })
const lines = () => readFileSync(log, 'utf8').trimEnd().split('\n')

async function problemsAfter(edit: (lines: string[]) => string[]) {
  const original = readFileSync(log, 'utf8')
  writeFileSync(log, `${edit(original.trimEnd().split('\n')).join('\n')}\n`)
  try {
    return (await verifyAuditChain(log)).problems
  } finally {
    writeFileSync(log, original)
  }
}

test('each line carries the SHA-256 of the line before it; the first that of the empty string', async () => {
  for (const target of ['a', 'b', 'c', 'd']) await appendAudit(entry(target), env)
  const written = lines()
  assert.is(written.length, 4)
  assert.is(JSON.parse(written[0]!).prev, sha256(''))
  for (let i = 1; i < written.length; i++) assert.is(JSON.parse(written[i]!).prev, sha256(written[i - 1]!))
  assert.equal(await verifyAuditChain(log), { lines: 4, problems: [] })
})

test('an edited, removed, reordered or inserted line, and a removed head, are named by line', async () => {
  const edited = await problemsAfter((l) => l.map((line, i) => (i === 1 ? line.replace('"b"', '"x"') : line)))
  assert.equal(edited, [
    { line: 3, problem: 'does not follow line 2: a line was edited, removed, inserted or moved here' },
  ])
  const removed = await problemsAfter((l) => l.filter((_, i) => i !== 1))
  assert.equal(
    removed.map((p) => p.line),
    [2],
  )
  const swapped = await problemsAfter((l) => [l[0]!, l[2]!, l[1]!, l[3]!])
  assert.equal(
    swapped.map((p) => p.line),
    [2, 3, 4],
  )
  const inserted = await problemsAfter((l) => [l[0]!, JSON.stringify(entry('forged')), ...l.slice(1)])
  assert.equal(
    inserted.map((p) => p.line),
    [2, 3],
  )
  const headless = await problemsAfter((l) => l.slice(1))
  assert.equal(headless, [{ line: 1, problem: 'does not start the chain: lines before it were removed' }])
  const garbled = await problemsAfter((l) => [l[0]!, 'not json', ...l.slice(2)])
  assert.equal(
    garbled.map((p) => [p.line, p.problem.slice(0, 20)]),
    [
      [2, 'is not a JSON entry '],
      [3, 'does not follow line'],
    ],
  )
})

test('appends from several processes at once stay one chain', async () => {
  const script = join(dir, 'append.mts')
  writeFileSync(
    script,
    `import { appendAudit, buildAuditEntry } from ${JSON.stringify(join(import.meta.dirname, '..', '..', 'lib', 'gate', 'audit.ts'))}
for (let i = 0; i < 15; i++)
  await appendAudit(buildAuditEntry({ operator: 'alice', command: 'p' + process.pid, target: String(i), outcome: 'denied' }), { DEBUG_CLOUD_SECRETS_DIR: ${JSON.stringify(env.DEBUG_CLOUD_SECRETS_DIR)} })
`,
  )
  const runs = Array.from({ length: 4 }, () =>
    realProc.run([process.execPath, '--import', 'tsx', script], {
      env: { PATH: process.env.PATH ?? '' },
      cwd: join(import.meta.dirname, '..', '..'),
    }),
  )
  for (const done of await Promise.all(runs)) assert.is(done.exitCode, 0, done.stderr)
  assert.equal(await verifyAuditChain(log), { lines: 4 + 60, problems: [] })
})

test('a symlink in the log’s place is refused; its target is not written', async () => {
  const other = join(dir, 'elsewhere.jsonl')
  writeFileSync(other, 'precious\n')
  const fallback = join(dir, 'secrets', 'audit.jsonl')
  symlinkSync(other, fallback)
  const error = await appendAudit(
    buildAuditEntry({ operator: null, command: 'x', target: 'y', outcome: 'denied' }),
    env,
  ).then(
    () => undefined,
    (e: unknown) => e,
  )
  assert.instance(error, StateUnsafeError)
  assert.match((error as Error).message, `${fallback} is a symlink`)
  assert.is(readFileSync(other, 'utf8'), 'precious\n')
  const refused = await verifyAuditChain(fallback).then(
    () => undefined,
    (e: unknown) => e,
  )
  assert.instance(refused, StateUnsafeError)
})

test.run()
