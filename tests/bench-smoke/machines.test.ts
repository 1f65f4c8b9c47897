/**
 * Booted machines (tests/harness/machine.ts) running the user data the launcher really renders, through the
 * real cloud-init 22.4 of Debian 12: Hetzner's (Docker from Debian, the pinned host key, the deploy user) and
 * Contabo's (the same plus the nftables host firewall), a user data whose runcmd fails, and that stop() and
 * the sweep after a SIGKILL leave nothing behind. Prints each machine's boot-to-ready time.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { get } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { REFERENCE_SERVER_PORT, referenceImageRef } from '../../lib/image/reference.ts'
import { generateHostKey, type HostKey } from '../../lib/infra/host-key.ts'
import { buildChildEnv, realProc } from '../../lib/proc.ts'
import { contabo } from '../../lib/providers/contabo.ts'
import { hetzner } from '../../lib/providers/hetzner.ts'
import type { ProviderModule } from '../../lib/providers/types.ts'
import { CloudInitError } from '../../lib/ssh/errors.ts'
import { waitForHost } from '../../lib/ssh/ready.ts'
import { loadBenchImage, writeBenchImage } from '../harness/image.ts'
import { buildSshOpts } from '../harness/layout.ts'
import { listMachineLeftovers } from '../harness/leftovers.ts'
import { buildLoginUserData, type Machine, startMachine } from '../harness/machine.ts'
import { sweepLeftovers } from '../harness/sweep.ts'
import { waitFor } from '../harness/system.ts'
import { testUnless, whyNotRoot } from '../helpers/skip.ts'
import { isTcpOpen } from '../infra/firewall-probes.ts'

const skip = whyNotRoot()
const scratch = mkdtempSync(join(tmpdir(), 'machines-'))
const fixture = join(import.meta.dirname, 'fixtures', 'hold-machine.ts')

interface Booted {
  machine: Machine
  knownHosts: string
  hostPublicKey: string
  readyMs: number
  /** What the launcher's wait threw (the failing user data's CloudInitError). */
  waitError?: Error
}

const booted = new Map<'hetzner' | 'contabo' | 'failing', Booted>()
const sh = (argv: string[]) => realProc.run(argv, { env: buildChildEnv() })
const client = join(scratch, 'operator_ed25519')
let archive = ''

function machineOf(name: 'hetzner' | 'contabo' | 'failing'): Booted {
  const b = booted.get(name)
  if (!b) throw new Error(`${name} machine not booted`)
  return b
}

/** ssh as deploy to the machine with its pinned host key (a fresh login: the groups as they are now). */
function ssh(
  b: Booted,
  command: string[],
): Promise<{ exitCode: number | null; stdout: string; stderr: string }> {
  return sh(['ssh', ...buildSshOpts(client, b.knownHosts), `deploy@${b.machine.address}`, '--', ...command])
}

/** A user data that lets the wait in (pinned key, deploy user), then fails in runcmd. */
const failingUserData = (hostKey: HostKey) =>
  buildLoginUserData(hostKey, operatorKey(), [['sh', '-c', 'echo bench-runcmd-broke >&2; exit 3']])

const operatorKey = () => readFileSync(`${client}.pub`, 'utf8').trim()

function userDataOf(provider: ProviderModule, hostKey: HostKey): string {
  const inputs = provider.host?.buildInputs({
    stackName: 'machines',
    env: 'dev',
    size: null,
    location: null,
    operatorPublicKey: operatorKey(),
    hostKey,
    sshSourceRanges: ['10.214.0.0/16'],
    credentials: { HCLOUD_TOKEN: 'h'.repeat(64), CNTB_IMAGE_ID: '' },
  })
  const userData = inputs?.secretEnv.TF_VAR_user_data
  if (userData === undefined) throw new Error(`${provider.name} renders no user data`)
  return userData
}

/**
 * Start a machine and wait with the launcher's own readiness wait (one SSH connection: cloud-init, then
 * Docker). Records boot-to-ready and how long after cloud-init finished (result.json written) the wait saw it.
 */
