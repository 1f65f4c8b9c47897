/**
 * The host's own nftables table (`inet debug_cloud`), on every cloud host. Its `forward` chain keeps containers
 * away from the link-local metadata service, which serves the user data, host private key included, to
 * whatever asks from the host (both clouds). With a host firewall (Contabo has no cloud firewall) it also
 * drops inbound traffic except SSH and the configured ports from their source ranges, on the host (`input`)
 * and on Docker's own path to containers: a published port is DNATed in prerouting and then FORWARDED, so an
 * input chain alone never sees it. The file replaces only its own table, so Docker's rules survive a reload.
 */
import { isIP } from 'node:net'
import type { FirewallSpec } from './firewall.ts'
import { DOCKER_TLS_PORT } from './validate.ts'

const TABLE = 'debug_cloud'
/** Link-local addresses, the metadata service 169.254.169.254 among them. */
const LINK_LOCAL = '169.254.0.0/16'

/** `<family> saddr { ranges } <match> accept` for each address family present in `ranges`. */
function allowRules(ranges: readonly string[], match: string): string[] {
  const byFamily = (family: 4 | 6) => ranges.filter((r) => isIP(r.split('/')[0] ?? '') === family)
  const rules: string[] = []
  for (const [family, saddr] of [
    [4, 'ip'],
    [6, 'ip6'],
  ] as const) {
    const list = byFamily(family)
    if (list.length > 0) rules.push(`    ${saddr} saddr { ${list.join(', ')} } ${match} accept`)
  }
  return rules
}

function inputChain(firewall: FirewallSpec, tlsEnabled: boolean): string[] {
  const tlsRanges = tlsEnabled ? (firewall.dockerTlsSourceRanges ?? []) : []
  return [
    '  chain input {',
    '    type filter hook input priority filter; policy drop;',
    '    ct state established,related accept',
    '    ct state invalid drop',
    '    iifname "lo" accept',
    '    meta l4proto { icmp, ipv6-icmp } accept',
    ...allowRules(firewall.sshSourceRanges, 'tcp dport 22'),
    ...firewall.appPorts.flatMap((rule) =>
      allowRules(rule.sourceRanges, `${rule.protocol} dport ${rule.port}`),
    ),
    ...allowRules(tlsRanges, `tcp dport ${DOCKER_TLS_PORT}`),
    '  }',
  ]
}

function forwardChain(firewall: FirewallSpec | undefined): string[] {
  // After Docker's DNAT the destination port is the container's; the published one is the original tuple's.
  const published = (rule: FirewallSpec['appPorts'][number]) =>
    allowRules(rule.sourceRanges, `meta l4proto ${rule.protocol} ct original proto-dst ${rule.port}`)
  return [
    '  chain forward {',
    `    type filter hook forward priority filter; policy ${firewall ? 'drop' : 'accept'};`,
    `    ip daddr ${LINK_LOCAL} drop`,
    ...(firewall
      ? [
          '    ct state established,related accept',
          '    ct state invalid drop',
          '    iifname "docker0" accept',
          '    iifname "br-*" accept',
          ...firewall.appPorts.flatMap(published),
        ]
      : []),
    '  }',
  ]
}

/**
 * The /etc/nftables.conf text (pure; inputs are verified by verifyFirewallSpec): the metadata block always,
 * the inbound filter when `hostFirewall` is given.
 */
export function buildNftablesRules(hostFirewall: FirewallSpec | undefined, tlsEnabled: boolean): string {
  return [
    '#!/usr/sbin/nft -f',
    `# Managed by debug-cloud. Only table inet ${TABLE} is replaced, so Docker's rules survive a reload.`,
    `table inet ${TABLE}`,
    `delete table inet ${TABLE}`,
    `table inet ${TABLE} {`,
    ...(hostFirewall ? inputChain(hostFirewall, tlsEnabled) : []),
    ...forwardChain(hostFirewall),
    '}',
    '',
  ].join('\n')
}
