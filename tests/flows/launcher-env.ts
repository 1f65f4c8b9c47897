/**
 * A throw-away workstation for launcher tests: HOME and secrets dir in a temp folder, an operator made by
 * the real `operator:init` with a sealed identity (its passphrase typed in a pty), the pinned tools found
 * through XDG_CACHE_HOME, and the real scripts run in a real pseudo-terminal with a clean environment (nothing
 * from this process's env reaches them), the passphrase typed whenever a script asks for it.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { toolCacheRoot } from '../../lib/tools/paths.ts'
import {
  answerPassphrase,
  initSealedOperator,
  openSealedTestStore,
  testPassphrase,
} from '../helpers/operator.ts'
import { buildCleanEnv, type PtySession, spawnTsxPty } from '../helpers/pty.ts'

export const OPERATOR = 'alice'

export class LauncherEnv {
  readonly dir = mkdtempSync(join(tmpdir(), 'launcher-test-'))
  readonly home = join(this.dir, 'home')
  readonly secrets = join(this.dir, 'secrets')
  /** The operator's passphrase: random, only ever typed into a pty (the leak check looks for it too). */
  readonly passphrase = testPassphrase()
  /** Everything the terminals showed, for the leak check. */
  readonly transcripts: string[] = []
  private readonly sessions: PtySession[] = []

  /** The clean environment of every child (plus `extra`). */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return buildCleanEnv(this.home, {
      DEBUG_CLOUD_SECRETS_DIR: this.secrets,
      // The pinned tools live in the real cache; only its location is shared.
      XDG_CACHE_HOME: dirname(dirname(toolCacheRoot())),
      ...extra,
    })
  }

  /** Create the operator with the real operator:init, typing its new passphrase. */
  async initOperator(): Promise<void> {
    this.transcripts.push(await initSealedOperator(this.env(), OPERATOR, this.passphrase))
  }

  /** Run a script in a pty; the passphrase is typed whenever it asks for it. */
  spawn(script: string, args: readonly string[], extra: Record<string, string> = {}): PtySession {
    const session = answerPassphrase(spawnTsxPty(script, args, { env: this.env(extra) }), this.passphrase)
    this.sessions.push(session)
    return session
  }

  /** Wait for the exit code and keep the transcript. */
  async finish(session: PtySession, timeoutMs = 120_000): Promise<number> {
    const code = await session.exitCode(timeoutMs)
    this.transcripts.push(session.transcript)
    return code
  }

  /** The operator's store, opened in this process with the sealed identity and its passphrase. */
  store() {
    return openSealedTestStore(OPERATOR, { ...process.env, ...this.env() }, this.passphrase)
  }

  /** The operator's decrypted state, read with this workstation's identity. */
  async readState() {
    return (await (await this.store()).read()).doc
  }

  /** Every file under `root` (skipping node_modules and .git) that contains any of `needles`. */
  static filesContaining(root: string, needles: readonly string[]): string[] {
    const hits: string[] = []
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir)) {
        if (entry === 'node_modules' || entry === '.git') continue
        const path = join(dir, entry)
        const info = statSync(path, { throwIfNoEntry: false })
        if (!info) continue
        if (info.isDirectory()) walk(path)
        else if (info.isFile() && info.size < 50_000_000) {
          const text = readFileSync(path).toString('latin1')
          if (needles.some((n) => text.includes(n))) hits.push(path)
        }
      }
    }
    walk(root)
    return hits
  }

  cleanup(): void {
    for (const s of this.sessions) s.kill()
    rmSync(this.dir, { recursive: true, force: true })
  }
}
