/**
 * How the launcher reaches a stack's Docker host: the local socket, or SSH with a pinned host key
 * (a new VM's pre-generated key, or the known_hosts file the operator gives for an existing server).
 */
import { readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { CliError, ExitCode, UsageError } from '../errors.ts'
import { buildKnownHostsLine } from '../infra/host-key.ts'
import { buildDockerHostUrl, buildSshOptions, type SshTarget, writeKnownHosts } from '../ssh/target.ts'
import type { StackRecord } from '../state/schema.ts'

export const DEFAULT_LOCAL_DOCKER_HOST = 'unix:///var/run/docker.sock'

export interface DockerTarget {
  /** ssh://user@host:port or unix:///path */
  dockerHost: string
  /** Set for ssh:// hosts. */
  ssh?: SshTarget
}

/** A Docker host reached over pinned SSH. */
export interface SshDockerTarget extends DockerTarget {
  ssh: SshTarget
}

/** The operator's SSH private key: --ssh-key, else ~/.ssh/id_ed25519. */
export function resolveSshKey(flag: string | undefined): string {
  return flag ?? join(homedir(), '.ssh', 'id_ed25519')
}

/** The docker provider's ssh_opts for a target (empty for a local socket). */
export function dockerSshOpts(target: DockerTarget): string[] {
  return target.ssh ? buildSshOptions(target.ssh) : []
}

/** Parse `ssh://user@host[:port]`. */
function parseSshUrl(url: string): { user: string; host: string; port: number } {
  const match = /^ssh:\/\/(?<user>[a-z_][a-z0-9_-]*)@(?<host>[A-Za-z0-9.:-]+?)(?::(?<port>\d{1,5}))?$/.exec(
    url,
  )
  const { user, host, port } = match?.groups ?? {}
  if (user === undefined || host === undefined)
    throw new UsageError(`--docker-host "${url}" is not ssh://user@host[:port] or unix:///path.`)
  return { user, host, port: Number(port ?? 22) }
}

/** The public key pinned for host:port in a known_hosts file, or a clear error (no trust on first use). */
export async function readPinnedHostKey(knownHostsFile: string, host: string, port: number): Promise<string> {
  const wanted = buildKnownHostsLine(host, port, 'x y').split(' ')[0]
  const text = await readFile(knownHostsFile, 'utf8').catch((error: unknown) => {
    throw new CliError(`Cannot read the known_hosts file ${knownHostsFile}.`, {
      hint: 'Give --known-hosts a file that pins the host key of the existing server.',
      exitCode: ExitCode.notFound,
      cause: error,
    })
  })
  for (const line of text.split('\n')) {
    const [names, type, key] = line.trim().split(/\s+/)
    if (names?.split(',').includes(wanted ?? '') && type && key) return `${type} ${key}`
  }
  throw new CliError(`${knownHostsFile} pins no host key for ${wanted}.`, {
    hint: "Add the server's host key, verified out of band (for example from its console: ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub).",
    exitCode: ExitCode.badInput,
  })
}

/** The target of `--provider local`: the local socket by default, or an existing server over pinned SSH. */
export function localDockerTarget(
  dockerHost: string | undefined,
  sshKey: string,
  knownHosts: string | undefined,
): DockerTarget {
  const url = dockerHost ?? DEFAULT_LOCAL_DOCKER_HOST
  if (url.startsWith('unix://')) return { dockerHost: url }
  const { user, host, port } = parseSshUrl(url)
  if (!knownHosts) {
    throw new UsageError(
      `--docker-host ${url} needs --known-hosts: the host key must be pinned before the first connection.`,
      "Pass a known_hosts file holding the server's host key, verified out of band.",
    )
  }
  return { dockerHost: url, ssh: { host, port, user, identityFile: sshKey, knownHostsFile: knownHosts } }
}

/** The target of a VM the host phase created. */
export function cloudDockerTarget(
  address: string,
  port: number,
  user: string,
  sshKey: string,
  knownHostsFile: string,
): SshDockerTarget {
  const ssh = { host: address, port, user, identityFile: sshKey, knownHostsFile }
  return { dockerHost: buildDockerHostUrl(ssh), ssh }
}

/**
 * The Docker target of a recorded stack (destroy, connect, logs, status): its local socket, or SSH to the
 * recorded address with the recorded host key, written to `knownHostsFile` first so the pin is the record's.
 */
export async function recordDockerTarget(
  record: Pick<StackRecord, 'dockerHost' | 'address' | 'ssh'>,
  knownHostsFile: string,
  sshKey: string,
): Promise<DockerTarget | undefined> {
  if (record.dockerHost?.startsWith('unix://')) return { dockerHost: record.dockerHost }
  if (!record.address || !record.ssh || record.ssh.knownHosts === '') return undefined
  await writeKnownHosts(knownHostsFile, `${record.ssh.knownHosts.trim()}\n`)
  return cloudDockerTarget(record.address, record.ssh.port, record.ssh.user, sshKey, knownHostsFile)
}
