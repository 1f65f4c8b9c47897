/**
 * A throw-away workstation for gate tests: a HOME with (optionally) a real age identity made by
 * age-keygen, a secrets dir with (optionally) the operator's profile, and the marker file the gated
 * fixture writes only after approval ("Terraform started").
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AuditEntry } from '../../lib/gate/audit.ts'
import { buildCleanEnv } from '../helpers/pty.ts'

export const FIXTURE = 'tests/gate/fixtures/gated.ts'
export const UNLOCK = 'scripts/unlock.ts'
export const OPERATOR = 'alice'
export const STACK = 'lab-1'

export interface SandboxOptions {
  identity?: boolean
  profile?: boolean
}

export class Sandbox {
  readonly dir = mkdtempSync(join(tmpdir(), 'gate-test-'))
  readonly home = join(this.dir, 'home')
  readonly secrets = join(this.dir, 'secrets')
  readonly operatorDir = join(this.secrets, 'operators', OPERATOR)
  readonly marker = join(this.dir, 'terraform-started')

  constructor(options: SandboxOptions = {}) {
    mkdirSync(this.home, { recursive: true })
    if (options.identity ?? true) {
      const keys = join(this.home, '.config', 'sops', 'age', 'keys.txt')
      mkdirSync(join(keys, '..'), { recursive: true, mode: 0o700 })
      execFileSync('age-keygen', ['-o', keys], { stdio: 'ignore', env: { PATH: '/usr/bin:/bin' } })
    }
    if (options.profile ?? true) {
      mkdirSync(this.operatorDir, { recursive: true, mode: 0o700 })
      writeFileSync(join(this.operatorDir, 'profile.yaml'), `id: ${OPERATOR}\nrecipients: []\n`)
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
