/**
 * A throw-away workstation for gate tests: a HOME with the operator's age identity made by age-keygen —
 * sealed with a passphrase (the default, what operator:init makes), plaintext (from before sealing), someone
 * else's, or none — a secrets dir with (optionally) the operator's profile, and the marker file the gated
 * fixture writes only after approval ("Terraform started").
 */
import { execFileSync } from 'node:child_process'
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import type { AuditEntry } from '../../lib/gate/audit.ts'
import { sealKeysFile } from '../../lib/sops/index.ts'
import { toolCacheRoot } from '../../lib/tools/paths.ts'

import { testPassphrase } from '../helpers/operator.ts'
import { buildCleanEnv } from '../helpers/pty.ts'

export const FIXTURE = 'tests/gate/fixtures/gated.ts'
export const UNLOCK = 'scripts/unlock.ts'
export const OPERATOR = 'alice'
export const STACK = 'lab-1'

export interface SandboxOptions {
  /**
   * What ~/.config/sops/age/keys.txt holds: the operator's identity sealed with `passphrase` (default), the same
   * in plaintext, a plaintext identity that is NOT the operator's, or nothing.
   */
  identity?: 'sealed' | 'plaintext' | 'foreign' | 'none'
  /** The operator's profile.yaml exists (default true). */
  profile?: boolean
}

function ageKeygen(args: string[]): string {
  return execFileSync('age-keygen', args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
    env: { PATH: '/usr/bin:/bin' },
  })
}

export class Sandbox {
  readonly dir = mkdtempSync(join(tmpdir(), 'gate-test-'))
  readonly home = join(this.dir, 'home')
  readonly secrets = join(this.dir, 'secrets')
  readonly operatorDir = join(this.secrets, 'operators', OPERATOR)
  readonly marker = join(this.dir, 'terraform-started')
  readonly keysFile = join(this.home, '.config', 'sops', 'age', 'keys.txt')
  /** The passphrase of the sealed identity: random, only ever typed into a pty. */
  readonly passphrase = testPassphrase()
  /** Resolves once the keys file is written (sealing takes a second of scrypt). */
  readonly ready: Promise<void>

  constructor(options: SandboxOptions = {}) {
    mkdirSync(this.home, { recursive: true })
    // The operator's key pair, made by the real age-keygen.
    const operatorKey = join(this.dir, 'operator-key.txt')
    ageKeygen(['-o', operatorKey])
    mkdirSync(join(this.keysFile, '..'), { recursive: true, mode: 0o700 })
    const identity = options.identity ?? 'sealed'
    if (identity === 'foreign') ageKeygen(['-o', this.keysFile])
    if (identity === 'plaintext') copyFileSync(operatorKey, this.keysFile)
    this.ready =
      identity === 'sealed'
        ? sealKeysFile([readFileSync(operatorKey, 'utf8').trim().split('\n').at(-1) ?? ''], this.passphrase)
            .then((sealed) => writeFileSync(this.keysFile, sealed, { mode: 0o600 }))
            // A test refused before any identity is read may clean up before this is written.
            .catch(() => undefined)
        : Promise.resolve()

    if (options.profile ?? true) {
      mkdirSync(this.operatorDir, { recursive: true, mode: 0o700 })
      const recipient = ageKeygen(['-y', operatorKey]).trim()
      const profile = `id: ${OPERATOR}\nrecipients:\n  - ${recipient}\nrecoveryRecipients: []\nhistoryRetention: 20\n`
      writeFileSync(join(this.operatorDir, 'profile.yaml'), profile)
    }
  }

  /** The clean environment of a gated child, plus `extra` (the signal under test); the tool cache is the real one. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return buildCleanEnv(this.home, {
      DEBUG_CLOUD_SECRETS_DIR: this.secrets,
      XDG_CACHE_HOME: dirname(dirname(toolCacheRoot())),
      ...extra,
    })
  }

  /** Arguments of the gated fixture. */
  fixtureArgs(...more: string[]): string[] {
    return ['--operator', OPERATOR, '--stack', STACK, '--marker', this.marker, ...more]
  }

  get markerWritten(): boolean {
    return existsSync(this.marker)
  }

  private auditPath(which: 'operator' | 'fallback'): string {
    return which === 'operator' ? join(this.operatorDir, 'audit.jsonl') : join(this.secrets, 'audit.jsonl')
  }

  /** Raw text of the operator's audit log (or of the fallback log); empty when there is none. */
  auditText(which: 'operator' | 'fallback' = 'operator'): string {
    const path = this.auditPath(which)
    return existsSync(path) ? readFileSync(path, 'utf8') : ''
  }

  /** Entries of the operator's audit log (or of the fallback log). */
  audit(which: 'operator' | 'fallback' = 'operator'): AuditEntry[] {
    return this.auditText(which)
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as AuditEntry)
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true })
  }
}
