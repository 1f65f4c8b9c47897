/**
 * A booted machine: what a cloud stand-in starts when a server is created. A copy-on-write copy (overlayfs)
 * of the cached Debian 12 image (machine-image.ts), its own network namespace with the address the API
 * returns, systemd as PID 1 under systemd-nspawn, and a NoCloud seed holding the user data the provider sent,
 * so the real cloud-init runs it: packages from the bench's package cache, the pinned host key, the deploy
 * user, nftables, Docker. `startMachine` returns once systemd runs; readiness (SSH, cloud-init, Docker) is
 * for the caller to wait on, as the launcher does against a real cloud.
 *
 * `stop()` powers the machine off and removes everything (teardownMachine, which works from the on-disk
 * record alone, so the next run's sweep removes a crashed run's machines).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { stringify } from 'yaml'
import type { HostKey } from '../../lib/infra/host-key.ts'
import { buildChildEnv, realProc } from '../../lib/proc.ts'
import { ensureMachineImage } from './machine-image.ts'
import {
  buildMachineLayout,
  buildMachineNetworkCommands,
  buildMetaData,
  buildNspawnArgv,
  buildRootNetworkCommands,
  MACHINES_DIR,
  type MachineLayout,
  type MachineRecord,
  NSPAWN_ENV,
} from './machine-layout.ts'
import { writeRecord } from './record.ts'
import { stopOnSignal } from './signals.ts'
import { claimSlot } from './slots.ts'
import { sweepLeftovers } from './sweep.ts'
import { BenchError, childPids, isAlive, mustRun, run, waitFor } from './system.ts'
import { teardownMachine } from './teardown.ts'

export interface MachineRequest {
  serverName: string
  userData: string
}

export interface Machine {
  name: string
  /** The machine's address, reachable from the root namespace (SSH on port 22 once cloud-init ran). */
  address: string
  /** Everything the machine printed on its console (systemd, cloud-init), for debugging. */
  consoleLog: string
  /** The machine's PID 1 (systemd) as the root namespace sees it: `nsenter --target <pid> --all`. */
  initPid: number
  /** dockerd's socket inside the machine, reachable from the root namespace (empty until Docker runs). */
  dockerSocket: string
  /** Run a command as root inside the machine (every namespace of its PID 1). */
  exec(argv: readonly string[]): Promise<{ exitCode: number | null; stdout: string; stderr: string }>
  /** Power off and remove everything. Idempotent. */
  stop(): Promise<void>
}

/**
 * The smallest user data the launcher's wait can get into (the pinned host key, the deploy user with the
 * operator's key) followed by `runcmd`, for machines that need no Docker: a failing runcmd, a timed one.
 */
export function buildLoginUserData(
  hostKey: HostKey,
  operatorKey: string,
  runcmd: readonly string[][],
): string {
  const config = {
    ssh_keys: { ed25519_private: hostKey.privateKey, ed25519_public: hostKey.publicKey },
    users: [{ name: 'deploy', shell: '/bin/bash', lock_passwd: true, ssh_authorized_keys: [operatorKey] }],
    runcmd,
  }
  return `#cloud-config\n${stringify(config)}`
}

/** A hostname cloud-init can set: what Hetzner and Contabo accept as a server name is at least this strict. */
function verifyServerName(name: string): void {
  if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i.test(name))
    throw new BenchError(
      `${JSON.stringify(name)} is not a usable server name (a hostname label: letters, digits, inner dashes).`,
      'Name the server like a hostname, for example "debug-1".',
    )
}

async function prepareRootfs(m: MachineLayout, lower: string, request: MachineRequest): Promise<void> {
  for (const dir of [m.rootfs, m.upper, m.work, m.dockerDir]) mkdirSync(dir, { mode: 0o755 })
  await mustRun([
    'mount',
    '-t',
    'overlay',
    'overlay',
    '-o',
    `lowerdir=${lower},upperdir=${m.upper},workdir=${m.work}`,
    m.rootfs,
  ])
  const seed = join(m.rootfs, 'var/lib/cloud/seed/nocloud')
  mkdirSync(seed, { recursive: true, mode: 0o700 })
  const instanceId = `iid-${m.name}-${Date.now().toString(36)}`
  writeFileSync(join(seed, 'meta-data'), buildMetaData(instanceId, request.serverName))
  // The user data holds the host private key: root-only, as cloud-init keeps its copy.
  writeFileSync(join(seed, 'user-data'), request.userData, { mode: 0o600 })
}

