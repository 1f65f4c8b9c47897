/**
 * Test helpers for the SOPS codec: temp dirs with 0600 age keys, and the real pinned sops binary run
 * through `realProc` with an explicit minimal environment (HOME and SOPS_AGE_KEY_FILE in the temp dir).
 */
import { existsSync } from 'node:fs'
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type RunResult, realProc } from '../../lib/proc.ts'
import { generateAgeIdentity } from '../../lib/sops/index.ts'
import { sopsBinary } from '../../lib/tools/paths.ts'

export const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'sops')

export interface Lab {
  dir: string
  identity: string
  recipient: string
  keyFile: string
  /** Run the real sops with HOME=dir and SOPS_AGE_KEY_FILE=keyFile (plus `extra`); never throws on exit codes. */
  sops(args: string[], extra?: Record<string, string>): Promise<RunResult>
  /** Like `sops`, but throws with sops's stderr unless it exits 0; returns stdout. */
  sopsOk(args: string[], extra?: Record<string, string>): Promise<string>
  cleanup(): Promise<void>
}

/** The pinned sops binary; fails loudly when it has not been built (run `npm run tools`). */
export function requireSops(): string {
  const bin = sopsBinary()
  if (!existsSync(bin))
    throw new Error(`sops is not built at ${bin}: run \`npm run tools\` (tests never skip sops)`)
  return bin
}

/** A temp dir with a fresh age identity written 0600. */
export async function createLab(): Promise<Lab> {
  const bin = requireSops()
  const dir = await mkdtemp(join(tmpdir(), 'sops-test-'))
  const { identity, recipient } = await generateAgeIdentity()
  const keyFile = join(dir, 'key.txt')
  await writeFile(keyFile, `# public key: ${recipient}\n${identity}\n`, { mode: 0o600 })
  await chmod(keyFile, 0o600)
  const sops = (args: string[], extra: Record<string, string> = {}) =>
    realProc.run([bin, ...args], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, SOPS_AGE_KEY_FILE: keyFile, ...extra },
    })
  return {
    dir,
    identity,
    recipient,
    keyFile,
    sops,
    async sopsOk(args, extra) {
      const result = await sops(args, extra)
      if (result.exitCode !== 0)
        throw new Error(`sops ${args.join(' ')} exited ${result.exitCode}: ${result.stderr}`)
      return result.stdout
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  }
}

/** Identities for decryptSops from an identity string. */
export function idsOf(...identities: string[]) {
  return { identities, searched: ['(test)'] }
}

/** Replace every random part of a sops file (ciphertexts, armored keys, timestamp) so layouts compare. */
export function maskRandom(text: string): string {
  return text
    .replace(/ENC\[AES256_GCM,data:[^,]*,iv:[^,]*,tag:[^,]*,type:(\w+)\]/g, 'ENC[…,type:$1]')
    .replace(/-----BEGIN AGE ENCRYPTED FILE-----\n[\s\S]*?-----END AGE ENCRYPTED FILE-----/g, '<age>')
    .replace(/lastmodified: "[^"]+"/, 'lastmodified: "<t>"')
}
