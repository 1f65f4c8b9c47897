/**
 * Probes of a host's firewall along real packet paths, for tests/infra/host-firewall.test.ts on a bench host
 * and, later, for the booted-machine test of a real cloud VM (FIREWALL PROBES HOOK: the same three questions
 * must get the same answers there): does a TCP connection from outside reach a port, does a container reach a
 * URL, and a metadata-service stand-in at 169.254.169.254 that is a separate network stack behind the host,
 * as the real one is (container → docker0 → host FORWARD → the link), not an address of the host itself.
 */
import { connect } from 'node:net'
import type { TestHost } from '../harness/types.ts'

/** True when a TCP connection to address:port from this process opens within `timeoutMs`. */
export function isTcpOpen(address: string, port: number, timeoutMs = 3000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port, timeout: timeoutMs })
    const done = (open: boolean) => {
      socket.destroy()
      resolve(open)
    }
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
    socket.once('timeout', () => done(false))
  })
}

/**
 * What a throwaway container on the host's default bridge gets from `url`, or undefined when it gets nothing
 * within 5 s (busybox wget, bounded by busybox timeout: this busybox's wget -T crashes). A shell is the
 * container's PID 1, because PID 1 of a namespace ignores the signal timeout sends.
 */
export async function fetchFromContainer(host: TestHost, url: string): Promise<string | undefined> {
  const done = await host.exec([
    'docker',
    '-H',
    'unix:///run/docker.sock',
    'run',
    '--rm',
    '--entrypoint',
    '/bin/sh',
    host.image,
    '-c',
    // Not the last command of the script, so the shell does not exec it (and stays PID 1).
    '/bin/busybox timeout 5 wget -q -O - "$0" || exit 1',
    url,
  ])
  return done.exitCode === 0 ? done.stdout : undefined
}

/** What the metadata stand-in answers every request with. */
export const METADATA_ANSWER = 'user-data: ssh_keys: ed25519_private: (stand-in)'

/**
 * Start the metadata stand-in on `host`: a node HTTP server in a network namespace of its own (living only as
 * long as the process: nothing named to sweep), 169.254.169.254/24 on a veth whose host end is 169.254.169.1.
 * Returns the server's pid (in the host's PID namespace) for `stopMetadataStandIn`.
 */
export async function startMetadataStandIn(host: TestHost): Promise<string> {
  const server = `require('http').createServer((q, s) => s.end(${JSON.stringify(METADATA_ANSWER)})).listen(80)`
  const script = [
    'set -e',
    `unshare --net -- ${process.execPath} -e "${server.replaceAll('"', '\\"')}" >/dev/null 2>&1 &`,
    'pid=$!',
    // Until unshare(2) ran, the process is still in the host's network namespace.
    'while [ "$(readlink /proc/$pid/ns/net)" = "$(readlink /proc/self/ns/net)" ]; do sleep 0.05; done',
    'ip link add dcmeta0 type veth peer name dcmeta1',
    'ip link set dcmeta1 netns $pid',
    'ip addr add 169.254.169.1/24 dev dcmeta0',
    'ip link set dcmeta0 up',
    'nsenter --net=/proc/$pid/ns/net sh -c "ip link set lo up; ip addr add 169.254.169.254/24 dev dcmeta1; ip link set dcmeta1 up"',
    'echo $pid',
  ].join('\n')
  const done = await host.exec(['sh', '-c', script])
  if (done.exitCode !== 0) throw new Error(`metadata stand-in did not start: ${done.stderr}`)
  return done.stdout.trim()
}

/** Stop the stand-in (its namespace and veth go with it). */
export async function stopMetadataStandIn(host: TestHost, pid: string): Promise<void> {
  await host.exec(['kill', pid])
}
