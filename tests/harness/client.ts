/**
 * The operator's side of a test host, for tests: ssh argv with the pinned host key, and an environment in
 * which the docker CLI's `-H ssh://…` uses the same pinning (docker passes no options to ssh, so they go
 * into an ssh config file that a shim `ssh` passes with -F).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { TestHost } from './types.ts'

/** `ssh … deploy@address -- <command>` with the host key pinned and only the bench's client key. */
export function buildSshArgv(
  host: TestHost,
  command: readonly string[],
  knownHostsPath = host.knownHostsPath,
): string[] {
  const opts = [...host.sshOpts]
  const index = opts.indexOf(`UserKnownHostsFile=${host.knownHostsPath}`)
  if (index >= 0) opts[index] = `UserKnownHostsFile=${knownHostsPath}`
  return ['ssh', ...opts, '-p', String(host.sshPort), `${host.sshUser}@${host.address}`, '--', ...command]
}

/** An ssh config pinning the host key for `host.address`, as the docker CLI's ssh helper reads it. */
export function buildSshConfig(host: TestHost): string {
  return `${[
    `Host ${host.address}`,
    `  User ${host.sshUser}`,
    `  Port ${host.sshPort}`,
    `  IdentityFile ${host.clientKeyPath}`,
    '  IdentitiesOnly yes',
    `  UserKnownHostsFile ${host.knownHostsPath}`,
    '  GlobalKnownHostsFile /dev/null',
    '  StrictHostKeyChecking yes',
    '  BatchMode yes',
  ].join('\n')}\n`
}

/**
 * An environment in which `docker -H ssh://…` pins the host key: ssh reads its config from the passwd home,
 * not $HOME, so a shim `ssh` first on PATH adds `-F <config>`. Returns the PATH to give the docker CLI.
 */
export function writeDockerSshShim(dir: string, hosts: readonly TestHost[]): { PATH: string } {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const config = join(dir, 'ssh_config')
  writeFileSync(config, hosts.map(buildSshConfig).join('\n'), { mode: 0o600 })
  writeFileSync(join(dir, 'ssh'), `#!/bin/sh\nexec /usr/bin/ssh -F '${config}' "$@"\n`, { mode: 0o755 })
  return { PATH: `${dir}:${process.env.PATH ?? '/usr/bin:/bin'}` }
}
