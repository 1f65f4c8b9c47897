/**
 * A workstation for the hetzner/contabo end-to-end tests: a throw-away operator (real age identity and
 * profile), the cloud-API contract double installed in a temp dir with a bench host as its "VM", provider
 * credentials in the clean pty environment, and the REAL cloud:up / cloud:destroy scripts driven through a
 * pseudo-terminal where the stack name is typed as a person would.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { requireStack } from '../../lib/state/records.ts'
import type { StackRecord } from '../../lib/state/schema.ts'
import { tofuBinary, toolCacheRoot } from '../../lib/tools/paths.ts'
import { type DoubleConfig, installDouble, writeDoubleConfig } from '../doubles/cloud-api/config.ts'
import { type CloudState, readState } from '../doubles/cloud-api/state.ts'
import { OPERATOR, Sandbox } from '../gate/sandbox.ts'
import type { TestHost } from '../harness/types.ts'
import { answerPassphrase, openSealedTestStore } from '../helpers/operator.ts'
import { type PtySession, spawnTsxPty } from '../helpers/pty.ts'

export type CloudProvider = 'hetzner' | 'contabo'

/** Test credentials: the shapes the stacks validate (a 64-character hcloud token, a UUID image id). */
export const CREDENTIALS: Record<CloudProvider, Record<string, string>> = {
  hetzner: { HCLOUD_TOKEN: `test-token-${'h'.repeat(53)}` },
  contabo: {
    CNTB_OAUTH2_CLIENT_ID: 'test-client-id-contabo',
    CNTB_OAUTH2_CLIENT_SECRET: 'test-client-secret-contabo-0123456789',
    CNTB_OAUTH2_USER: 'operator@example.test',
    CNTB_OAUTH2_PASS: 'test-api-password-contabo-0123456789',
    CNTB_IMAGE_ID: 'd64d5c6c-9dda-4e38-8174-0ee282474d8a',
  },
}

export const APP_PORT = 18080

export interface Finished {
  code: number
  transcript: string
}

export class CloudWorkstation {
  readonly box = new Sandbox()
  readonly doubleDir = mkdtempSync(join(tmpdir(), 'cloud-double-'))
  readonly tfBin: string
  /** Every pty transcript, for the leak test. */
  readonly transcripts: string[] = []

  constructor(
    readonly host: TestHost,
    readonly provider: CloudProvider,
  ) {
    this.tfBin = installDouble(this.doubleDir, this.config('user-data'))
  }

  private config(hostKey: DoubleConfig['hostKey']): DoubleConfig {
    return { tofu: tofuBinary(), host: { name: this.host.name, address: this.host.address }, hostKey }
  }

  /** Make the double's "cloud-init" install a different host key than the user data's (or the right one). */
  setHostKeyMode(hostKey: DoubleConfig['hostKey']): void {
    writeDoubleConfig(this.doubleDir, this.config(hostKey))
  }

  /** The clean child environment: HOME, secrets dir, the machine's tool cache, the provider credentials. */
  get env(): Record<string, string> {
    return this.box.env({
      XDG_CACHE_HOME: resolve(toolCacheRoot(), '..', '..'),
      ...CREDENTIALS[this.provider],
    })
  }

  private spawn(script: string, args: string[]): PtySession {
    const argv = [
      ...args,
      '--operator',
      OPERATOR,
      '--tf-bin',
      this.tfBin,
      '--ssh-key',
      this.host.clientKeyPath,
    ]
    return answerPassphrase(spawnTsxPty(script, argv, { env: this.env }), this.box.passphrase)
  }

  private async finish(session: PtySession, timeoutMs: number): Promise<Finished> {
    const code = await session.exitCode(timeoutMs)
    this.transcripts.push(session.transcript)
    return { code, transcript: session.transcript }
  }

  /** `cloud:up` of `stack` on this provider; when `approve`, waits for the prompt and types the name. */
  async up(stack: string, extra: string[] = [], approve = true): Promise<Finished> {
    await this.box.ready
    const args = ['--provider', this.provider, '--stack-name', stack, '--image', this.host.image]
    const session = this.spawn('scripts/up.ts', [...args, '--ports', `127.0.0.1:${APP_PORT}:8080`, ...extra])
    if (approve) {
      await session.expect(`Type ${stack} to continue`, 120_000)
      session.type(`${stack}\r`)
    }
    return this.finish(session, 240_000)
  }

  /** `cloud:destroy` of `stack`, approved by typing its name. */
  async destroy(stack: string): Promise<Finished> {
    await this.box.ready
    const session = this.spawn('scripts/destroy.ts', ['--stack-name', stack])
    await session.expect(`Type ${stack} to continue`, 120_000)
    session.type(`${stack}\r`)
    return this.finish(session, 240_000)
  }

  /** The stack's record, decrypted from the operator's state with the operator's identity. */
  async record(stack: string): Promise<StackRecord> {
    const store = await openSealedTestStore(OPERATOR, { ...process.env, ...this.env }, this.box.passphrase)
    return requireStack((await store.read()).doc, stack)
  }

  /** What the double's "cloud" holds for the stack's host phase. */
  cloudState(stack: string): CloudState {
    return readState(join(this.box.operatorDir, 'stacks', stack, 'host', 'terraform.tfstate'), this.provider)
  }

  cleanup(): void {
    this.box.cleanup()
    rmSync(this.doubleDir, { recursive: true, force: true })
  }
}

/** Files under `root` (following no symlinks), skipping the named directory names. */
export function listFiles(root: string, skip: readonly string[] = []): string[] {
  const files: string[] = []
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    const path = join(root, entry.name)
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
