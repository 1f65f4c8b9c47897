import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { closest, formatHelp, parseArgs } from '../../lib/cli/args.ts'
import { ExitCode, UsageError } from '../../lib/errors.ts'

const spec = {
  name: 'npm run cloud:up --',
  summary: 'Bring a debug server up.',
  flags: {
    provider: {
      type: 'string',
      description: 'Where.',
      choices: ['hetzner', 'contabo', 'local'],
      default: 'local',
    },
    'stack-name': { type: 'string', description: 'Name.', placeholder: 'name' },
    'dry-run': { type: 'boolean', description: 'Change nothing.' },
    port: { type: 'string', description: 'Ports.', repeatable: true },
  },
  exitCodes: [['ok', 'up'], 'gate', ['usage', 'bad flags or arguments']],
} as const

test('parses typed flags with defaults', () => {
  const { flags, positionals } = parseArgs(spec, ['--stack-name', 'lab', '--dry-run', 'extra'])
  assert.is(flags.provider, 'local')
  assert.is(flags['stack-name'], 'lab')
  assert.is(flags['dry-run'], true)
  assert.is(flags.json, false)
  assert.equal(flags.port, [])
  assert.equal(positionals, ['extra'])
})

test('repeatable flags collect every value', () => {
  const { flags } = parseArgs(spec, ['--port', '8080', '--port=9090'])
  assert.equal(flags.port, ['8080', '9090'])
})

test('an unknown flag suggests the closest one', () => {
  try {
    parseArgs(spec, ['--stack-nme', 'x'])
    assert.unreachable()
  } catch (error) {
    assert.instance(error, UsageError)
    assert.match((error as UsageError).message, 'Unknown flag --stack-nme')
    assert.match((error as UsageError).hint ?? '', 'Did you mean --stack-name?')
    assert.is((error as UsageError).exitCode, 64)
  }
})

test('a value outside the choices is refused with a suggestion', () => {
  assert.throws(
    () => parseArgs(spec, ['--provider', 'hetzer']),
    (e: UsageError) => /Did you mean --provider hetzner/.test(e.hint ?? ''),
  )
})

test('a single-valued flag given twice is refused', () => {
  assert.throws(() => parseArgs(spec, ['--stack-name', 'a', '--stack-name', 'b']), /given 2 times/)
})

test('closest ignores far-away names', () => {
  assert.is(closest('zzzzzz', ['provider', 'json']), undefined)
})

test('help lists every flag including the common ones', () => {
  const help = formatHelp(spec)
  for (const flag of [
    '--provider <hetzner|contabo|local>',
    '--stack-name <name>',
    '--dry-run',
    '--help',
    '--json',
    '--verbose',
  ]) {
    assert.ok(help.includes(flag), `help lacks ${flag}`)
  }
  assert.match(help, '(default: local)')
})

test('help ends with the exit codes, their numbers taken from the ExitCode table', () => {
  const help = formatHelp(spec)
  assert.match(help, 'Exit codes: 0 up, 41-49 refused by the human gate, 64 bad flags or arguments.\n')
})

test('docs/cli.md lists exactly the ExitCode table, by number and name', () => {
  const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'cli.md'), 'utf8')
  const section = doc.slice(doc.indexOf('## Exit codes'))
  const rows = [...section.matchAll(/^\| (\d+) \| (\w+) \|/gm)].map((m) => [m[2], Number(m[1])])
  assert.equal(Object.fromEntries(rows), { ...ExitCode })
})

test.run()
