/**
 * A ServerBackend on the bench's test hosts: a "booted server" is a free bench host on which the part of
 * cloud-init that the launcher depends on is imitated — the user data's pre-generated sshd host key is
 * installed (sshd reloads; the boot returns once sshd serves it, as a real VM never serves another key).
 * The deploy user, Docker and the authorized operator key are the bench host's own (see tests/harness).
 * Stopping the server releases the host for the next one. Faults for tests: `foreignHostKey` (the machine
 * serves another key than the user data's), `cloudInitStuck` (cloud-init never finishes), `bootDelayMs`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse } from 'yaml'
import { buildChildEnv, realProc } from '../../lib/proc.ts'
import { buildHostLayout, parseSlot } from '../harness/layout.ts'
import { readHostRecord } from '../harness/record.ts'
import type { TestHost } from '../harness/types.ts'
import type { BootedServer, BootRequest, ServerBackend, ServerFarm } from './backend.ts'

const env = buildChildEnv({ PATH: '/usr/sbin:/usr/bin:/sbin:/bin' })

interface HostKeyPair {
  privateKey: string
  publicKey: string
}

async function run(argv: string[]): Promise<string> {
  const done = await realProc.run(argv, { env })
  if (done.exitCode !== 0) throw new Error(`${argv[0]} failed (${done.exitCode}): ${done.stderr.trim()}`)
  return done.stdout
}

/** The ed25519 host key of a #cloud-config user data (`ssh_keys.ed25519_private/_public`). */
export function hostKeyOf(userData: string): HostKeyPair {
  const doc = parse(userData) as { ssh_keys?: Record<string, unknown> } | null
  const privateKey = doc?.ssh_keys?.ed25519_private
  const publicKey = doc?.ssh_keys?.ed25519_public
  if (typeof privateKey !== 'string' || typeof publicKey !== 'string')
    throw new Error(
      'the user data has no ssh_keys.ed25519_private/ed25519_public: cloud-init would keep a random key.',
    )
  return { privateKey, publicKey }
}

async function generateForeignKey(): Promise<HostKeyPair> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-backend-'))
  try {
    const file = join(dir, 'key')
    await run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'not-the-pinned-key', '-f', file])
    return { privateKey: readFileSync(file, 'utf8'), publicKey: readFileSync(`${file}.pub`, 'utf8').trim() }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function waitForServedKey(address: string, publicKey: string): Promise<void> {
  const blob = publicKey.split(/\s+/)[1]
  const deadline = Date.now() + 15_000
  while (Date.now() < deadline) {
    const scan = await realProc.run(['ssh-keyscan', '-T', '2', '-t', 'ed25519', address], { env })
    if (blob !== undefined && scan.stdout.includes(blob)) return
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  throw new Error(`sshd on ${address} did not serve the installed host key within 15 s.`)
}

/** Install `key` as the host's sshd ed25519 key and make sshd serve it. */
async function installHostKey(host: TestHost, key: HostKeyPair): Promise<void> {
  const slot = parseSlot(host.name)
  const layout = slot === undefined ? undefined : buildHostLayout(slot)
  const initPid = layout === undefined ? undefined : readHostRecord(layout)?.initPid
  if (layout === undefined || initPid === undefined)
    throw new Error(`${host.name} is not a running bench host.`)
  const file = join(layout.sshDir, 'ssh_host_ed25519_key')
  writeFileSync(file, key.privateKey.endsWith('\n') ? key.privateKey : `${key.privateKey}\n`, { mode: 0o600 })
  writeFileSync(`${file}.pub`, `${key.publicKey.trim()}\n`, { mode: 0o644 })
  // sshd re-executes itself on SIGHUP and reads its host keys again; its pid file is inside the host.
  const signal = ['sh', '-c', 'kill -HUP "$(cat /run/sshd.pid)"']
  await run(['nsenter', '--target', String(initPid), '--mount', '--pid', '--', ...signal])
  await waitForServedKey(host.address, key.publicKey)
}

export class BenchMachines implements ServerFarm {
  /** Fault: the next machines serve a freshly generated host key instead of the user data's. */
  foreignHostKey = false
  /** Fault: cloud-init on the next machines never finishes (`cloud-init status` stays running). */
  cloudInitStuck = false
  /** A slow boot: the machine takes this long before it answers (for Ctrl-C during create). */
  bootDelayMs = 0
  /** Every boot request, in order (tests read the user data the provider sent). */
  readonly requests: BootRequest[] = []
  private readonly busy = new Set<TestHost>()

  constructor(private readonly hosts: readonly TestHost[]) {}

  /** Hosts serving a server right now. */
  get inUse(): string[] {
    return [...this.busy].map((h) => h.address)
  }

  dockerSocketOf(address: string): string | undefined {
    return this.hosts.find((h) => h.address === address)?.dockerSocket
  }

  /** The bench hosts themselves are stopped with their bench. */
  async stop(): Promise<void> {}

  readonly backend: ServerBackend = async (request) => {
    this.requests.push(request)
    const free = () => this.hosts.find((h) => !this.busy.has(h))
    if (free() === undefined) throw new Error(`all ${this.hosts.length} bench hosts are in use`)
    await new Promise((resolve) => setTimeout(resolve, this.bootDelayMs))
    const host = free()
    if (host === undefined) throw new Error(`all ${this.hosts.length} bench hosts are in use`)
    this.busy.add(host)
    try {
      await installHostKey(
        host,
        this.foreignHostKey ? await generateForeignKey() : hostKeyOf(request.userData),
      )
      await host.setCloudInitStatus(this.cloudInitStuck ? 'running' : 'done')
    } catch (error) {
      this.busy.delete(host)
      throw error
    }
    let stopped = false
    const server: BootedServer = {
      address: host.address,
      stop: async () => {
        if (stopped) return
        stopped = true
        await host.setCloudInitStatus('done')
        this.busy.delete(host)
      },
    }
    return server
  }
}
