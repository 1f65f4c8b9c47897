/**
 * What a host's firewall opens: SSH and app ports to their source ranges, and the mutual-TLS Docker API only
 * to named networks. Applied by hcloud_firewall on Hetzner and by nftables on the host for Contabo.
 */
import { InfraInputError } from './errors.ts'
import { verifyFirewallPort, verifySourceRanges } from './validate.ts'

export interface FirewallPort {
  port: number
  protocol: 'tcp' | 'udp'
  sourceRanges: readonly string[]
}

export interface FirewallSpec {
  sshSourceRanges: readonly string[]
  appPorts: readonly FirewallPort[]
  /** Who may reach the mutual-TLS Docker API (2376); only with dockerTls, never the whole internet. */
  dockerTlsSourceRanges?: readonly string[]
}

/** Throw InfraInputError unless every range and port of the firewall is acceptable. */
export function verifyFirewallSpec(firewall: FirewallSpec, tlsEnabled: boolean): void {
  verifySourceRanges('firewall.sshSourceRanges', firewall.sshSourceRanges)
  firewall.appPorts.forEach((rule, i) => {
    verifyFirewallPort(`firewall.appPorts[${i}].port`, rule.port)
    if (rule.protocol !== 'tcp' && rule.protocol !== 'udp')
      throw new InfraInputError(
        `firewall.appPorts[${i}].protocol`,
        `${JSON.stringify(rule.protocol)} is not allowed`,
        'Use one of: tcp, udp.',
      )
    verifySourceRanges(`firewall.appPorts[${i}].sourceRanges`, rule.sourceRanges)
  })
  const tlsRanges = firewall.dockerTlsSourceRanges ?? []
  if (tlsRanges.length > 0 && !tlsEnabled)
    throw new InfraInputError(
      'firewall.dockerTlsSourceRanges',
      'set without dockerTls',
      'Pass dockerTls as well, or leave the ranges empty: without TLS the Docker API is never exposed.',
    )
  if (tlsRanges.length > 0) verifySourceRanges('firewall.dockerTlsSourceRanges', tlsRanges, false)
}
