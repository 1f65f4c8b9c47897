/**
 * One test host: claim a slot, write its keys and config, wire its network namespace, start its PID 1
 * (dockerd + sshd in private mount and PID namespaces), wait until both answer. teardown.ts removes
 * everything a host can leave behind and works from the on-disk record alone (so a later run can sweep
 * after a crash).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { connect } from 'node:net'
import { join } from 'node:path'
import { loadBenchImage } from './image.ts'
import {
  buildCloudInitFiles,
  buildHostLayout,
  buildInitScript,
  buildKnownHosts,
  buildSshdConfig,
  buildSshOpts,
  type CloudInitStatus,
  HOSTS_DIR,
  type HostLayout,
  SSH_USER,
} from './layout.ts'
import { type HostRecord, writeHostRecord } from './record.ts'
import { claimSlot } from './slots.ts'
import { BenchError, childPids, isAlive, mustRun, run, start, waitFor } from './system.ts'
import { teardownHost } from './teardown.ts'
import type { TestHost } from './types.ts'

export interface ClientKey {
  privatePath: string
  publicKey: string
}

export interface StartedHost {
  layout: HostLayout
  host: TestHost
}

/** Write the cloud-init status files the real `cloud-init status` reads on this host. */
export function writeCloudInitStatus(layout: HostLayout, status: CloudInitStatus): void {
  const dir = join(layout.runDir, 'cloud-init')
  mkdirSync(dir, { recursive: true, mode: 0o755 })
  for (const [file, text] of Object.entries(buildCloudInitFiles(status, Math.floor(Date.now() / 1000)))) {
    if (text === undefined) rmSync(join(dir, file), { force: true })
    else writeFileSync(join(dir, file), text, { mode: 0o644 })
  }
}

