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

/** An unencrypted `openssh-key-v1` private key file for an ed25519 seed (RFC 8032 test vectors have no file form). */
export function buildOpenSshEd25519(seed: Buffer, publicKey: Buffer, comment = 'test-vector'): string {
  const str = (b: Buffer | string) => {
    const body = typeof b === 'string' ? Buffer.from(b) : b
    const len = Buffer.alloc(4)
    len.writeUInt32BE(body.length)
    return Buffer.concat([len, body])
  }
  const u32 = (n: number) => {
    const b = Buffer.alloc(4)
    b.writeUInt32BE(n)
    return b
  }
  const pub = Buffer.concat([str('ssh-ed25519'), str(publicKey)])
  const check = u32(0x5eed5eed)
  let priv = Buffer.concat([check, check, pub, str(Buffer.concat([seed, publicKey])), str(comment)])
  // Padding to the cipher block size (8 for "none"): bytes 1, 2, 3, …
  const pad = (8 - (priv.length % 8)) % 8
  priv = Buffer.concat([priv, Buffer.from(Array.from({ length: pad }, (_, i) => i + 1))])
  const blob = Buffer.concat([
    Buffer.from('openssh-key-v1\0'),
    str('none'),
    str('none'),
    str(''),
    u32(1),
    str(pub),
    str(priv),
  ])
  const lines = blob.toString('base64').match(/.{1,70}/g) ?? []
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join('\n')}\n-----END OPENSSH PRIVATE KEY-----\n`
}
