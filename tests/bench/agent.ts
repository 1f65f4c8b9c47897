/**
 * Unlock agent timings, in a real pty: passphrase → agent ready (scrypt at age's work factor 2^18, then
 * the socket), a client's connect + unwrap + decrypt round trip, sealing a keys file in-process, and
 * what the agent costs in memory.
 */
import { readFileSync } from 'node:fs'
import { formatTable } from '../../lib/cli/output.ts'
import { sealKeysFile } from '../../lib/sops/sealed-keys.ts'
import { AgentBox, OPERATOR } from '../gate/agent/box.ts'
import { median, medianTime } from './measure.ts'

const STARTS = 5
const ROUNDS = 50

function statusField(pid: number, name: string): string {
  return new RegExp(`^${name}:\\s+(.*)$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '?'
}

/** Measure and print the table. */
export default async function benchAgent(print: (line: string) => void): Promise<void> {
  const box = await new AgentBox().setUp()
  try {
    const starts = Array.from({ length: STARTS }, () => `$TSX $CLI start $KEYS ${OPERATOR} 120000`)
    const session = box.shell(
      `${starts.join('; ')}; $TSX $CLI bench $SECRET ${ROUNDS}; read -r; $TSX $CLI lock`,
    )
    const startMs: number[] = []
    let pid = 0
    for (let i = 0; i < STARTS; i++) {
      const agent = await box.answerStart(session)
      startMs.push(agent.startMs)
      pid = agent.pid
    }
    const bench = JSON.parse((await session.expect(/BENCH (\{.*\})/))[1] ?? '{}') as { medianMs: number }
    const memory = `RSS ${statusField(pid, 'VmRSS')}, locked ${statusField(pid, 'VmLck')}`
    session.type('\r')
    await session.expect('LOCKED')
    const seal = await medianTime(() => sealKeysFile([box.identity], box.passphrase), 3)
    const ms = (v: number) => `${v.toFixed(1)} ms`
    print(`Unlock agent (uid ${process.getuid?.()}), medians`)
    print(
      formatTable(
        ['operation', 'time', 'runs'],
        [
          [
            'passphrase → agent ready (startAgent: spawn, scrypt 2^18, listen)',
            ms(median(startMs)),
            `${STARTS}`,
          ],
          ['connect + status + unwrap + decrypt (a client in the session)', ms(bench.medianMs), `${ROUNDS}`],
          ['sealKeysFile in-process (age-encryption scrypt 2^18)', ms(seal), '3'],
          ['agent memory after ready', memory, '1'],
        ],
      ),
    )
  } finally {
    box.cleanup()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchAgent((line) => console.log(line))
