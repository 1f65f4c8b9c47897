/**
 * Pre-generated SSH host keys: the CLI creates the host's ed25519 key itself, hands the private half to
 * cloud-init and pins the public half in known_hosts before the first connection (no trust on first use).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildChildEnv, type Proc } from '../proc.ts'
import { HostKeyError } from './errors.ts'

export interface HostKey {
  /** OpenSSH private key text; a secret. */
  privateKey: string
  /** `ssh-ed25519 AAAA… <comment>` */
  publicKey: string
  /** `SHA256:…` as printed by `ssh-keygen -l -E sha256`. */
  fingerprint: string
}

/** Generate an ed25519 host key with ssh-keygen in a private temp dir that is removed on every path. */
export async function generateHostKey(proc: Proc, comment = 'debug-cloud-host'): Promise<HostKey> {
  const dir = await mkdtemp(join(tmpdir(), 'debug-cloud-hostkey-'))
  try {
    const file = join(dir, 'ssh_host_ed25519_key')
    const env = buildChildEnv()
    const made = await proc.run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file], {
      env,
    })
    if (made.exitCode !== 0) throw new HostKeyError('ssh-keygen could not generate a host key', made.stderr)
    const listed = await proc.run(['ssh-keygen', '-l', '-E', 'sha256', '-f', `${file}.pub`], { env })
    const fingerprint = /\s(SHA256:[A-Za-z0-9+/]{43})\s/.exec(listed.stdout)?.[1]
    if (listed.exitCode !== 0 || fingerprint === undefined)
      throw new HostKeyError('ssh-keygen could not fingerprint the host key', listed.stderr || listed.stdout)
    const [privateKey, publicKey] = await Promise.all([
      readFile(file, 'utf8'),
      readFile(`${file}.pub`, 'utf8'),
    ])
    return { privateKey, publicKey: publicKey.trim(), fingerprint }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** A known_hosts line pinning `publicKey` (comment dropped) for host[:port]; `[host]:port` when port ≠ 22. */
export function buildKnownHostsLine(host: string, port: number, publicKey: string): string {
  const [type, blob] = publicKey.trim().split(/\s+/)
  if (type === undefined || blob === undefined)
    throw new TypeError('buildKnownHostsLine: publicKey must be "<type> <base64>"')
  const name = port === 22 ? host : `[${host}]:${port}`
  return `${name} ${type} ${blob}`
}