async function writeHostFiles(layout: HostLayout, client: ClientKey): Promise<string> {
  mkdirSync(layout.sshDir, { mode: 0o755 })
  mkdirSync(join(layout.runDir, 'sshd'), { recursive: true, mode: 0o755 })
  const keyPath = join(layout.sshDir, 'ssh_host_ed25519_key')
  await mustRun(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', layout.name, '-f', keyPath])
  const hostPublicKey = readFileSync(`${keyPath}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ')
  writeFileSync(join(layout.sshDir, 'sshd_config'), buildSshdConfig(layout))
  writeFileSync(join(layout.sshDir, 'authorized_keys'), `${client.publicKey}\n`, { mode: 0o644 })
  writeFileSync(join(layout.sshDir, 'known_hosts'), buildKnownHosts(layout.address, hostPublicKey), {
    mode: 0o600,
  })
  writeFileSync(join(layout.dir, 'init.sh'), buildInitScript(layout))
  writeCloudInitStatus(layout, 'done')
  return hostPublicKey
}

/** The root side of the veth pair; the host side (`eth0`) is configured by the host's init. */
async function wireNetwork(layout: HostLayout): Promise<void> {
  const commands = [
    `netns add ${layout.netns}`,
    `link add ${layout.veth} type veth peer name eth0 netns ${layout.netns}`,
    `addr add ${layout.gateway}/24 dev ${layout.veth}`,
    `link set ${layout.veth} up`,
  ]
  await mustRun(['ip', '-batch', '-'], `${commands.join('\n')}\n`)
}

/** True when something at address:port answers with an SSH banner. */
function isSshAnswering(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port, timeout: 1000 })
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.once('data', (chunk) => done(chunk.toString().startsWith('SSH-')))
    socket.once('error', () => done(false))
    socket.once('timeout', () => done(false))
    socket.once('close', () => done(false))
  })
}

/** True when dockerd answers `GET /_ping` on its socket. */
function isDockerAnswering(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', timeout: 1000 }, (res) => {
      res.resume()
      resolve(res.statusCode === 200)
    })
    req.once('error', () => resolve(false))
    req.once('timeout', () => req.destroy())
    req.end()
  })
}

function tail(path: string): string {
  if (!existsSync(path)) return '(no log)'
  return readFileSync(path, 'utf8').trim().split('\n').slice(-8).join('\n')
}

function isInitScript(pid: number, layout: HostLayout): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(join(layout.dir, 'init.sh'))
  } catch {
    return false
  }
}

async function startInit(layout: HostLayout): Promise<HostRecord> {
  const child = start([
    'nsenter',
    `--net=/run/netns/${layout.netns}`,
    '--',
    'unshare',
    '--mount',
    '--pid',
    '--fork',
    '--kill-child',
    '--mount-proc',
    '--propagation',
    'private',
    '--',
    '/bin/sh',
    join(layout.dir, 'init.sh'),
  ])
  const stderr: string[] = []
  child.onStderr((line) => stderr.push(line))
  const unsharePid = child.pid
  if (unsharePid === undefined) throw new BenchError(`${layout.name}: could not start its init.`)
  const record: HostRecord = { owner: process.pid, unsharePid }
  writeHostRecord(layout, record)
  const isUp = async () =>
    (await isDockerAnswering(layout.dockerSocket)) && (await isSshAnswering(layout.address, 22))
  // Stop waiting early when the init has already exited (init.sh runs with set -e).
  const settled = await waitFor(async () => !isAlive(unsharePid) || (await isUp()), 60_000)
  // unshare may fork short-lived helpers first; PID 1 of the host is the child running init.sh.
  record.initPid = childPids(unsharePid).find((pid) => isInitScript(pid, layout))
  writeHostRecord(layout, record)
  if (!settled || record.initPid === undefined || !isAlive(record.initPid)) {
    const what = settled ? 'its init exited' : 'sshd and dockerd did not both answer within 60 s'
    throw new BenchError(
      `${layout.name}: ${what}.\ninit: ${stderr.join('\n') || '(quiet)'}\n` +
        `dockerd.log:\n${tail(join(layout.dir, 'dockerd.log'))}\nsshd.log:\n${tail(join(layout.dir, 'sshd.log'))}`,
    )
  }
  return record
}

function buildTestHost(
  layout: HostLayout,
  record: HostRecord,
  client: ClientKey,
  hostPublicKey: string,
  image: string,
): TestHost {
  const knownHostsPath = join(layout.sshDir, 'known_hosts')
  const initPid = String(record.initPid)
  const exec = (argv: string[]) =>
    run(['nsenter', '--target', initPid, '--mount', '--net', '--pid', '--', ...argv])
  return {
    name: layout.name,
    netns: layout.netns,
    address: layout.address,
    sshPort: 22,
    sshUser: SSH_USER,
    clientKeyPath: client.privatePath,
    hostPublicKey,
    knownHostsPath,
    dockerHost: `ssh://${SSH_USER}@${layout.address}:22`,
    sshOpts: buildSshOpts(client.privatePath, knownHostsPath),
    image,
    dockerSocket: layout.dockerSocket,
    logDir: layout.dir,
    async exec(argv) {
      const { exitCode, stdout, stderr } = await exec(argv)
      return { exitCode, stdout, stderr }
    },
    async stopSsh() {
      await exec(['sh', '-c', 'kill "$(cat /run/sshd.pid)"'])
      await waitFor(async () => !(await isSshAnswering(layout.address, 22)), 5000)
    },
    async setCloudInitStatus(status) {
      writeCloudInitStatus(layout, status)
    },
  }
}

/** Start one host in a fresh slot; on failure everything it created is removed before the error surfaces. */
export async function startHost(client: ClientKey, imageArchive: string): Promise<StartedHost> {
  const layout = claimSlot(HOSTS_DIR, buildHostLayout, (l) => writeHostRecord(l, { owner: process.pid }))
  try {
    const hostPublicKey = await writeHostFiles(layout, client)
    await wireNetwork(layout)
    const record = await startInit(layout)
    const image = await loadBenchImage(layout.dockerSocket, imageArchive)
    return { layout, host: buildTestHost(layout, record, client, hostPublicKey, image) }
  } catch (error) {
    await teardownHost(layout)
    throw error
  }
}
