/**
 * The launcher end to end with `--provider local` on the real bench: real OpenTofu and the real docker
 * provider against a test host over ssh:// with a pinned key, approved through a real pseudo-terminal with a
 * clean environment; without --image the reference server, built into the host's engine before the gate when it
 * is missing. Then the faults: an image that cannot be had (named before the gate), a wrong pinned host key, a
 * host that stops answering, two runs on one stack, Ctrl-C and SIGKILL mid-apply (a registry stand-in whose
 * layer never arrives makes the image pull hang), a failed apply, and a leak check over every file and every
 * transcript.
 */
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { referenceImageRef } from '../../lib/image/reference.ts'
import { buildChildEnv, realProc } from '../../lib/proc.ts'
import { startBench } from '../harness/hosts.ts'
import type { TestBench, TestHost } from '../harness/types.ts'
import { startStallingRegistry } from '../helpers/registry.ts'
import { testUnless, whyNotRoot } from '../helpers/skip.ts'
import { ensureTestTools } from '../helpers/tools.ts'
import { LauncherEnv } from './launcher-env.ts'

const skip = whyNotRoot()
let bench: TestBench
let host: TestHost
const ws = new LauncherEnv()

const ports = new Map<string, number>()

/** Each stack publishes its own port, since several of them run on the one host at the same time. */
function portOf(stack: string): number {
  if (!ports.has(stack)) ports.set(stack, 18080 + ports.size)
  return ports.get(stack)!
}

/** cloud:up's flags for `stack` on the bench host; without `image`, no --image: the default, the reference server. */
function upArgs(stack: string, extra: string[] = [], image?: string): string[] {
  return [
    '--provider', 'local',
    '--stack-name', stack,
    '--docker-host', host.dockerHost,
    '--known-hosts', host.knownHostsPath,
    '--ssh-key', host.clientKeyPath,
    ...(image === undefined ? [] : ['--image', image]),
    '--ports', `127.0.0.1:${portOf(stack)}:8080`,
    ...extra,
  ] // biome-ignore format: flag/value pairs
}

const hostDocker = (...args: string[]) =>
  realProc.run(['docker', '-H', `unix://${host.dockerSocket}`, ...args], { env: buildChildEnv() })

async function containers(): Promise<string> {
  return (await hostDocker('ps', '--format', '{{.Names}} {{.Status}}')).stdout
}

/** The registry stand-in on the host's gateway address (its layer never arrives: pulls hang). */
const startRegistry = () => startStallingRegistry(host.address.replace(/\.\d+$/, '.1'))

async function approve(session: ReturnType<LauncherEnv['spawn']>, stack: string): Promise<void> {
  await session.expect(`Type ${stack} to continue`, 120_000)
  session.type(`${stack}\r`)
}

test.before(async () => {
  if (skip) return
  await ensureTestTools()
  bench = await startBench(1)
  host = bench.hosts[0]!
  await ws.initOperator()
})

test.after(async () => {
  await bench?.stop()
  ws.cleanup()
})

testUnless(
  test,
  skip,
  'up without --image: the reference server built into the host before the gate, typed approval in a pty, apply over pinned ssh://, healthy, recorded ready, the next commands',
  async () => {
    const ref = referenceImageRef()
    assert.is((await hostDocker('image', 'rm', ref)).exitCode, 0, 'the host starts without the image')
    const up = ws.spawn('scripts/up.ts', upArgs('lab'))
    await up.expect(`Image: building the reference server ${ref} into ${host.dockerHost}`, 120_000)
    await up.expect(`Loaded ${ref} into ${host.dockerHost} in `, 60_000)
    await up.expect(`image ${ref}`, 120_000)
    await up.expect(`  ports 127.0.0.1:${portOf('lab')}->8080/tcp`)
    await up.expect('What happens: the container lab starts from that image and answers GET /healthz')
    await up.expect('How long: usually under 30 s from here')
    await up.expect('App (container): 2 to add, 0 to change, 0 to destroy.', 120_000)
    await approve(up, 'lab')
    assert.is(await ws.finish(up), 0, up.transcript)
    assert.match(up.transcript, 'Stack lab is up.')
    const reach = `--stack-name lab --ssh-key ${host.clientKeyPath}`
    assert.match(
      up.transcript,
      `URL (8080/tcp): http://127.0.0.1:${portOf('lab')} (on the host: through cloud:connect)`,
    )
    for (const next of [
      `npm run cloud:connect -- ${reach} --exec -- sh -c 'curl -s -H "Authorization: Bearer $DEBUG_SERVER_API_TOKEN" "$DEBUG_SERVER_URL/api/v1/status"'`,
      `npm run cloud:logs -- ${reach} --tail 50`,
      `npm run cloud:status -- --refresh --ssh-key ${host.clientKeyPath}`,
      `npm run cloud:destroy -- ${reach}`,
    ])
      assert.ok(up.transcript.includes(next), `the success message names: ${next}`)
    const built = await hostDocker(
      'image',
      'inspect',
      '--format',
      '{{index .Config.Labels "debug-cloud.reference-server"}}',
      ref,
    )
    assert.is(built.stdout.trim(), '0.1.0', 'the reference image is on the host again')
    assert.match(await containers(), /^lab Up/m)
    const doc = await ws.readState()
    const record = doc.stacks.lab!
    assert.is(record.status, 'ready')
    assert.is(record.address, host.address)
    assert.is(record.ssh?.hostKeyPublic, host.hostPublicKey.split(' ').slice(0, 2).join(' '))
    assert.ok(record.tokens.api.length >= 43, 'a 256-bit API token was minted')
  },
)

