/**
 * cloud:up and cloud:destroy with --provider hetzner and contabo, end to end on the real bench: the host
 * phase runs against the cloud-API CONTRACT DOUBLE of the terraform binary (no cloud API exists here; the
 * double checks the launcher's contract and "boots" a bench host as the VM), everything else is real —
 * the human gate typed in a pseudo-terminal, the readiness wait over SSH with the pinned host key, the app
 * phase with the real OpenTofu and docker provider, the health check, the SOPS-encrypted record. Faults:
 * a host that never finishes cloud-init, a host serving another host key. Leak test: no secret in any
 * file or output after a full run.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ExitCode } from '../../lib/errors.ts'
import { referenceImageRef } from '../../lib/image/reference.ts'
import { buildChildEnv, realProc } from '../../lib/proc.ts'
import { projectRoot } from '../../lib/state/paths.ts'
import { startBench } from '../harness/hosts.ts'
import type { TestBench, TestHost } from '../harness/types.ts'
import { testUnless, whyNotRoot } from '../helpers/skip.ts'
import { ensureTestTools } from '../helpers/tools.ts'
import { type CloudProvider, CloudWorkstation, CREDENTIALS, findSecrets, listFiles } from './cloud-stack.ts'

let bench: TestBench | undefined
const host = (): TestHost => bench!.hosts[0]!
/** Secrets of the full hetzner run, collected before its destroy, for the leak test. */
let hetznerRun: { ws: CloudWorkstation; secrets: Record<string, string> } | undefined

test.before(async () => {
  if (whyNotRoot() !== undefined) return
  await ensureTestTools()
  bench = await startBench(1)
})
test.after(async () => {
  hetznerRun?.ws.cleanup()
  await bench?.stop()
})

async function servedHostKey(address: string): Promise<string> {
  const scan = await realProc.run(['ssh-keyscan', '-T', '3', '-t', 'ed25519', address], {
    env: buildChildEnv(),
  })
  return scan.stdout.trim().split(/\s+/).slice(1, 3).join(' ')
}

async function containersOf(stack: string): Promise<string> {
  const ps = await realProc.run(
    [
      'docker',
      '-H',
      `unix://${host().dockerSocket}`,
      'ps',
      '-a',
      '--filter',
      `label=stack=${stack}`,
      '--format',
      '{{.Names}}',
    ],
    { env: buildChildEnv() },
  )
  return ps.stdout.trim()
}

function assertInOrder(text: string, markers: readonly string[]): void {
  let from = 0
  for (const marker of markers) {
    const at = text.indexOf(marker, from)
    assert.ok(at >= 0, `"${marker}" missing (or out of order) in:\n${text}`)
    from = at + marker.length
  }
}

const PROVIDER_IDS: Record<CloudProvider, string[]> = {
  hetzner: ['firewall_id', 'server_id', 'ssh_key_id'],
  contabo: ['instance_id', 'ssh_key_secret_id'],
}

/**
 * up → record → second up is a no-op → destroy (app, then host) → the double's cloud is empty. The "VM" starts
 * without the reference image, as a new one would: its archive is assembled before the gate and loaded over the
 * pinned SSH connection once the host is ready.
 */
async function fullCycle(
  ws: CloudWorkstation,
  stack: string,
  beforeDestroy?: () => Promise<void>,
): Promise<string> {
  const ref = referenceImageRef()
  const removed = await realProc.run(['docker', '-H', `unix://${host().dockerSocket}`, 'image', 'rm', ref], {
    env: buildChildEnv(),
  })
  assert.is(removed.exitCode, 0, removed.stderr)
  const up = await ws.up(stack)
  assert.is(up.code, 0, up.transcript)
  assertInOrder(up.transcript, [
    `Image: assembling the reference server ${ref}`,
    'Host phase',
    `Type ${stack} to continue`,
    `Waiting for ${host().address}`,
    `Loaded ${ref} into ssh://deploy@${host().address}:22 in `,
    'App phase',
    'Health check',
    `Stack ${stack} is up.`,
  ])

  const record = await ws.record(stack)
  assert.is(record.status, 'ready')
  assert.is(record.provider, ws.provider)
  assert.is(record.address, host().address)
  assert.is(record.dockerHost, `ssh://deploy@${host().address}:22`)
  const cloud = ws.cloudState(stack)
  const ids = Object.fromEntries(cloud.resources.map((r) => [r.address.type, r.id]))
  assert.equal(Object.keys(record.providerIds).sort(), PROVIDER_IDS[ws.provider])
  for (const id of Object.values(record.providerIds))
    assert.ok(Object.values(ids).includes(id), `${id} not in the cloud`)
  // The pinned key is the one the "VM" serves: it came from the user data the launcher generated.
  assert.is(await servedHostKey(host().address), record.ssh!.hostKeyPublic.split(' ').slice(0, 2).join(' '))
  assert.is(
    record.ssh!.knownHosts,
    `${host().address} ${record.ssh!.hostKeyPublic.split(' ').slice(0, 2).join(' ')}`,
  )
  assert.is(await containersOf(stack), stack)

  const again = await ws.up(stack, [], false)
  assert.is(again.code, 0, again.transcript)
  assert.not.match(again.transcript, 'to continue')
  assert.match(again.transcript, `Stack ${stack} already matches: nothing changed.`)
  assert.is(ws.cloudState(stack).serial, cloud.serial, 'a no-op up changed the cloud')

  await beforeDestroy?.()
  const destroyed = await ws.destroy(stack)
  assert.is(destroyed.code, 0, destroyed.transcript)
  assertInOrder(destroyed.transcript, [
    'App (container)',
    'Host (VM)',
    `Type ${stack} to continue`,
    `Stack ${stack} destroyed`,
  ])
  assert.is((await ws.record(stack)).status, 'destroyed')
  assert.equal(ws.cloudState(stack).resources, [])
  assert.equal(ws.cloudState(stack).outputs, {})
  assert.is(await containersOf(stack), '')
  return destroyed.transcript
}

