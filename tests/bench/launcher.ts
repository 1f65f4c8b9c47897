/**
 * Benchmark, launcher part:
 *  - time `cloud:up` spends outside Terraform, waits and the person at the gate (real up on a bench host, --json);
 *  - delay between a host becoming ready (cloud-init flips to done) and waitForHost noticing, on a bench host
 *    (status files) and on one booted machine (real systemd and cloud-init);
 *  - delay from a Terraform event (its @timestamp) to the progress line the renderer writes (real OpenTofu).
 * Prints medians; no assertions.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Chalk } from 'chalk'
import { formatTable } from '../../lib/cli/output.ts'
import { generateHostKey } from '../../lib/infra/host-key.ts'
import { buildChildEnv, realProc } from '../../lib/proc.ts'
import { waitForHost } from '../../lib/ssh/ready.ts'
import { resolveTfBinary } from '../../lib/terraform/binary.ts'
import { buildTfEnv } from '../../lib/terraform/env.ts'
import type { TfEvent } from '../../lib/terraform/events.ts'
import { Redactor } from '../../lib/terraform/redact.ts'
import { PlainRenderer } from '../../lib/terraform/render.ts'
import { Terraform } from '../../lib/terraform/terraform.ts'
import { LauncherEnv } from '../flows/launcher-env.ts'
import { startBench } from '../harness/hosts.ts'
import { buildLoginUserData, startMachine } from '../harness/machine.ts'
import type { TestHost } from '../harness/types.ts'
import { median } from './measure.ts'

const ms = (v: number) => `${v.toFixed(0)} ms`

async function upOverhead(host: TestHost, rounds: number): Promise<string[][]> {
  const ws = new LauncherEnv()
  try {
    await ws.initOperator()
    const rows: { first: number[]; again: number[] } = { first: [], again: [] }
    for (let i = 0; i < rounds; i++) {
      for (const kind of ['first', 'again'] as const) {
        const stack = `bench${i}`
        const up = ws.spawn('scripts/up.ts', [
          ...['--provider', 'local', '--stack-name', stack, '--docker-host', host.dockerHost],
          ...['--known-hosts', host.knownHostsPath, '--ssh-key', host.clientKeyPath, '--image', host.image],
          ...['--ports', `127.0.0.1:${19000 + i}:8080`, '--json'],
        ])
        if (kind === 'first') {
          await up.expect(`Type ${stack} to continue`, 120_000)
          up.type(`${stack}\r`)
        }
        if ((await ws.finish(up)) !== 0) throw new Error(`up failed:\n${up.transcript}`)
        const line = up.transcript.split('\n').find((l) => l.startsWith('{"type":"result"'))
        const t = JSON.parse(line ?? '{}').timings as Record<string, number>
        rows[kind].push(t.totalMs! - t.terraformMs! - t.waitMs! - t.humanMs!)
      }
    }
    return [
      ['up, new stack: launcher time outside Terraform, waits and the gate', ms(median(rows.first))],
      ['up, converged re-run: launcher time outside Terraform and waits', ms(median(rows.again))],
    ]
  } finally {
    ws.cleanup()
  }
}

async function readinessDelay(host: TestHost, rounds: number): Promise<string[][]> {
  const delays: number[] = []
  const target = {
    host: host.address,
    port: host.sshPort,
    user: host.sshUser,
    identityFile: host.clientKeyPath,
    knownHostsFile: host.knownHostsPath,
  }
  for (let i = 0; i < rounds; i++) {
    await host.setCloudInitStatus('running')
    let flippedAt = 0
    const waiting = waitForHost(realProc, target, {
      timeoutMs: 60_000,
      pollMs: 200,
      stages: ['ssh', 'cloud-init'],
    })
    await new Promise((r) => setTimeout(r, 1500))
    flippedAt = performance.now()
    await host.setCloudInitStatus('done')
    await waiting
    delays.push(performance.now() - flippedAt)
  }
  return [['host ready (cloud-init done) → launcher notices', ms(median(delays))]]
}

/** One booted machine: cloud-init writing result.json (its end) → the launcher's wait returning. */
async function machineReadinessDelay(): Promise<string[][]> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-machine-'))
  const key = join(dir, 'operator')
  await realProc.run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', key], { env: buildChildEnv() })
  const hostKey = generateHostKey()
  // The sleep keeps cloud-init running until the wait is connected and blocked in `cloud-init status --wait`.
  const operatorKey = readFileSync(`${key}.pub`, 'utf8').trim()
  const userData = buildLoginUserData(hostKey, operatorKey, [['sleep', '8']])
  const machine = await startMachine({ serverName: 'bench-ready', userData })
  try {
    const knownHostsFile = join(dir, 'known_hosts')
    writeFileSync(knownHostsFile, `${machine.address} ${hostKey.publicKey}\n`)
    const target = { host: machine.address, port: 22, user: 'deploy', identityFile: key, knownHostsFile }
    await waitForHost(realProc, target, { timeoutMs: 120_000, pollMs: 200, stages: ['ssh', 'cloud-init'] })
    const noticed = Date.now()
    const finished = await machine.exec(['stat', '-c', '%.3Y', '/run/cloud-init/result.json'])
    return [
      [
        'booted machine: cloud-init finished → launcher notices',
        ms(noticed - Number(finished.stdout) * 1000),
      ],
    ]
  } finally {
    await machine.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

async function eventDelay(rounds: number): Promise<string[][]> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-events-'))
  try {
    const resources = Array.from(
      { length: 20 },
      (_, i) => `resource "terraform_data" "r${i}" {\n  input = ${i}\n}\n`,
    )
    writeFileSync(join(dir, 'main.tf'), resources.join(''))
    writeFileSync(join(dir, 'empty.tofurc'), '')
    const delays: number[] = []
    const sink = { write: () => true }
    class TimedRenderer extends PlainRenderer {
      override event(event: TfEvent): void {
        super.event(event)
        if (event.timestamp && event.type === 'apply_complete')
          delays.push(Date.now() - Date.parse(event.timestamp))
      }
    }
    const tf = new Terraform({
      proc: realProc,
      renderer: new TimedRenderer(sink, new Chalk({ level: 0 })),
      redactor: new Redactor(),
      binary: resolveTfBinary('tofu'),
      workdir: dir,
      env: buildTfEnv({ cliConfigFile: join(dir, 'empty.tofurc') }),
    })
    await tf.init()
    for (let i = 0; i < rounds; i++) {
      const plan = await tf.plan({ planFile: join(dir, 'p.tfplan'), ...(i % 2 ? { destroy: true } : {}) })
      await tf.apply(plan.planFile)
    }
    return [[`Terraform event → progress line (${delays.length} events)`, ms(median(delays))]]
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

export default async function benchLauncher(print: (line: string) => void): Promise<void> {
  const bench = await startBench(1)
  try {
    const host = bench.hosts[0]!
    const rows = [
      ...(await eventDelay(4)),
      ...(await readinessDelay(host, 5)),
      ...(await machineReadinessDelay()),
      ...(await upOverhead(host, 3)),
    ]
    print(formatTable(['launcher measure (median)', 'value'], rows))
  } finally {
    await bench.stop()
  }
}