testUnless(test, skip, 'a second up is a no-op: no prompt, nothing changed', async () => {
  const up = ws.spawn('scripts/up.ts', upArgs('lab'))
  assert.is(await ws.finish(up), 0, up.transcript)
  assert.match(up.transcript, 'App (container): no changes.')
  assert.match(up.transcript, 'already matches: nothing changed')
  assert.not.match(up.transcript, 'Type lab to continue')
})

testUnless(test, skip, 'two runs on one stack: the second names the holder of the stack lock', async () => {
  const first = ws.spawn('scripts/up.ts', upArgs('lab2'))
  await first.expect('Type lab2 to continue', 120_000)
  const second = ws.spawn('scripts/up.ts', upArgs('lab2'))
  assert.is(await ws.finish(second), 75, second.transcript)
  // tsx runs the script in a child of the pty's process, so the holder is that child: named by command.
  assert.match(second.transcript, /lab2\.lock is held by pid \d+ on \S+ \("cloud:up", since /)
  first.type('not-the-name\r')
  assert.is(await ws.finish(first), 45, first.transcript)
  assert.match(first.transcript, 'The typed name did not match "lab2".')
})

testUnless(
  test,
  skip,
  'an exposed bind is shown at the gate with a warning; declining creates nothing',
  async () => {
    const port = portOf('exposed')
    const args = upArgs('exposed', ['--expose']).map((a) =>
      a === `127.0.0.1:${port}:8080` ? `0.0.0.0:${port}:8080` : a,
    )
    const up = ws.spawn('scripts/up.ts', args)
    await up.expect(`  ports 0.0.0.0:${port}->8080/tcp`, 120_000)
    await up.expect(
      `WARNING: 0.0.0.0:${port}->8080/tcp is reachable from the network, not only through cloud:connect`,
    )
    await up.expect('Type exposed to continue', 120_000)
    up.type('no\r')
    assert.is(await ws.finish(up), 45, up.transcript)
    assert.not.match(await containers(), /^exposed /m)
  },
)

testUnless(
  test,
  skip,
  'an image that cannot be had is named before the gate with what to do (exit 54); nothing is asked or created',
  async () => {
    const registry = await startRegistry()
    try {
      for (const [stack, image, reason] of [
        [
          'noimg-dns',
          'no-such-registry.invalid/debug-server:1',
          // Without a resolver in the host's namespace the lookup fails at once, else it may time out.
          /its registry (answered \d{3}: .*no-such-registry\.invalid|did not answer within 30 s)/,
        ],
        ['noimg-404', registry.missingRef, /its registry answered 404: .*manifest unknown/],
        [
          'noimg-local',
          'localhost/debug-cloud/not-built:1',
          /a localhost\/ name cannot be pulled from a registry/,
        ],
      ] as const) {
        const up = ws.spawn('scripts/up.ts', upArgs(stack, [], image))
        assert.is(await ws.finish(up), 54, up.transcript)
        assert.match(up.transcript, `The image ${image} is not in the Docker engine ${host.dockerHost}, and `)
        assert.match(up.transcript, reason)
        assert.match(
          up.transcript,
          `Leave --image out to run the reference debug server (${referenceImageRef()}`,
        )
        assert.match(up.transcript, 'or pass --image with an image that engine already has')
        assert.not.match(up.transcript, `Type ${stack} to continue`)
        assert.not.match(up.transcript, 'App (container)')
        assert.not.match(await containers(), new RegExp(`^${stack} `, 'm'))
      }
    } finally {
      registry.close()
    }
  },
)

testUnless(test, skip, 'a wrong pinned host key is refused and named; no container is created', async () => {
  const wrong = join(ws.dir, 'wrong_known_hosts')
  writeFileSync(
    wrong,
    `${host.address} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC7YnlthN2kDfoTy7jUc60tQZmNBEpGUjYTYQ0d2tAAA\n`,
  )
  const args = upArgs('badkey').map((a) => (a === host.knownHostsPath ? wrong : a))
  const up = ws.spawn('scripts/up.ts', args)
  assert.is(await ws.finish(up), 51, up.transcript)
  assert.match(up.transcript, `The SSH host key of ${host.address} does not match`)
  assert.not.match(await containers(), /^badkey /m)
  assert.is((await ws.readState()).stacks.badkey?.status, 'failed')
})

testUnless(
  test,
  skip,
  'Ctrl-C mid-apply: forwarded once, recorded interrupted, lock released, a re-run converges',
  async () => {
    const registry = await startRegistry()
    try {
      const up = ws.spawn('scripts/up.ts', upArgs('intr', [], registry.ref))
      await approve(up, 'intr')
      await up.expect('docker_image.pulled[0]', 60_000)
      await new Promise((r) => setTimeout(r, 1500))
      up.type('\x03')
      await up.expect('Interrupt received', 10_000)
      assert.is(await ws.finish(up, 90_000), 130, up.transcript)
    } finally {
      registry.close()
    }
    assert.is((await ws.readState()).stacks.intr?.status, 'interrupted')
    assert.not.ok(
      existsSync(join(ws.secrets, 'operators', 'alice', 'stacks', 'intr.lock')),
      'stack lock released',
    )
    const again = ws.spawn('scripts/up.ts', upArgs('intr'))
    await approve(again, 'intr')
    assert.is(await ws.finish(again), 0, again.transcript)
    assert.is((await ws.readState()).stacks.intr?.status, 'ready')
  },
)

testUnless(
  test,
  skip,
  'Terraform killed mid-apply: recorded failed with the reason, destroy works from there',
  async () => {
    const registry = await startRegistry()
    try {
      const up = ws.spawn('scripts/up.ts', upArgs('killed', [], registry.ref))
      await approve(up, 'killed')
      await up.expect('docker_image.pulled[0]', 60_000)
      await new Promise((r) => setTimeout(r, 1500))
      const tofu = await realProc.run(['pkill', '-KILL', '-f', 'tofu.* apply .*killed'], {
        env: buildChildEnv(),
      })
      assert.is(tofu.exitCode, 0, 'a tofu apply was running and got SIGKILL')
      assert.is(await ws.finish(up, 60_000), 50, up.transcript)
    } finally {
      registry.close()
    }
    const record = (await ws.readState()).stacks.killed!
    assert.is(record.status, 'failed')
    assert.match(record.lastError?.message ?? '', 'tofu apply')
    const destroy = ws.spawn('scripts/destroy.ts', [
      '--stack-name',
      'killed',
      '--ssh-key',
      host.clientKeyPath,
    ])
    const code = await Promise.race([
      destroy.expect('Type killed to continue', 60_000).then(() => {
        destroy.type('killed\r')
        return ws.finish(destroy)
      }),
      ws.finish(destroy),
    ])
    assert.is(code, 0, destroy.transcript)
    assert.is((await ws.readState()).stacks.killed?.status, 'destroyed')
  },
)

testUnless(test, skip, 'a failed apply is recorded failed with its Terraform diagnostics', async () => {
  // The host port lab publishes: the container is created, and starting it fails.
  const args = upArgs('badport').map((a) =>
    a === `127.0.0.1:${portOf('badport')}:8080` ? `127.0.0.1:${portOf('lab')}:8080` : a,
  )
  const up = ws.spawn('scripts/up.ts', args)
  await approve(up, 'badport')
  assert.is(await ws.finish(up), 50, up.transcript)
  const record = (await ws.readState()).stacks.badport!
  assert.is(record.status, 'failed')
  assert.ok(record.lastError!.diagnostics.length > 0, 'diagnostics recorded')
  assert.match(
    record.lastError!.diagnostics.join('\n'),
    /^Error: .*module\.docker_node\.docker_container\.app/m,
  )
})

testUnless(test, skip, 'destroy: typed approval, container gone, record kept as destroyed', async () => {
  const destroy = ws.spawn('scripts/destroy.ts', ['--stack-name', 'lab', '--ssh-key', host.clientKeyPath])
  await approve(destroy, 'lab')
  assert.is(await ws.finish(destroy), 0, destroy.transcript)
  assert.not.match(await containers(), /^lab /m)
  const record = (await ws.readState()).stacks.lab!
  assert.is(record.status, 'destroyed')
  assert.ok(record.releasedAt)
})

testUnless(test, skip, 'a host that stopped answering: up times out with a clear message', async () => {
  await host.stopSsh()
  const up = ws.spawn('scripts/up.ts', upArgs('gone', ['--wait-timeout', '4']))
  assert.is(await ws.finish(up), 52, up.transcript)
  assert.match(up.transcript, `${host.address} was not ready after 4s`)
})

testUnless(
  test,
  skip,
  'leak check: no token, passphrase or key in plaintext in any file or transcript',
  async () => {
    const doc = await ws.readState()
    const secrets = [
      ws.passphrase,
      ...Object.values(doc.stacks).flatMap((s) => [
        s.tokens.api,
        s.tokens.runner,
        s.terraform.statePassphrase,
      ]),
    ]
    assert.ok(secrets.length >= 10)

    const roots = [ws.home, ws.secrets, join(import.meta.dirname, '..', '..')]
    for (const root of roots)
      assert.equal(LauncherEnv.filesContaining(root, secrets), [], `plaintext secret under ${root}`)
    for (const transcript of ws.transcripts)
      for (const s of secrets) assert.not.ok(transcript.includes(s), 'secret in output')
  },
)

test.run()