async function boot(name: 'hetzner' | 'contabo' | 'failing', provider?: ProviderModule): Promise<void> {
  const hostKey = generateHostKey()
  const started = Date.now()
  const machine = await startMachine({
    serverName: `machines-${name}`,
    userData: provider ? userDataOf(provider, hostKey) : failingUserData(hostKey),
  })
  const knownHosts = join(scratch, `${name}_known_hosts`)
  writeFileSync(knownHosts, `${machine.address} ${hostKey.publicKey}\n`, { mode: 0o600 })
  const b: Booted = { machine, knownHosts, hostPublicKey: hostKey.publicKey, readyMs: 0 }
  booted.set(name, b)
  const target = {
    host: machine.address,
    port: 22,
    user: 'deploy',
    identityFile: client,
    knownHostsFile: knownHosts,
  }
  let cloudInitSeen = 0
  try {
    await waitForHost(realProc, target, {
      timeoutMs: 300_000,
      pollMs: 500,
      onProgress: (stage, problem) => {
        if (stage === 'docker' && problem === undefined) cloudInitSeen = Date.now()
      },
    })
  } catch (error) {
    b.waitError = error as Error
  }
  b.readyMs = Date.now() - started
  const finished = await machine.exec(['stat', '-c', '%.3Y', '/run/cloud-init/result.json'])
  const noticedMs = cloudInitSeen - Math.round(Number(finished.stdout) * 1000)
  process.stdout.write(
    `machine ${name}: boot to ready ${(b.readyMs / 1000).toFixed(1)} s` +
      (cloudInitSeen > 0 ? `, cloud-init finished → wait noticed ${noticedMs} ms` : '') +
      '\n',
  )
}

test.before(async () => {
  if (skip !== undefined) return
  await sh(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'operator', '-f', client])
  archive = await writeBenchImage(scratch)
  // One boot first: the image and the package cache get built here when missing, not three times at once.
  await boot('failing')
  await Promise.all([boot('hetzner', hetzner), boot('contabo', contabo)])
})
test.after(async () => {
  await Promise.allSettled([...booted.values()].map((b) => b.machine.stop()))
  rmSync(scratch, { recursive: true, force: true })
})

testUnless(
  test,
  skip,
  "hetzner's user data: cloud-init done, the pinned host key, deploy in docker",
  async () => {
    const b = machineOf('hetzner')
    const status = await ssh(b, ['cloud-init', 'status', '--long'])
    assert.is(status.exitCode, 0, status.stderr)
    assert.match(status.stdout, /^status: done$/m)
    assert.match(status.stdout, 'DataSourceNoCloud')
    const scan = await sh(['ssh-keyscan', '-t', 'ed25519', b.machine.address])
    assert.is(
      scan.stdout.trim().split(' ').slice(1).join(' '),
      b.hostPublicKey.split(' ').slice(0, 2).join(' '),
    )
    const id = await ssh(b, ['id', '-nG'])
    assert.ok(id.stdout.trim().split(' ').includes('docker'), id.stdout)
    const info = await ssh(b, ['docker', 'info', '--format', '{{.ServerVersion}}'])
    assert.is(info.exitCode, 0, info.stderr)
    assert.match(info.stdout, /^\d+\.\d+/)
    const password = await sh([
      'ssh',
      ...buildSshOpts('/dev/null', b.knownHosts),
      `deploy@${b.machine.address}`,
      'true',
    ])
    assert.match(password.stderr, /Permission denied \(publickey\)/)
  },
)

testUnless(test, skip, 'the reference image runs in the machine and its published port answers', async () => {
  const b = machineOf('hetzner')
  await loadBenchImage(b.machine.dockerSocket, archive)
  const ref = referenceImageRef()
  const port = String(REFERENCE_SERVER_PORT)
  const run = await ssh(b, ['docker', 'run', '-d', '--name', 'ref', '-p', `${port}:${port}`, ref])
  assert.is(run.exitCode, 0, run.stderr)
  assert.ok(await waitFor(() => isTcpOpen(b.machine.address, REFERENCE_SERVER_PORT, 500), 15_000))
  const body = await new Promise<string>((resolve, reject) => {
    get(`http://${b.machine.address}:${port}/healthz`, (res) => {
      let text = ''
      res.on('data', (c) => {
        text += c
      })
      res.on('end', () => resolve(text))
    }).on('error', reject)
  })
  assert.is(body.trim(), 'ok')
})