/** The cgroups nspawn runs in: its own `dcvm<k>` in the named systemd v1 hierarchy and in cgroup v2. */
function nspawnCgroups(m: MachineLayout): string[] {
  const hybrid = ['/sys/fs/cgroup/systemd', '/sys/fs/cgroup/unified']
  const roots = hybrid.every((d) => existsSync(join(d, 'cgroup.procs'))) ? hybrid : ['/sys/fs/cgroup']
  return roots.map((root) => join(root, m.cgroupParent))
}

/** Start nspawn in its own cgroups, console to the log; returns the machine's PID 1. */
async function boot(m: MachineLayout): Promise<number> {
  const cgroups = nspawnCgroups(m)
  for (const dir of cgroups) mkdirSync(dir, { recursive: true })
  // The shell moves itself into the cgroups, then becomes nspawn (same pid) with the console in the log.
  // realProc starts it in a session of its own, so a Ctrl-C in the terminal reaches only the test process,
  // whose handler powers the machines off.
  const script = `for g in ${cgroups.join(' ')}; do echo $$ > "$g/cgroup.procs"; done\nexec "$@" >>'${m.consoleLog}' 2>&1 </dev/null\n`
  const child = realProc.start(['/bin/sh', '-c', script, 'nspawn', ...buildNspawnArgv(m)], {
    env: buildChildEnv({ PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ...NSPAWN_ENV }),
  })
  const nspawnPid = child.pid
  if (nspawnPid === undefined) throw new BenchError(`${m.name}: could not start systemd-nspawn.`)
  const record: MachineRecord = { owner: process.pid, nspawnPid }
  writeRecord(m.recordPath, record)
  let initPid: number | undefined
  const started = await waitFor(() => {
    initPid = childPids(nspawnPid).find(isSystemd)
    return initPid !== undefined || !isAlive(nspawnPid)
  }, 30_000)
  if (!started || initPid === undefined)
    throw new BenchError(
      `${m.name}: systemd-nspawn ${started ? 'exited' : 'did not start systemd within 30 s'}.`,
      `See its console log ${m.consoleLog}.`,
    )
  return initPid
}

/** The machine's PID 1 as the root namespace sees it: systemd, a child of nspawn. */
function isSystemd(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] === '/usr/lib/systemd/systemd'
  } catch {
    return false
  }
}

/** Boot a machine from the cached image with this user data; on failure everything it made is removed. */
export async function startMachine(request: MachineRequest): Promise<Machine> {
  verifyServerName(request.serverName)
  if (process.getuid?.() !== 0)
    throw new BenchError('Booting a machine needs root.', 'Guard the test with whyNotRoot().')
  await sweepLeftovers()
  const image = await ensureMachineImage()
  const m = claimSlot(MACHINES_DIR, buildMachineLayout, (l) =>
    writeRecord(l.recordPath, { owner: process.pid } satisfies MachineRecord),
  )
  let stopping: Promise<void> | undefined
  const stop = () => {
    stopping ??= teardownMachine(m).finally(() => forget())
    return stopping
  }
  // Registered before anything is made, so an interrupt mid-boot removes the half-made machine too.
  const forget = stopOnSignal(stop)
  try {
    await prepareRootfs(m, image.rootfs, request)
    await mustRun(['ip', '-batch', '-'], buildRootNetworkCommands(m))
    await mustRun(['ip', '-n', m.netns, '-batch', '-'], buildMachineNetworkCommands(m))
    const initPid = await boot(m)
    return {
      name: m.name,
      address: m.address,
      consoleLog: m.consoleLog,
      initPid,
      dockerSocket: `/proc/${initPid}/root/run/docker.sock`,
      async exec(argv) {
        const { exitCode, stdout, stderr } = await run([
          'nsenter',
          '--target',
          String(initPid),
          '--all',
          '--',
          ...argv,
        ])
        return { exitCode, stdout, stderr }
      },
      stop,
    }
  } catch (error) {
    await stop()
    throw error
  }
}
