import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { formatTable } from '../../lib/cli/output.ts'
import { listSessions, pinSession } from '../../lib/sessions/inventory.ts'
import { updateInventory } from '../../lib/sessions/update.ts'
import { decryptSops, encryptSopsYaml } from '../../lib/sops/index.ts'
import { parseState, serializeState } from '../../lib/state/schema.ts'
import { withoutSeal } from '../../lib/state/seal.ts'
import { createPlaintextOperator, openTestStore } from '../helpers/operator.ts'
import { buildSampleState } from '../state/sample.ts'
import type { Report } from './figures.ts'
import { buildBenchEnv, ensureBuilt, medianTime, runOk } from './measure.ts'

/** Pure in-process operations are cheap: more rounds. Anything that decrypts 8 MiB: fewer. */
const ROUNDS = { pure: 7, heavy: 3 }
const HOSTS = 200
const SESSIONS = 10_000
/** Whole commands as the npm script runs them: the precompiled build. */
const runSessions = (args: string[], env: NodeJS.ProcessEnv) =>
  runOk([process.execPath, 'scripts/run.mjs', 'sessions', ...args], env)
const heavy = (fn: (round: number) => unknown) => medianTime(fn, ROUNDS.heavy)

/** `data` with `n` more blank lines after every stack's session lines. */
function withExtraLines(data: Record<string, unknown>, n: number): Record<string, unknown> {
  const sessions = data.sessions as Record<string, string>
  const longer = Object.fromEntries(
    Object.entries(sessions).map(([stack, text]) => [stack, text + '\n'.repeat(n)]),
  )
  return { ...data, sessions: longer }
}

/** Measure and print the table. */
export default async function benchSessions(print: (line: string) => void, report: Report): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'dc-bench-sessions-'))
  const env = buildBenchEnv(dir)
  try {
    await createPlaintextOperator('bench', env)
    const store = await openTestStore('bench', env)
    await store.update(() => buildSampleState('bench', HOSTS, SESSIONS))
    const bytes = readFileSync(store.paths.state).length
    const loaded = await store.read()
    const text = readFileSync(store.paths.state, 'utf8')
    const now = new Date()
    ensureBuilt(env)

    const rows: [string, number][] = [
      [
        'listSessions, all 10,000 (in-process, pure)',
        await medianTime(() => listSessions(loaded.doc), ROUNDS.pure),
      ],
      [
        'listSessions --status orphaned (in-process, pure)',
        await medianTime(() => listSessions(loaded.doc, { status: 'orphaned' }), ROUNDS.pure),
      ],
      [
        'pinSession (in-process, pure)',
        await medianTime((i) => pinSession(loaded.doc, { id: `p-${i}`, stack: 'stack-7', now }), ROUNDS.pure),
      ],
      [
        '  of a read: decrypt + MAC verify (codec)',
        await heavy(() => decryptSops(text, store.keyring.keys, 'yaml')),
      ],
      [
        // Each round's session texts end in one more blank line (allowed, and new to the process), so each pays
        // what a command's first read pays: a repeat of the same texts reuses their sessions (next row).
        '  of a read: schema validation (parseState), texts new to the process',
        await heavy((i) => parseState(withExtraLines(withoutSeal(loaded.decrypted!.data), i + 1), 'x')),
      ],
      [
        '  of a write: schema validation of texts read before (their sessions reused)',
        await heavy(() => parseState(withoutSeal(loaded.decrypted!.data), 'x')),
      ],
      [
        '  of a write: encrypt, unchanged values reused (codec)',
        // What the store encrypts: the serialized document (sessions as compact strings), as read.
        await heavy(() =>
          encryptSopsYaml(serializeState(loaded.doc), {
            recipients: store.recipients,
            previous: loaded.decrypted!,
          }),
        ),
      ],
      [
        'store.read (decrypt + verify + validate; a repeat: sessions reused)',
        await heavy(() => store.read()),
      ],
      [
        'pin through the store (lock, read, pin, write)',
        await heavy((i) =>
          updateInventory(store, (d) => pinSession(d, { id: `q-${i}`, stack: 'stack-7', now })),
        ),
      ],
      ['whole command `cloud:sessions list --json`', await heavy(() => runSessions(['list', '--json'], env))],
      ['whole command `cloud:sessions list` (table)', await heavy(() => runSessions(['list'], env))],
      [
        'whole command `cloud:sessions pin`',
        await heavy((i) => runSessions(['pin', `cmd-${i}`, '--stack', 'stack-9'], env)),
      ],
      [
        'whole command `cloud:sessions --help` (start-up only)',
        await heavy(() => runSessions(['--help'], env)),
      ],
      ['node -e 0 (anchor)', await heavy(() => runOk([process.execPath, '-e', '0'], env))],
    ]
    const figure = (row: string) => rows.find(([name]) => name === row)![1]
    const anchor = { name: 'node -e 0', value: figure('node -e 0 (anchor)') }
    for (const [name, row] of [
      [
        'sessions: whole command `list` (10,000 over 200 hosts)',
        'whole command `cloud:sessions list` (table)',
      ],
      ['sessions: whole command `list --json`', 'whole command `cloud:sessions list --json`'],
      ['sessions: whole command `pin`', 'whole command `cloud:sessions pin`'],
    ] as const)
      report({ name, value: figure(row), unit: 'ms', anchor, aim: '≤ 300 ms' })
    print(
      `Sessions benchmark: ${SESSIONS.toLocaleString('en')} sessions over ${HOSTS} hosts, ` +
        `${(bytes / 1024 / 1024).toFixed(1)} MiB encrypted, median of ${ROUNDS.pure} (pure) or ${ROUNDS.heavy} runs`,
    )
    print(
      formatTable(
        ['operation', 'median'],
        rows.map(([name, ms]) => [name, `${ms.toFixed(1)} ms`]),
      ),
    )
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

if (import.meta.url === `file://${process.argv[1]}`)
  await benchSessions(
    (line) => console.log(line),
    () => undefined,
  )
