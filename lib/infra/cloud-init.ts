/**
 * Renders the `#cloud-config` user data of a cloud host: Docker (distro package or Docker's apt repository),
 * the pre-generated ed25519 host key (so the CLI pins it before the first connection), a non-root deploy
 * user in the docker group, no password SSH, nftables keeping containers away from the metadata service (which
 * serves this very user data), and optionally an nftables host firewall (Contabo has no cloud firewall) and the
 * Docker API over mutual TLS. Docker never listens on TCP otherwise.
 */
import { stringify } from 'yaml'
import { InfraInputError } from './errors.ts'
import { type FirewallSpec, verifyFirewallSpec } from './firewall.ts'
import { buildNftablesRules } from './nftables.ts'
import { DOCKER_TLS_PORT, verifyPublicKey } from './validate.ts'

export type DockerInstall = 'distro' | 'docker-ce'

/** Server side of the Docker TLS mode: the daemon accepts only clients with a certificate signed by caCert. */
export interface DockerTlsServer {
  caCert: string
  serverCert: string
  serverKey: string
}

export interface CloudInitInput {
  hostKey: { privateKey: string; publicKey: string }
  /** Public keys allowed to log in as the deploy user. */
  authorizedKeys: readonly string[]
  /** Default `deploy`. */
  user?: string
  dockerInstall: DockerInstall
  /** Distribution of the image, for Docker's apt repository path (docker-ce only). Default `debian`. */
  os?: 'debian' | 'ubuntu'
  dockerTls?: DockerTlsServer
  hostFirewall?: FirewallSpec
}

/** The fingerprint of Docker's apt signing key (https://download.docker.com/linux/debian/gpg). */
const DOCKER_APT_KEY = '9DC858229FC7DD38854AE2D88D81803C0EBFCD88'
const TLS_DIR = '/etc/docker/tls'

function verifyInput(input: CloudInitInput): string {
  const user = input.user ?? 'deploy'
  if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(user) || user === 'root')
    throw new InfraInputError(
      'user',
      `${JSON.stringify(user)} is not a usable login name`,
      'Use a lowercase non-root name such as "deploy".',
    )
  if (!input.hostKey.privateKey.includes('BEGIN OPENSSH PRIVATE KEY'))
    throw new InfraInputError(
      'hostKey.privateKey',
      'not an OpenSSH private key',
      'Generate it with generateHostKey().',
    )
  verifyPublicKey('hostKey.publicKey', input.hostKey.publicKey, ['ssh-ed25519'])
  if (input.authorizedKeys.length === 0)
    throw new InfraInputError(
      'authorizedKeys',
      'no key given',
      "Pass the operator's public key, for example ~/.ssh/id_ed25519.pub.",
    )
  for (const [i, key] of input.authorizedKeys.entries()) verifyPublicKey(`authorizedKeys[${i}]`, key)
  if (input.dockerTls !== undefined) {
    for (const [name, pem] of Object.entries(input.dockerTls))
      if (!pem.trimStart().startsWith('-----BEGIN '))
        throw new InfraInputError(
          `dockerTls.${name}`,
          'not PEM text',
          'Pass the PEM contents (-----BEGIN …), not a path.',
        )
  }
  if (input.hostFirewall !== undefined) verifyFirewallSpec(input.hostFirewall, input.dockerTls !== undefined)
  return user
}

function dockerPackages(install: DockerInstall): string[] {
  return install === 'distro' ? ['docker.io'] : ['docker-ce', 'docker-ce-cli', 'containerd.io']
}

function tlsFiles(tls: DockerTlsServer, install: DockerInstall): object[] {
  const dockerd = install === 'distro' ? '/usr/sbin/dockerd' : '/usr/bin/dockerd'
  const daemon = {
    hosts: ['unix:///var/run/docker.sock', `tcp://0.0.0.0:${DOCKER_TLS_PORT}`],
    tls: true,
    tlsverify: true,
    tlscacert: `${TLS_DIR}/ca.pem`,
    tlscert: `${TLS_DIR}/server-cert.pem`,
    tlskey: `${TLS_DIR}/server-key.pem`,
  }
  return [
    { path: `${TLS_DIR}/ca.pem`, permissions: '0644', content: tls.caCert },
    { path: `${TLS_DIR}/server-cert.pem`, permissions: '0644', content: tls.serverCert },
    { path: `${TLS_DIR}/server-key.pem`, permissions: '0600', content: tls.serverKey },
    { path: '/etc/docker/daemon.json', permissions: '0644', content: `${JSON.stringify(daemon, null, 2)}\n` },
    // The packaged unit passes -H fd://, which conflicts with "hosts" in daemon.json.
    {
      path: '/etc/systemd/system/docker.service.d/10-debug-cloud-tls.conf',
      permissions: '0644',
      content: `[Service]\nExecStart=\nExecStart=${dockerd} --containerd=/run/containerd/containerd.sock\n`,
    },
  ]
}

/** Render the user data; throws InfraInputError on a bad input. The result holds the host private key. */
export function renderCloudInit(input: CloudInitInput): string {
  const user = verifyInput(input)
  const packages = [...dockerPackages(input.dockerInstall), 'nftables']
  const writeFiles: object[] = [
    {
      path: '/etc/ssh/sshd_config.d/60-debug-cloud.conf',
      permissions: '0644',
      content: 'PasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitRootLogin no\n',
    },
    {
      path: '/etc/nftables.conf',
      permissions: '0755',
      content: buildNftablesRules(input.hostFirewall, input.dockerTls !== undefined),
    },
    ...(input.dockerTls ? tlsFiles(input.dockerTls, input.dockerInstall) : []),
  ]
  const runcmd: string[][] = [
    // Before Docker starts any container: from then on no container reaches the metadata service.
    ['systemctl', 'enable', '--now', 'nftables'],
    // The docker group comes with the package, so membership is granted after the packages are installed.
    ['usermod', '-aG', 'docker', user],
    ...(input.dockerTls ? [['systemctl', 'daemon-reload']] : []),
    ['systemctl', 'enable', 'docker'],
    ['systemctl', 'restart', 'docker'],
    ['systemctl', 'reload-or-restart', 'ssh'],
  ]
  const config = {
    ssh_pwauth: false,
    disable_root: true,
    ssh_deletekeys: true,
    ssh_keys: { ed25519_private: input.hostKey.privateKey, ed25519_public: input.hostKey.publicKey.trim() },
    users: [
      'default',
      {
        name: user,
        shell: '/bin/bash',
        lock_passwd: true,
        ssh_authorized_keys: input.authorizedKeys.map((k) => k.trim()),
      },
    ],
    ...(input.dockerInstall === 'docker-ce'
      ? {
          apt: {
            sources: {
              'docker.list': {
                source: `deb [arch=amd64 signed-by=$KEY_FILE] https://download.docker.com/linux/${input.os ?? 'debian'} $RELEASE stable`,
                keyid: DOCKER_APT_KEY,
              },
            },
          },
        }
      : {}),
    package_update: true,
    packages,
    write_files: writeFiles,
    runcmd,
  }
  return `#cloud-config\n${stringify(config, { lineWidth: 0 })}`
}
