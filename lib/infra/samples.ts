/**
 * Representative cloud-init inputs, one per variant the stacks can render, for `cloud-init schema` checks.
 * The TLS PEM blocks are placeholders: the schema checks structure, not certificates.
 */
import type { CloudInitInput } from './cloud-init.ts'
import type { HostKey } from './host-key.ts'

const pem = (label: string) =>
  `-----BEGIN ${label}-----\nc2NoZW1hLWNoZWNrLXNhbXBsZQ==\n-----END ${label}-----\n`

/** Named cloud-init inputs covering distro/docker-ce installs, Ubuntu, the nftables firewall and TLS mode. */
export function buildCloudInitSamples(
  hostKey: HostKey,
  operatorKey: string,
): { name: string; input: CloudInitInput }[] {
  const base = { hostKey, authorizedKeys: [operatorKey] }
  const firewall = {
    sshSourceRanges: ['203.0.113.7/32', '2001:db8::/48'],
    appPorts: [{ port: 8080, protocol: 'tcp' as const, sourceRanges: ['198.51.100.0/24'] }],
  }
  return [
    { name: 'hetzner-distro', input: { ...base, dockerInstall: 'distro' } },
    { name: 'hetzner-docker-ce-ubuntu', input: { ...base, dockerInstall: 'docker-ce', os: 'ubuntu' } },
    { name: 'contabo-firewall', input: { ...base, dockerInstall: 'distro', hostFirewall: firewall } },
    {
      name: 'contabo-firewall-tls',
      input: {
        ...base,
        dockerInstall: 'docker-ce',
        hostFirewall: { ...firewall, dockerTlsSourceRanges: ['198.51.100.0/24'] },
        dockerTls: {
          caCert: pem('CERTIFICATE'),
          serverCert: pem('CERTIFICATE'),
          serverKey: pem('PRIVATE KEY'),
        },
      },
    },
  ]
}