testUnless(
  test,
  whyNotRoot(),
  'hetzner: up through the double, real app phase, converged re-run, destroy',
  async () => {
    const ws = new CloudWorkstation(host(), 'hetzner')
    let secrets: Record<string, string> = {}
    await fullCycle(ws, 'h1', async () => {
      const record = await ws.record('h1')
      secrets = {
        'API token': record.tokens.api,
        'runner token': record.tokens.runner,
        'state passphrase': record.terraform.statePassphrase,
        HCLOUD_TOKEN: CREDENTIALS.hetzner.HCLOUD_TOKEN!,
        'identity passphrase': ws.box.passphrase,

        // Each base64 line of the host private key, so a re-wrapped copy is found too.
        ...Object.fromEntries(
          record
            .ssh!.hostKeyPrivate.split('\n')
            .filter((line) => line.length >= 40 && !line.startsWith('-----'))
            .map((line, i) => [`host private key line ${i + 1}`, line]),
        ),
      }
    })
    hetznerRun = { ws, secrets }
  },
)

testUnless(
  test,
  whyNotRoot(),
  'leak: no minted token, passphrase, host key or HCLOUD_TOKEN in any file or output',
  () => {
    assert.ok(hetznerRun, 'the hetzner run did not finish')
    const { ws, secrets } = hetznerRun!
    assert.ok(Object.keys(secrets).length >= 6, 'no secrets collected')
    const files = [
      ...listFiles(ws.box.dir),
      ...listFiles(ws.doubleDir),
      ...listFiles(projectRoot, ['node_modules', '.git']),
    ]
    assert.ok(files.some((f) => f.endsWith('state.sops.yaml') || f.includes(join('operators', 'alice'))))
    assert.equal(findSecrets(files, secrets), [])
    for (const [i, transcript] of ws.transcripts.entries())
      for (const [label, secret] of Object.entries(secrets))
        assert.not.ok(transcript.includes(secret), `${label} in pty output #${i + 1}`)
    // The scan can fail: the encrypted state really holds these values (decrypted above).
    assert.ok(
      readFileSync(files.find((f) => f.includes(join('operators', 'alice', 'state')))!, 'utf8').includes(
        'ENC[',
      ),
    )
  },
)

testUnless(
  test,
  whyNotRoot(),
  'contabo: up through the double, destroy warns that the contract is cancelled',
  async () => {
    const ws = new CloudWorkstation(host(), 'contabo')
    try {
      const transcript = await fullCycle(ws, 'c1')
      assertInOrder(transcript, ['WARNING: On Contabo, destroy CANCELS THE CONTRACT', 'Type c1 to continue'])
    } finally {
      ws.cleanup()
    }
  },
)

testUnless(
  test,
  whyNotRoot(),
  'host never ready: cloud-init still running → exit 52 naming the host, record failed',
  async () => {
    const ws = new CloudWorkstation(host(), 'hetzner')
    await host().setCloudInitStatus('running')
    try {
      const up = await ws.up('h-wait', ['--wait-timeout', '5'])
      assert.is(up.code, ExitCode.hostNotReady, up.transcript)
      assert.match(up.transcript, `${host().address} was not ready after 5s`)
      assert.not.match(up.transcript, 'App phase')
      const record = await ws.record('h-wait')
      assert.is(record.status, 'failed')
      assert.match(record.lastError!.message, host().address)
    } finally {
      await host().setCloudInitStatus('done')
      ws.cleanup()
    }
  },
)

testUnless(
  test,
  whyNotRoot(),
  'host key mismatch: the VM serves another key → exit 51 naming the host',
  async () => {
    const ws = new CloudWorkstation(host(), 'hetzner')
    ws.setHostKeyMode('foreign')
    try {
      const up = await ws.up('h-key')
      assert.is(up.code, ExitCode.hostKeyMismatch, up.transcript)
      assert.match(up.transcript, `The SSH host key of ${host().address} does not match`)
      assert.not.match(up.transcript, 'App phase')
      assert.is((await ws.record('h-key')).status, 'failed')
    } finally {
      ws.cleanup()
    }
  },
)

test.run()
