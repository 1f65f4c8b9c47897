/**
 * A throw-away workstation for gate tests: a HOME with (optionally) a real age identity made by
 * age-keygen, a secrets dir with (optionally) the operator's profile, and the marker file the gated
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
import { join } from 'node:path'
import type { AuditEntry } from '../../lib/gate/audit.ts'
import { buildCleanEnv } from '../helpers/pty.ts'

export const FIXTURE = 'tests/gate/fixtures/gated.ts'
export const UNLOCK = 'scripts/unlock.ts'
export const OPERATOR = 'alice'
export const STACK = 'lab-1'

export interface SandboxOptions {
  /** The operator's own age identity is in ~/.config/sops/age/keys.txt (default true). */
  identity?: boolean
  /** An age identity that is NOT the operator's is there instead. */
  foreign?: boolean
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

  constructor(options: SandboxOptions = {}) {
    mkdirSync(this.home, { recursive: true })
    // The operator's key pair, made by the real age-keygen; the private half is "on this workstation"
    // (where sops looks for it) only with `identity`, `foreign` puts some other key there instead.
    const operatorKey = join(this.dir, 'operator-key.txt')
    ageKeygen(['-o', operatorKey])
    const keys = join(this.home, '.config', 'sops', 'age', 'keys.txt')
    mkdirSync(join(keys, '..'), { recursive: true, mode: 0o700 })
    if (options.foreign) ageKeygen(['-o', keys])
    else if (options.identity ?? true) copyFileSync(operatorKey, keys)
    if (options.profile ?? true) {
      mkdirSync(this.operatorDir, { recursive: true, mode: 0o700 })
      const recipient = ageKeygen(['-y', operatorKey]).trim()
      const profile = `id: ${OPERATOR}\nrecipients:\n  - ${recipient}\nrecoveryRecipients: []\nhistoryRetention: 20\n`
      writeFileSync(join(this.operatorDir, 'profile.yaml'), profile)
    }
  }

  /** The clean environment of a gated child, plus `extra` (the signal under test). */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return buildCleanEnv(this.home, { DEBUG_CLOUD_SECRETS_DIR: this.secrets, ...extra })
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
