/**
 * The precompiled build behind the npm scripts (scripts/run.mjs, scripts/build.mjs): a changed source is rebuilt
 * before it runs, never run stale; a touched but unchanged one is not rebuilt; a build made elsewhere is not
 * used. Runs in a private copy of the checkout, so the real .build/ and sources are never touched.
 */
import { spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import YAML from 'yaml'
import { readCanonicalYaml } from '../../lib/sops/canonical.ts'
import { createPlaintextOperator, openTestStore } from '../helpers/operator.ts'
import { buildSampleStack } from '../state/sample.ts'

const root = join(import.meta.dirname, '..', '..')
const REBUILT = 'the build is missing or older than the sources; building'
let dir = ''

test.before(() => {
  dir = mkdtempSync(join(tmpdir(), 'dc-build-'))
  for (const part of ['lib', 'scripts', 'tests', 'package.json', 'tsconfig.json'])
    cpSync(join(root, part), join(dir, part), { recursive: true })
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'))
})
test.after(() => rmSync(dir, { recursive: true, force: true }))

function run(...args: string[]) {
  const out = spawnSync(process.execPath, [join(dir, 'scripts', 'run.mjs'), ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: dir, NO_COLOR: '1', DEBUG_CLOUD_SECRETS_DIR: join(dir, 'secrets') },
  })
  return { code: out.status, stdout: out.stdout, stderr: out.stderr }
}

const manifest = () =>
  JSON.parse(readFileSync(join(dir, '.build', 'manifest.json'), 'utf8')) as { dir: string }

test('the first run builds, the next one runs the build as it is', () => {
  const first = run('status', '--help')
  assert.is(first.code, 0, first.stderr)
  assert.ok(first.stderr.includes(REBUILT), first.stderr)
  assert.ok(first.stdout.includes('Usage: npm run cloud:status'))
  const built = manifest().dir
  const second = run('status', '--help')
  assert.is(second.code, 0, second.stderr)
  assert.not.ok(second.stderr.includes(REBUILT), second.stderr)
  assert.is(manifest().dir, built)
})

test('a changed source (a library file two imports deep) is rebuilt before the command runs', () => {
  const before = manifest().dir
  const file = join(dir, 'lib', 'cli', 'args.ts')
  const text = readFileSync(file, 'utf8')
  assert.ok(text.includes("'Usage: '") || text.includes('Usage: '), 'args.ts prints the usage line')
  writeFileSync(file, text.replace('Usage: ', 'Usage (rebuilt): '))
  const out = run('status', '--help')
  assert.is(out.code, 0, out.stderr)
  assert.ok(out.stderr.includes(REBUILT), out.stderr)
  assert.ok(out.stdout.includes('Usage (rebuilt): npm run cloud:status'), out.stdout)
  assert.is.not(manifest().dir, before)
})

test('a change that keeps the size and the mtime is still caught by its hash after a touch', () => {
  const file = join(dir, 'scripts', 'status.ts')
  const text = readFileSync(file, 'utf8')
  // Same length, different bytes, and an mtime that differs from the recorded one.
  writeFileSync(file, text.replace("A table of the operator's stacks", "A TABLE of the operator's stacks"))
  utimesSync(file, new Date(), new Date(Date.now() + 5000))
  const out = run('status', '--help')
  assert.ok(out.stderr.includes(REBUILT), out.stderr)
  assert.ok(out.stdout.includes("A TABLE of the operator's stacks"), out.stdout)
})

test('a touched but unchanged source is not rebuilt', () => {
  const before = manifest().dir
  const file = join(dir, 'lib', 'errors.ts')
  utimesSync(file, new Date(), new Date(Date.now() + 10_000))
  const out = run('status', '--help')
  assert.is(out.code, 0, out.stderr)
  assert.not.ok(out.stderr.includes(REBUILT), out.stderr)
  assert.is(manifest().dir, before)
})

test('the built commands read files the fast reader leaves to the yaml package (loaded lazily in the bundle)', async () => {
  const env = { HOME: dir, DEBUG_CLOUD_SECRETS_DIR: join(dir, 'secrets') }
  await createPlaintextOperator('alice', env)
  const store = await openTestStore('alice', env)
  await store.update((doc) => ({ ...doc, stacks: { lab: buildSampleStack('lab') } }))
  // A hand edit in the yaml package's own layout (two-space indents), and a state file ending in a blank line.
  writeFileSync(store.paths.profile, YAML.stringify(YAML.parse(readFileSync(store.paths.profile, 'utf8'))))
  writeFileSync(store.paths.state, `${readFileSync(store.paths.state, 'utf8')}\n`)
  assert.is(readCanonicalYaml(readFileSync(store.paths.profile, 'utf8')), undefined)
  assert.is(readCanonicalYaml(readFileSync(store.paths.state, 'utf8')), undefined)
  const out = run('status', '--json', '--operator', 'alice')
  assert.is(out.code, 0, out.stderr)
  const stacks = (JSON.parse(out.stdout) as { stacks: { stack: string }[] }).stacks.map((s) => s.stack)
  assert.equal(stacks, ['lab'])
})

test('a deleted source, a build of another checkout and an unknown command', () => {
  const path = join(dir, '.build', 'manifest.json')
  const m = JSON.parse(readFileSync(path, 'utf8')) as { root: string }
  writeFileSync(path, JSON.stringify({ ...m, root: '/elsewhere' }))
  assert.ok(run('lock', '--help').stderr.includes(REBUILT), 'a build made for another checkout is rebuilt')
  const unknown = run('nope')
  assert.is(unknown.code, 64)
  assert.match(unknown.stderr, /no command "nope" in scripts/)
  rmSync(join(dir, 'lib', 'credentials-verbs.ts'))
  const gone = run('credentials', '--help')
  assert.ok(gone.stderr.includes(REBUILT), gone.stderr)
  assert.is(gone.code, 1, 'a source that is gone fails the build instead of running the old one')
  assert.match(gone.stderr, /Error: the commands could not be built from the sources/)
  assert.not.ok(gone.stdout.includes('Usage'), gone.stdout)
})

test.run()
