/**
 * A workstation for the hetzner/contabo end-to-end tests: a throw-away operator (real age identity, sealed
 * with a passphrase typed into the pty), the cloud's API STAND-IN on loopback whose servers are booted machines
 * with real cloud-init (or, for the fault tests, bench hosts: backend.ts `ServerFarm`),
 * the provider's endpoint settings and test credentials in the clean pty environment, and the REAL scripts
 * (cloud:up, status, connect, logs, destroy) with the real pinned tofu and provider, driven through a
 * pseudo-terminal where the stack name is typed as a person would.
 */
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { referenceImageRef } from '../../lib/image/reference.ts'
import { requireStack } from '../../lib/state/records.ts'
import type { StackRecord } from '../../lib/state/schema.ts'
import { toolCacheRoot } from '../../lib/tools/paths.ts'
import { OPERATOR, Sandbox } from '../gate/sandbox.ts'
import { startBench } from '../harness/hosts.ts'
import type { TestBench, TestHost } from '../harness/types.ts'
import { answerPassphrase, openSealedTestStore } from '../helpers/operator.ts'
import { type PtySession, spawnTsxPty } from '../helpers/pty.ts'
import type { ServerFarm } from './backend.ts'
import { BenchMachines } from './bench-backend.ts'
import { CONTABO_TEST_CREDENTIALS, ContaboApiStandin } from './contabo-api-standin.ts'
import { HCLOUD_TEST_TOKEN, HcloudApiStandin } from './hcloud-api-standin.ts'
import { BootedMachines } from './machine-backend.ts'
import { checkAgainstSpec, labelled } from './spec.ts'

export type CloudProvider = 'hetzner' | 'contabo'

/**
 * The app port each cloud's stacks publish, and so the local port of their tunnels: one per file, since the
 * suite runs two files at a time and a tunnel binds 127.0.0.1 here (tests/daytwo uses 18080).
 */
const APP_PORTS: Record<CloudProvider, Record<'machines' | 'bench', number>> = {
  hetzner: { machines: 18180, bench: 18380 },
  contabo: { machines: 18280, bench: 18480 },
}

export interface Finished {
  code: number
  transcript: string
}

export class CloudWorkstation {
  readonly box = new Sandbox()
  /** Every pty transcript, for the leak test. */
  readonly transcripts: string[] = []

  /** The operator's SSH key, which the user data authorizes for the deploy user. */
  readonly clientKeyPath: string
  /** The app port of this cloud's stacks (and the local port of their tunnels). */
  get appPort(): number {
    return APP_PORTS[this.provider][this.bench ? 'bench' : 'machines']
  }

  /** The debug server the stacks run: the reference image, shipped to the server over SSH by cloud:up. */
  readonly image = referenceImageRef()

  private constructor(
    readonly provider: CloudProvider,
    readonly machines: ServerFarm,
    readonly standin: HcloudApiStandin | ContaboApiStandin,
    private readonly bench: TestBench | undefined,
  ) {
    if (bench) {
      const [host] = bench.hosts
      if (!host) throw new Error('the bench has no host')
      this.clientKeyPath = host.clientKeyPath
    } else {
      this.clientKeyPath = join(this.box.dir, 'id_ed25519')
      execFileSync('ssh-keygen', [
        '-q',
        '-t',
        'ed25519',
        '-N',
        '',
        '-C',
        'operator',
        '-f',
        this.clientKeyPath,
      ])
    }
  }

  /**
   * The cloud's stand-in, its servers booted machines with real cloud-init ('machines'), or bench hosts on
   * which the part of cloud-init the launcher depends on is imitated ('bench': seconds instead of a minute per
   * server, for the fault tests that create many).
   */
  static async start(
    provider: CloudProvider,
    servers: 'machines' | 'bench' = 'machines',
  ): Promise<CloudWorkstation> {
    const bench = servers === 'bench' ? await startBench(1) : undefined
    const machines = bench ? new BenchMachines(bench.hosts) : new BootedMachines()
    const standin =
      provider === 'hetzner'
        ? await new HcloudApiStandin(machines.backend).start()
        : await new ContaboApiStandin(machines.backend).start()
    return new CloudWorkstation(provider, machines, standin, bench)
  }

  /** The bench host of a 'bench' workstation (its cloud-init status can be set by hand). */
  get host(): TestHost {
    const host = this.bench?.hosts[0]
    if (!host) throw new Error('not a bench workstation: its servers are booted machines')
    return host
  }

  /** The address of the server running now (the stand-in's one server). */
  get serverAddress(): string {
    const [address] = this.machines.inUse
    if (address === undefined) throw new Error('no server is running')
    return address
  }

  get hcloud(): HcloudApiStandin {
    if (!(this.standin instanceof HcloudApiStandin)) throw new Error('not a hetzner workstation')
    return this.standin
  }

  get contabo(): ContaboApiStandin {
    if (!(this.standin instanceof ContaboApiStandin)) throw new Error('not a contabo workstation')
    return this.standin
  }

  /** The provider's credentials and endpoint settings (all of them, sealed or not: the leak scan looks for each). */
  get providerEnv(): Record<string, string> {
    if (this.standin instanceof HcloudApiStandin)
      return { HCLOUD_TOKEN: HCLOUD_TEST_TOKEN, HCLOUD_ENDPOINT: this.standin.endpoint }
    return {
      ...CONTABO_TEST_CREDENTIALS,
      CNTB_API: this.standin.api,
      CNTB_OAUTH2_TOKEN_URL: this.standin.tokenUrl,
    }
  }

