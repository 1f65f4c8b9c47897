/**
 * How we reach a host over SSH: always with the host key pinned in a known_hosts file of our own
 * (StrictHostKeyChecking=yes, no trust on first use), our own identity only, never a password, and no
 * user or system ssh_config in the way.
 */
import { mkdir, readFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { writeFileAtomic } from '../state/atomic.ts'

export interface SshTarget {
  host: string
  port: number
  user: string
  /** Private key of the operator (not copied anywhere). */
  identityFile: string
  /** known_hosts file that pins the host key. */
  knownHostsFile: string
}

/** `-o` options that pin the host key and the identity; also used as the docker provider's ssh_opts. */
export function buildSshOptions(target: Pick<SshTarget, 'identityFile' | 'knownHostsFile'>): string[] {
  // biome-ignore format: option/value pairs read better side by side
  return [
    '-o', 'BatchMode=yes',
    '-o', 'StrictHostKeyChecking=yes',
    '-o', `UserKnownHostsFile=${target.knownHostsFile}`,
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'IdentitiesOnly=yes',
    '-o', 'PasswordAuthentication=no',
    '-o', 'KbdInteractiveAuthentication=no',
    '-o', 'ConnectTimeout=5',
    '-o', 'ServerAliveInterval=15',
    '-i', target.identityFile,
  ]
}

/**
 * argv of `ssh` to the target: `extra` options (forwards, control socket) before the destination, then the
 * remote command words as separate arguments.
 */
export function buildSshArgs(
  target: SshTarget,
  remote: readonly string[],
  extra: readonly string[] = [],
): string[] {
  return [
    'ssh',
    '-F',
    '/dev/null',
    ...buildSshOptions(target),
    ...extra,
    '-p',
    String(target.port),
    '-l',
    target.user,
    '--',
    target.host,
    ...remote,
  ]
}

/** The `ssh://user@host:port` URL Docker uses for this target. */
export function buildDockerHostUrl(target: Pick<SshTarget, 'host' | 'port' | 'user'>): string {
  return `ssh://${target.user}@${target.host}:${target.port}`
}

/**
 * Write the pinned known_hosts file (its directory private to the operator): atomically, so an ssh started by
 * another command never reads it half-written, and not at all when it already says the same.
 */
export async function writeKnownHosts(path: string, content: string): Promise<void> {
  if ((await readFile(path, 'utf8').catch(() => undefined)) === content) return
  await mkdir(dirname(path), { recursive: true, mode: 0o700 })
  await writeFileAtomic(path, content)
}
