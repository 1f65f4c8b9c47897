/**
 * Input guards shared by the cloud-init and stack renderers. Each throws an InfraInputError that names the
 * field and says what a good value looks like.
 */
import { isIP } from 'node:net'
import { InfraInputError } from './errors.ts'

/** Ports that expose the Docker API; never opened by a firewall rule we render. */
export const DOCKER_API_PORTS: readonly number[] = [2375, 2376]

/** The only TCP port the Docker API may listen on, and only with mutual TLS. */
export const DOCKER_TLS_PORT = 2376

const WORLD = ['0.0.0.0/0', '::/0']

/** True when `cidr` is an IPv4 or IPv6 address with a valid prefix length. */
export function isCidr(cidr: string): boolean {
  const [address, prefix, ...rest] = cidr.split('/')
  if (address === undefined || prefix === undefined || rest.length > 0 || !/^\d{1,3}$/.test(prefix))
    return false
  const family = isIP(address)
  return family !== 0 && Number(prefix) <= (family === 4 ? 32 : 128)
}

/** Source ranges: a non-empty list of CIDRs; `allowWorld: false` also refuses 0.0.0.0/0 and ::/0. */
export function verifySourceRanges(field: string, ranges: readonly string[], allowWorld = true): void {
  if (ranges.length === 0)
    throw new InfraInputError(
      field,
      'the list is empty',
      'Give at least one CIDR, for example 203.0.113.7/32.',
    )
  for (const range of ranges) {
    if (!isCidr(range))
      throw new InfraInputError(
        field,
        `${JSON.stringify(range)} is not a CIDR`,
        'Write ranges as 203.0.113.7/32 or 2001:db8::/48.',
      )
    if (!allowWorld && WORLD.includes(range))
      throw new InfraInputError(
        field,
        `${range} opens it to the whole internet`,
        'Name the operator networks that need it, for example 203.0.113.7/32.',
      )
  }
}

/** A port number for a firewall rule: 1-65535, not SSH (always open) and not the Docker API. */
export function verifyFirewallPort(field: string, port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new InfraInputError(field, `${port} is not a port number`, 'Use a whole number from 1 to 65535.')
  if (port === 22 || DOCKER_API_PORTS.includes(port))
    throw new InfraInputError(
      field,
      `port ${port} cannot be listed`,
      'SSH (22) is always open to the SSH source ranges; the Docker API (2375/2376) is reached through SSH, or through mutual TLS with dockerTls.',
    )
}

/** One OpenSSH public key line of the given key types. */
export function verifyPublicKey(
  field: string,
  key: string,
  types: readonly string[] = ['ssh-ed25519', 'ssh-rsa'],
): void {
  const [type, blob] = key.trim().split(/\s+/)
  if (
    key.includes('\n') ||
    type === undefined ||
    !types.includes(type) ||
    !/^[A-Za-z0-9+/]+=*$/.test(blob ?? '')
  )
    throw new InfraInputError(
      field,
      'not a single OpenSSH public key line',
      `Expected "${types[0]} AAAA… [comment]", for example the contents of ~/.ssh/id_ed25519.pub.`,
    )
}
