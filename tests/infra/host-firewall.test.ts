/**
 * The host firewall on a real packet path: the rendered /etc/nftables.conf loaded with the real nft into a
 * bench host (its own network namespace, a real dockerd with iptables), a published container port probed
 * from outside, container egress, and a metadata-service stand-in behind the host. Without the table the port
 * and the metadata are reachable (so each probe can fail); with Contabo's host firewall the published port is
 * closed unless the firewall opens it (Docker's DNAT/FORWARD path, not only input), SSH and egress still work
 * and the metadata service is out of the containers' reach; Hetzner's table keeps only the metadata block.
 */
import { writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { buildNftablesRules } from '../../lib/infra/nftables.ts'
import { startBench } from '../harness/hosts.ts'
import type { TestBench, TestHost } from '../harness/types.ts'
import { testUnless, whyNotRoot } from '../helpers/skip.ts'
import {
  fetchFromContainer,
  isTcpOpen,
  METADATA_ANSWER,
  startMetadataStandIn,
  stopMetadataStandIn,
} from './firewall-probes.ts'

const skip = whyNotRoot()
const CLOSED_PORT = 18080
const OPEN_PORT = 18081
const METADATA = 'http://169.254.169.254/latest/user-data'
let bench: TestBench
let host: TestHost
let gateway: string
let outside: Server
let metadataPid: string

async function docker(...args: string[]): Promise<void> {
  const done = await host.exec(['docker', '-H', 'unix:///run/docker.sock', ...args])
  if (done.exitCode !== 0) throw new Error(`docker ${args.join(' ')}: ${done.stderr}`)
}

async function loadRules(name: string, text: string): Promise<void> {
  const file = join(host.logDir, `${name}.nft`)
  writeFileSync(file, text)
  const loaded = await host.exec(['nft', '-f', file])
  assert.is(loaded.exitCode, 0, loaded.stderr)
}

/** Until `port` answers from outside (the container's server started), at most 20 s. */
async function waitOpen(port: number): Promise<void> {
  for (let i = 0; i < 100 && !(await isTcpOpen(host.address, port, 500)); i++)
    await new Promise((resolve) => setTimeout(resolve, 200))
}

test.before(async () => {
  if (skip) return
  bench = await startBench(1)
  host = bench.hosts[0]!
  gateway = host.address.replace(/\.\d+$/, '.1')
  // Something on the internet side for the containers' egress.
  outside = createServer((_, res) => res.end('egress-ok'))
  await new Promise<void>((resolve) => outside.listen(0, gateway, resolve))
  metadataPid = await startMetadataStandIn(host)
  for (const [name, port] of [
    ['fw-closed', CLOSED_PORT],
    ['fw-open', OPEN_PORT],
  ] as const)
    await docker('run', '-d', '--name', name, '-p', `0.0.0.0:${port}:8080`, host.image)
  await waitOpen(CLOSED_PORT)
  await waitOpen(OPEN_PORT)
})

test.after(async () => {
  if (metadataPid) await stopMetadataStandIn(host, metadataPid)
  outside?.close()
  await bench?.stop()
})

const egressUrl = () => `http://${gateway}:${(outside.address() as { port: number }).port}/`

testUnless(
  test,
  skip,
  'without the table: the published port and the metadata service are reachable',
  async () => {
    assert.ok(await isTcpOpen(host.address, CLOSED_PORT), 'Docker publishes 0.0.0.0 ports to the outside')
    assert.is(await fetchFromContainer(host, METADATA), METADATA_ANSWER)
    assert.is(await fetchFromContainer(host, egressUrl()), 'egress-ok')
  },
)

testUnless(
  test,
  skip,
  "Contabo's host firewall: Docker's published path is filtered too, SSH and egress work, no metadata",
  async () => {
    await loadRules(
      'contabo',
      buildNftablesRules(
        {
          sshSourceRanges: ['0.0.0.0/0', '::/0'],
          appPorts: [{ port: OPEN_PORT, protocol: 'tcp', sourceRanges: [`${gateway}/32`] }],
        },
        false,
      ),
    )
    assert.not.ok(
      await isTcpOpen(host.address, CLOSED_PORT),
      'a published port the firewall does not open is closed',
    )
    assert.ok(await isTcpOpen(host.address, OPEN_PORT), 'a port the firewall opens reaches its container')
    assert.ok(await isTcpOpen(host.address, 22), 'SSH is open')
    assert.is(
      await fetchFromContainer(host, METADATA),
      undefined,
      'containers do not reach the metadata service',
    )
    assert.is(await fetchFromContainer(host, egressUrl()), 'egress-ok', 'containers still reach out')
  },
)

testUnless(
  test,
  skip,
  "Hetzner's table (its cloud firewall filters inbound): only the metadata service is blocked",
  async () => {
    await loadRules('hetzner', buildNftablesRules(undefined, false))
    assert.ok(await isTcpOpen(host.address, CLOSED_PORT), 'inbound is left to the cloud firewall')
    assert.is(
      await fetchFromContainer(host, METADATA),
      undefined,
      'containers do not reach the metadata service',
    )
    assert.is(await fetchFromContainer(host, egressUrl()), 'egress-ok')
  },
)

test.run()
