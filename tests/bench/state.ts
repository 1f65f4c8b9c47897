import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { formatTable } from '../../lib/cli/output.ts'
import { decryptSops, encryptSopsYaml } from '../../lib/sops/index.ts'
import { serializeState } from '../../lib/state/schema.ts'
import { sopsBinary } from '../../lib/tools/paths.ts'
import { createPlaintextOperator, openTestStore } from '../helpers/operator.ts'
import { buildSampleState } from '../state/sample.ts'
import type { Report } from './figures.ts'
import { buildBenchEnv, medianTime, runOk } from './measure.ts'

const ROUNDS = 7
const timed = (fn: (round: number) => unknown) => medianTime(fn, ROUNDS)

/** Measure and print the table. */
export default async function benchState(print: (line: string) => void, report: Report): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'dc-bench-state-'))
  const env = buildBenchEnv(dir)
  try {
    await createPlaintextOperator('bench', env)
    const store = await openTestStore('bench', env)
    const doc = buildSampleState('bench', 500, 500)
    await store.update(() => doc)
    const plain = join(dir, 'plain.json')
    writeFileSync(plain, JSON.stringify(doc))
    const recipient = store.profile.recipients[0]!
    const sopsEnv = { PATH: env.PATH, XDG_CONFIG_HOME: env.XDG_CONFIG_HOME, HOME: env.HOME }
    const bytes = readFileSync(store.paths.state).length

    const text = readFileSync(store.paths.state, 'utf8')
    const loaded = await store.read()
    const plainDoc = serializeState(loaded.doc)
    const ours = {
      read: await timed(() => store.read()),
      decrypt: await timed(() => decryptSops(text, store.keyring.keys, 'yaml')),
      encryptFresh: await timed(() => encryptSopsYaml(plainDoc, { recipients: store.recipients })),
      encryptReused: await timed(() =>
        encryptSopsYaml(plainDoc, { recipients: store.recipients, previous: loaded.decrypted! }),
      ),

      // One value changes per write (an unchanged document is not rewritten at all).
      write: await timed((round) =>
        store.update((d) => {
          Object.values(d.stacks)[0]!.updatedAt = new Date(Date.UTC(2026, 0, 1, 0, 0, round)).toISOString()
          return d
        }),
      ),
      readCmd: await timed(() =>
        runOk([process.execPath, 'scripts/run.mjs', 'state', 'show', '--json'], env),
      ),
    }
    const sops = {
      read: await timed(() => runOk([sopsBinary(), '--decrypt', store.paths.state], sopsEnv)),
      write: await timed(() =>
        runOk(
          [
            sopsBinary(),
            '--encrypt',
            '--age',
            recipient,
            '--input-type',
            'json',
            '--output-type',
            'yaml',
            plain,
          ],
          sopsEnv,
        ),
      ),
    }
    const sopsRead = { name: 'sops -d', value: sops.read }
    const sopsWrite = { name: 'sops -e', value: sops.write }
    const aim = '≤ 0.25× anchor'
    report({
      name: 'state codec: read+verify (500 stacks + 500 sessions)',
      value: ours.read,
      unit: 'ms',
      anchor: sopsRead,
      aim,
    })
    report({
      name: 'state codec: write (500 stacks + 500 sessions)',
      value: ours.write,
      unit: 'ms',
      anchor: sopsWrite,
      aim,
    })
    report({
      name: 'state: whole command `state show --json`',
      value: ours.readCmd,
      unit: 'ms',
      anchor: sopsRead,
    })
    const ms = (v: number) => `${v.toFixed(1)} ms`
    const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`
    print(
      `State benchmark: 500 stacks + 500 sessions, ${(bytes / 1024).toFixed(0)} KiB encrypted, median of ${ROUNDS}`,
    )
    print(
      formatTable(
        ['operation', 'ours', 'sops', 'ours/sops'],
        [
          ['read+verify, in-process vs sops -d', ms(ours.read), ms(sops.read), ratio(ours.read, sops.read)],
          [
            'write (update), in-process vs sops -e',
            ms(ours.write),
            ms(sops.write),
            ratio(ours.write, sops.write),
          ],
          [
            '  of a read: decrypt + MAC verify (codec)',
            ms(ours.decrypt),
            ms(sops.read),
            ratio(ours.decrypt, sops.read),
          ],
          [
            '  encrypt, every value afresh (codec)',
            ms(ours.encryptFresh),
            ms(sops.write),
            ratio(ours.encryptFresh, sops.write),
          ],
          [
            '  of a write: encrypt, unchanged values reused (codec)',
            ms(ours.encryptReused),
            ms(sops.write),
            ratio(ours.encryptReused, sops.write),
          ],

          [
            'read, whole command `state show --json` vs sops -d',
            ms(ours.readCmd),
            ms(sops.read),
            ratio(ours.readCmd, sops.read),
          ],
        ],
      ),
    )
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

if (import.meta.url === `file://${process.argv[1]}`)
  await benchState(
    (line) => console.log(line),
    () => undefined,
  )
