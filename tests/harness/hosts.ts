/**
 * The test bench: `startBench(n)` starts N hosts that look like a fresh cloud VM after cloud-init, each
 * in its own network namespace (see layout.ts for names and addresses). One client key per bench is
 * authorized on every host. `stop()` is idempotent and also runs on SIGINT/SIGTERM; leftovers of crashed
 * runs are swept before a bench starts.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type ClientKey, startHost } from './host.ts'
import { writeBenchImage } from './image.ts'
import { BENCHES_DIR, type HostLayout, SSH_USER } from './layout.ts'
import { stopOnSignal } from './signals.ts'
import { sweepLeftovers } from './sweep.ts'
import { BenchError, mustRun } from './system.ts'
import { teardownHost } from './teardown.ts'
import type { TestBench } from './types.ts'

function fileLine(path: string, prefix: string): string | undefined {
  return readFileSync(path, 'utf8')
    .split('\n')
    .find((line) => line.startsWith(prefix))
}

/** Make sure the non-root `deploy` user exists, may log in with a key, and is in the docker group. */
export async function ensureDeployUser(): Promise<void> {
  if (fileLine('/etc/group', 'docker:') === undefined) await mustRun(['groupadd', 'docker'])
  if (fileLine('/etc/passwd', `${SSH_USER}:`) === undefined)
    await mustRun(['useradd', '--create-home', '--shell', '/bin/bash', '--groups', 'docker', SSH_USER])
  const members = fileLine('/etc/group', 'docker:')?.split(':')[3]?.split(',') ?? []
  if (!members.includes(SSH_USER)) await mustRun(['usermod', '-a', '-G', 'docker', SSH_USER])
  // sshd without PAM refuses accounts whose password is locked ("!"); "*" means no password, not locked.
  if (fileLine('/etc/shadow', `${SSH_USER}:`)?.split(':')[1]?.startsWith('!'))
    await mustRun(['usermod', '-p', '*', SSH_USER])
}

async function createClientKey(benchDir: string): Promise<ClientKey> {
  const privatePath = join(benchDir, 'client_ed25519')
  await mustRun(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'debug-cloud-bench', '-f', privatePath])
  return { privatePath, publicKey: readFileSync(`${privatePath}.pub`, 'utf8').trim() }
}

/** Start `n` test hosts (in parallel); if any fails, everything started is removed and the error thrown. */
export async function startBench(n: number): Promise<TestBench> {
  if (!Number.isInteger(n) || n < 1) throw new BenchError(`startBench needs a host count ≥ 1, got ${n}.`)
  if (process.getuid?.() !== 0)
    throw new BenchError('The test bench needs root.', 'Guard the test with whyNotRoot().')
  mkdirSync(BENCHES_DIR, { recursive: true, mode: 0o755 })
  await sweepLeftovers()
  await ensureDeployUser()
  const benchDir = mkdtempSync(join(BENCHES_DIR, 'bench-'))
  writeFileSync(join(benchDir, 'owner'), String(process.pid))
  const started: HostLayout[] = []
  let stopping: Promise<void> | undefined
  const bench: TestBench = {
    hosts: [],
    stop() {
      stopping ??= (async () => {
        await Promise.allSettled(started.map((layout) => teardownHost(layout)))
        rmSync(benchDir, { recursive: true, force: true })
        forget()
      })()
      return stopping
    },
  }
  const forget = stopOnSignal(() => bench.stop())
  try {
    const client = await createClientKey(benchDir)
    const image = await writeBenchImage(benchDir)
    const results = await Promise.allSettled(Array.from({ length: n }, () => startHost(client, image)))
    for (const r of results) if (r.status === 'fulfilled') started.push(r.value.layout)
    const failure = results.find((r) => r.status === 'rejected')
    if (failure) throw failure.reason
    bench.hosts.push(...results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.host] : [])))
    return bench
  } catch (error) {
    await bench.stop()
    throw error
  }
}
