/**
 * The host firewall for providers without a cloud firewall (Contabo): an nftables table that drops inbound
 * traffic except SSH and the configured ports from their source ranges. It replaces only its own table, so
 * Docker's own rules survive a reload.
 */
import { isIP } from 'node:net'
import type { FirewallSpec } from './firewall.ts'
import { DOCKER_TLS_PORT } from './validate.ts'

const TABLE = 'debug_cloud'

function allowRules(ranges: readonly string[], protocol: string, port: number): string[] {
  const byFamily = (family: 4 | 6) => ranges.filter((r) => isIP(r.split('/')[0] ?? '') === family)
  const rules: string[] = []
  for (const [family, match] of [
    [4, 'ip'],
    [6, 'ip6'],
  ] as const) {
    const list = byFamily(family)
    if (list.length > 0)
      rules.push(`    ${match} saddr { ${list.join(', ')} } ${protocol} dport ${port} accept`)
  }
  return rules
}

/** The /etc/nftables.conf text (pure; inputs are verified by verifyFirewallSpec). */
export function buildNftablesRules(firewall: FirewallSpec, tlsEnabled: boolean): string {
  const tlsRanges = tlsEnabled ? (firewall.dockerTlsSourceRanges ?? []) : []
  return [
    '#!/usr/sbin/nft -f',
    `# Managed by debug-cloud. Only table inet ${TABLE} is replaced, so Docker's rules survive a reload.`,
    `table inet ${TABLE}`,
    `delete table inet ${TABLE}`,
    `table inet ${TABLE} {`,
    '  chain input {',
    '    type filter hook input priority filter; policy drop;',
    '    ct state established,related accept',
    '    ct state invalid drop',
    '    iifname "lo" accept',
    '    meta l4proto { icmp, ipv6-icmp } accept',
    ...allowRules(firewall.sshSourceRanges, 'tcp', 22),
    ...firewall.appPorts.flatMap((rule) => allowRules(rule.sourceRanges, rule.protocol, rule.port)),
    ...(tlsRanges.length > 0 ? allowRules(tlsRanges, 'tcp', DOCKER_TLS_PORT) : []),
    '  }',
    '}',
    '',
  ].join('\n')
}