  /**
   * The clean child environment: HOME, secrets dir, the machine's tool cache, the provider's settings, less the
   * credentials the operator sealed into the state (hetzner's token; Contabo's come from the environment, the
   * path a `.env` user is warned about).
   */
  get env(): Record<string, string> {
    const settings = Object.entries(this.providerEnv).filter(([name]) => !this.sealed.includes(name))
    return this.box.env({
      XDG_CACHE_HOME: resolve(toolCacheRoot(), '..', '..'),
      ...Object.fromEntries(settings),
    })
  }

  /** Names stored with `credentials set`. */
  private readonly sealed: string[] = []

  /** `npm run credentials -- set <name> --from-file`, as a person would (the file removed afterwards). */
  async sealCredential(name: string): Promise<void> {
    await this.box.ready
    const value = this.providerEnv[name]
    if (value === undefined) throw new Error(`${name} is not a credential of ${this.provider}`)
    const file = join(this.box.dir, 'credential.txt')
    writeFileSync(file, `${value}\n`, { mode: 0o600 })
    try {
      const args = ['set', name, '--from-file', file, '--operator', OPERATOR]
      const set = await this.finish(
        answerPassphrase(spawnTsxPty('scripts/credentials.ts', args, { env: this.env }), this.box.passphrase),
      )
      if (set.code !== 0) throw new Error(`credentials set ${name} exited ${set.code}:\n${set.transcript}`)
    } finally {
      rmSync(file, { force: true })
    }
    this.sealed.push(name)
  }

  /** Start a script in a pty as the operator (the passphrase is typed when asked). */
  spawn(script: string, args: string[]): PtySession {
    const argv = [...args, '--operator', OPERATOR, '--ssh-key', this.clientKeyPath]
    return answerPassphrase(spawnTsxPty(script, argv, { env: this.env }), this.box.passphrase)
  }

  async finish(session: PtySession, timeoutMs = 240_000): Promise<Finished> {
    const code = await session.exitCode(timeoutMs)
    this.transcripts.push(session.transcript)
    return { code, transcript: session.transcript }
  }

  /** `cloud:up` of `stack`; when `approve`, waits for the gate and types the name. */
  async up(stack: string, extra: string[] = [], approve = true): Promise<Finished> {
    await this.box.ready
    const args = ['--provider', this.provider, '--stack-name', stack, '--image', this.image]
    const session = this.spawn('scripts/up.ts', [
      ...args,
      '--ports',
      `127.0.0.1:${this.appPort}:8080`,
      ...extra,
    ])
    if (approve) {
      await session.expect(`Type ${stack} to continue`, 120_000)
      session.type(`${stack}\r`)
    }
    return this.finish(session)
  }

  /** `cloud:destroy` of `stack`, approved by typing its name. */
  async destroy(stack: string): Promise<Finished> {
    await this.box.ready
    const session = this.spawn('scripts/destroy.ts', ['--stack-name', stack])
    await session.expect(`Type ${stack} to continue`, 120_000)
    session.type(`${stack}\r`)
    return this.finish(session)
  }

  /** The stack's record, decrypted from the operator's state with the operator's identity. */
  async record(stack: string): Promise<StackRecord> {
    const store = await openSealedTestStore(OPERATOR, { ...process.env, ...this.env }, this.box.passphrase)
    return requireStack((await store.read()).doc, stack)
  }

  /** Servers (hcloud) or not-cancelled instances (Contabo) the stand-in holds. */
  get liveServers(): { id: number; name: string }[] {
    if (this.standin instanceof HcloudApiStandin)
      return [...this.standin.servers.values()].map((s) => ({ id: s.id, name: s.name }))
    return this.standin.activeInstances.map((i) => ({ id: i.instanceId, name: i.displayName }))
  }

  /** Problems found checking every response the stand-in sent against the cloud's OpenAPI description. */
  specProblems(): Promise<string[]> {
    return checkAgainstSpec(
      labelled(this.provider === 'hetzner' ? 'hcloud' : 'contabo', this.standin.http.exchanges),
    )
  }

  async stop(): Promise<void> {
    await this.standin.stop()
    await this.machines.stop()
    await this.bench?.stop()
    this.box.cleanup()
  }
}

/** Files under `root` (following no symlinks), skipping the named directory names. */
export function listFiles(root: string, skip: readonly string[] = []): string[] {
  const files: string[] = []
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    const path = `${root}/${entry.name}`
    if (entry.isDirectory() && !skip.includes(entry.name)) files.push(...listFiles(path, skip))
    else if (entry.isFile() && statSync(path).size < 64 * 1024 * 1024) files.push(path)
  }
  return files
}

/** `label: path` for every file whose bytes contain one of the secrets (by label). */
export function findSecrets(files: readonly string[], secrets: Readonly<Record<string, string>>): string[] {
  const found: string[] = []
  for (const file of files) {
    const bytes = readFileSync(file)
    for (const [label, secret] of Object.entries(secrets))
      if (bytes.includes(secret)) found.push(`${label}: ${file}`)
  }
  return found
}

/** Assert-free helper: the position-ordered check that every marker appears after the previous one. */
export function missingInOrder(text: string, markers: readonly string[]): string | undefined {
  let from = 0
  for (const marker of markers) {
    const at = text.indexOf(marker, from)
    if (at < 0) return marker
    from = at + marker.length
  }
  return undefined
}