testUnless(
  test,
  skip,
  "contabo's user data: nftables applied, a published port closed from outside",
  async () => {
    const b = machineOf('contabo')
    const table = await b.machine.exec(['nft', 'list', 'table', 'inet', 'debug_cloud'])
    assert.is(table.exitCode, 0, table.stderr)
    assert.match(table.stdout, 'type filter hook input priority filter; policy drop;')
    assert.match(table.stdout, /ip saddr 10\.214\.0\.0\/16 tcp dport 22 accept/)
    const active = await b.machine.exec(['systemctl', 'is-active', 'nftables'])
    assert.is(active.stdout.trim(), 'active')
    await loadBenchImage(b.machine.dockerSocket, archive)
    const port = String(REFERENCE_SERVER_PORT)
    const run = await ssh(b, ['docker', 'run', '-d', '-p', `${port}:${port}`, referenceImageRef()])
    assert.is(run.exitCode, 0, run.stderr)
    const inside = await b.machine.exec(['sh', '-c', `sleep 2; docker ps --format '{{.Status}}'`])
    assert.match(inside.stdout, /^Up /)
    assert.not.ok(await isTcpOpen(b.machine.address, REFERENCE_SERVER_PORT, 2000), 'published port reachable')
  },
)

testUnless(test, skip, "hetzner's and contabo's machines pass the launcher's readiness wait", () => {
  assert.is(machineOf('hetzner').waitError, undefined)
  assert.is(machineOf('contabo').waitError, undefined)
})

testUnless(
  test,
  skip,
  "a failing runcmd: the launcher's wait reports cloud-init's error in its own words",
  async () => {
    const error = machineOf('failing').waitError
    assert.instance(error, CloudInitError)
    assert.match(
      error?.message ?? '',
      /reported an error:\n {2}\('scripts-user', RuntimeError\('Runparts: 1 failures/,
    )
    const status = await machineOf('failing').machine.exec(['cloud-init', 'status', '--long'])
    assert.is(status.exitCode, 1)
    assert.match(status.stdout, /^status: error$/m)
    assert.match(status.stdout, /scripts-user/)
    assert.match(status.stdout, /Runparts: 1 failures/)
  },
)

testUnless(test, skip, 'stop() powers every machine off and leaves nothing behind', async () => {
  for (const [name, b] of booted) {
    assert.ok(listMachineLeftovers(b.machine.name).length > 0, `${name} is running`)
    await b.machine.stop()
    assert.equal(listMachineLeftovers(b.machine.name), [], name)
  }
})

/** Boot a machine in the hold-machine fixture (the failing user data: quick), then send its owner `signal`. */
async function holdMachine(signal: NodeJS.Signals) {
  const userData = join(scratch, 'failing-user-data')
  writeFileSync(userData, failingUserData(generateHostKey()), { mode: 0o600 })
  const child = realProc.start([process.execPath, '--import', 'tsx', fixture, userData], {
    env: buildChildEnv(),
    cwd: join(import.meta.dirname, '..', '..'),
  })
  let first: string | undefined
  for await (const line of child.lines()) {
    first = line
    break
  }
  assert.ok(first, 'the fixture printed its machine')
  const held = JSON.parse(first) as { name: string }
  child.kill(signal)
  return { held, done: await child.done }
}

testUnless(test, skip, 'SIGTERM to its owner powers the machine off and leaves nothing behind', async () => {
  const { held, done } = await holdMachine('SIGTERM')
  assert.is(done.exitCode, 143)
  assert.equal(listMachineLeftovers(held.name), [])
})

testUnless(test, skip, 'after a SIGKILL of its owner the sweep removes the orphaned machine', async () => {
  const { held } = await holdMachine('SIGKILL')
  assert.ok(listMachineLeftovers(held.name).length > 0, 'a killed run leaves its machine')
  const removed = await sweepLeftovers()
  assert.ok(removed.includes(held.name), `${held.name} was swept: ${removed.join(', ')}`)
  assert.equal(listMachineLeftovers(held.name), [])
})

test.run()
