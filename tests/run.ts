/**
 * The test command: runs every tests/**\/*.test.ts file (uvu under tsx) in its own process, `--jobs` of them
 * at a time (default 2: most files wait on ptys, scrypt, Terraform and booting hosts, not on the CPU), prints
 * each file's output whole when it ends, and ends with one line `N passed, N failed, N skipped`. Files that
 * look at the whole machine (tests/bench-smoke: every bench host and leftover) run alone, after the others.
 * Loud skips (see helpers/skip.ts) are listed with their reasons before that line.
 *
 *   npm test                       # everything
 *   npm test -- sops state         # only files whose path contains "sops" or "state"
 *   npm test -- --jobs 1           # one file at a time, output streamed
 */
import { spawn } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import minimist from 'minimist'
import { ensureTestTools } from './helpers/tools.ts'

const root = join(import.meta.dirname, '..')
const args = minimist(process.argv.slice(2), { string: ['jobs'] })
const filters = args._.map(String)
const jobs = Number(args.jobs ?? 2)
if (!Number.isInteger(jobs) || jobs < 1)
  throw new Error(`--jobs must be a whole number ≥ 1, got ${args.jobs}`)
/** Files that see every bench host and leftover on the machine, so nothing else may run beside them. */
const ALONE = 'tests/bench-smoke/'

function findTests(dir: string): string[] {
  const found: string[] = []
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry)
    if (entry === 'node_modules' || entry === 'fixtures') continue
    if (statSync(path).isDirectory()) found.push(...findTests(path))
    else if (entry.endsWith('.test.ts')) found.push(path)
  }
  return found
}

interface FileResult {
  passed: number
  failed: number
  skipped: number
  skips: string[]
}

const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g

function count(text: string, label: string): number | undefined {
  const match = new RegExp(`^\\s*${label}:\\s+(\\d+)`, 'm').exec(text)
  return match ? Number(match[1]) : undefined
}

/** Run one file; its output is streamed when `stream`, else handed back whole in `output`. */
function runFile(file: string, stream: boolean): Promise<FileResult & { output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let text = ''
    let output = ''
    const skips: string[] = []
    child.stdout.on('data', (chunk: Buffer) => {
      if (stream) process.stdout.write(chunk)
      else output += chunk.toString()
      text += chunk.toString()
    })
    child.stderr.on('data', (chunk: Buffer) => {
      if (stream) process.stderr.write(chunk)
      else output += chunk.toString()
      for (const line of chunk.toString().split('\n'))
        if (line.startsWith('SKIP: ')) skips.push(line.slice(6))
    })
    child.on('close', (code, signal) => {
      const plain = text.replace(ANSI, '')
      const total = count(plain, 'Total')
      const passed = count(plain, 'Passed') ?? 0
      const skipped = count(plain, 'Skipped') ?? 0
      if (total === undefined) {
        // The file crashed before uvu could report: that is a failure of the whole file.
        output += `\n${relative(root, file)}: exited ${code ?? signal} without a uvu summary\n`
        resolve({ passed: 0, failed: 1, skipped: 0, skips, output })
        return
      }
      // uvu's Total counts the tests that ran: skipped ones are not in it.
      let failed = total - passed
      if (failed === 0 && code !== 0) failed = 1
      resolve({ passed, failed, skipped, skips, output })
    })
  })
}

async function main(): Promise<void> {
  await ensureTestTools()
  const files = findTests(join(root, 'tests')).filter(
    (f) => filters.length === 0 || filters.some((needle) => relative(root, f).includes(needle)),
  )
  const totals = { passed: 0, failed: 0, skipped: 0 }
  const skips: string[] = []
  const failedFiles: string[] = []
  const runOne = async (file: string, stream: boolean) => {
    const name = relative(root, file)
    if (stream) process.stdout.write(`\n# ${name}\n`)
    const result = await runFile(file, stream)
    if (!stream) process.stdout.write(`\n# ${name}\n${result.output}`)
    totals.passed += result.passed
    totals.failed += result.failed
    totals.skipped += result.skipped
    skips.push(...result.skips)
    if (result.failed > 0) failedFiles.push(name)
  }
  const shared = files.filter((f) => !relative(root, f).startsWith(ALONE))
  const queue = [...shared]
  await Promise.all(
    Array.from({ length: Math.min(jobs, queue.length) }, async () => {
      for (let file = queue.shift(); file !== undefined; file = queue.shift()) await runOne(file, jobs === 1)
    }),
  )
  for (const file of files.filter((f) => !shared.includes(f))) await runOne(file, true)
  process.stdout.write('\n')
  if (skips.length > 0) {
    process.stdout.write(`SKIPPED (${skips.length}):\n${skips.map((s) => `  - ${s}`).join('\n')}\n`)
  }
  if (failedFiles.length > 0)
    process.stdout.write(`FAILED FILES:\n${failedFiles.map((f) => `  - ${f}`).join('\n')}\n`)
  process.stdout.write(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped\n`)
  process.exitCode = totals.failed > 0 || files.length === 0 ? 1 : 0
}

await main()
