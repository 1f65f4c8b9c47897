/**
 * The end-to-end scenarios both clouds share (hetzner-e2e.test.ts, contabo-e2e.test.ts), on one
 * CloudWorkstation: the full cycle of a person's commands, the host-key mismatch, and the leak scan.
 */
import { existsSync } from 'node:fs'
import * as assert from 'uvu/assert'
import { readConnection } from '../../lib/daytwo/connection.ts'
import { ExitCode } from '../../lib/errors.ts'
import { buildChildEnv, realProc } from '../../lib/proc.ts'
import { httpStatus } from '../../lib/ssh/health.ts'
import { operatorPaths, projectRoot } from '../../lib/state/paths.ts'
import { OPERATOR } from '../gate/sandbox.ts'
import { type CloudWorkstation, findSecrets, listFiles, missingInOrder } from './workstation.ts'

export type Secrets = Record<string, string>

/** base64 of the fixed start of every OpenSSH private key ("openssh-key-v1\0", no cipher, no KDF). */
const OPENSSH_KEY_V1 = 'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ'

const PROVIDER_IDS = {
  hetzner: ['firewall_id', 'server_id', 'ssh_key_id'],
  contabo: ['instance_id', 'ssh_key_secret_id'],
}

export function assertInOrder(text: string, markers: readonly string[]): void {
  const missing = missingInOrder(text, markers)
  assert.is(missing, undefined, `"${missing}" missing (or out of order) in:\n${text}`)
}

async function servedHostKey(address: string): Promise<string> {
  const scan = await realProc.run(['ssh-keyscan', '-T', '3', '-t', 'ed25519', address], {
    env: buildChildEnv(),
  })
  return scan.stdout.trim().split(/\s+/).slice(1, 3).join(' ')
}

/** Names of the containers of `stack` on the server's dockerd at `address` ('' once the server is gone). */
export async function containersOf(ws: CloudWorkstation, address: string, stack: string): Promise<string> {
  const socket = ws.machines.dockerSocketOf(address)
  if (socket === undefined) return ''
  const argv = ['docker', '-H', `unix://${socket}`, 'ps', '-a', '--filter', `label=stack=${stack}`]
  const ps = await realProc.run([...argv, '--format', '{{.Names}}'], { env: buildChildEnv() })
  return ps.stdout.trim()
}

/** `cloud:destroy` succeeds, the cloud holds nothing and the bench host is released. */
export async function destroyAndVerify(ws: CloudWorkstation, stack: string): Promise<string> {
  const [address] = ws.machines.inUse
  const destroyed = await ws.destroy(stack)
  assert.is(destroyed.code, 0, destroyed.transcript)
  assertInOrder(destroyed.transcript, ['Host (VM)', `Type ${stack} to continue`, `Stack ${stack} destroyed`])
  assert.is((await ws.record(stack)).status, 'destroyed')
  assert.equal(ws.liveServers, [], 'the server is still in the stand-in')
  // A server deleted while it booted (an interrupted create) is stopped when its boot ends, as a cloud does.
  await ws.standin.settled()
  assert.equal(ws.machines.inUse, [], 'the server was not stopped')
  if (address !== undefined) assert.is(await containersOf(ws, address, stack), '')
  return destroyed.transcript
}

/** up → record → status --refresh → connect → logs → converged re-run → destroy; returns the run's secrets. */
export async function fullCycle(ws: CloudWorkstation, stack: string): Promise<Secrets> {
  const up = await ws.up(stack)
  assert.is(up.code, 0, up.transcript)
  const host = { address: ws.serverAddress }
  assertInOrder(up.transcript, [
    'Host phase',
    `Type ${stack} to continue`,
    `Waiting for ${host.address}`,
    'App phase',
    'Health check',
    `Stack ${stack} is up.`,
  ])
  const record = await ws.record(stack)
  assert.is(record.status, 'ready')
  assert.is(record.provider, ws.provider)
  assert.is(record.address, host.address)
  assert.is(record.dockerHost, `ssh://deploy@${host.address}:22`)
  assert.equal(Object.keys(record.providerIds).sort(), PROVIDER_IDS[ws.provider])
  const [server] = ws.liveServers
  assert.ok(server, 'no server in the stand-in')
  assert.is(server.name, stack)
  assert.ok(Object.values(record.providerIds).includes(String(server.id)), `${server.id} not recorded`)
  // The key pinned is the one the machine serves: it came from the user data the provider sent.
  const pinned = record.ssh!.hostKeyPublic.split(' ').slice(0, 2).join(' ')
  assert.is(await servedHostKey(host.address), pinned)
  assert.match(ws.machines.requests.at(-1)?.userData ?? '', '#cloud-config')
  assert.is(await containersOf(ws, host.address, stack), stack)

  const status = ws.spawn('scripts/status.ts', ['--refresh', '--json'])
  const statusCode = await status.exitCode(60_000)
  ws.transcripts.push(status.transcript)
  const rows = JSON.parse(status.transcript.slice(status.transcript.indexOf('{'))) as {
    stacks: { stack: string; status: string; health: string | null; drift: unknown[] | null }[]
  }
  const row = rows.stacks.find((r) => r.stack === stack)
  assert.is(statusCode, 0, status.transcript)
  assert.equal([row?.status, row?.health, row?.drift], ['ready', 'running', []])

  const paths = operatorPaths(OPERATOR, { DEBUG_CLOUD_SECRETS_DIR: ws.box.secrets })
  const background = await ws.finish(
    ws.spawn('scripts/connect.ts', ['--stack-name', stack, '--background']),
    60_000,
  )
  assert.is(background.code, 0, background.transcript)
  const tunnel = await readConnection(paths, stack)
  assert.is(tunnel?.urls[0]?.url, `http://127.0.0.1:${ws.appPort}`)
  assert.is(await httpStatus(`${tunnel?.urls[0]?.url}/healthz`), 200)
  assert.is(
    (await ws.finish(ws.spawn('scripts/connect.ts', ['--stack-name', stack, '--close']), 60_000)).code,
    0,
  )

  const docker = ws.spawn('scripts/connect.ts', ['--stack-name', stack, '--docker'])
  await docker.expect(`Type ${stack} to continue`, 60_000)
  docker.type(`${stack}\r`)
  await docker.expect('Press Ctrl-C to close.', 60_000)
  const forwarded = await readConnection(paths, stack)
  const ps = await realProc.run(
    ['docker', '-H', forwarded?.dockerHost ?? '', 'ps', '--format', '{{.Names}}'],
    {
      env: buildChildEnv(),
    },
  )
  assert.is(ps.exitCode, 0, ps.stderr)
  assert.match(ps.stdout, stack)
  docker.type('\x03')
  assert.is((await ws.finish(docker, 30_000)).code, 0)
  assert.not.ok(forwarded && existsSync(forwarded.runtimeDir), 'the tunnel sockets were left behind')

  const logs = await ws.finish(ws.spawn('scripts/logs.ts', ['--stack-name', stack, '--tail', '20']), 60_000)
  assert.is(logs.code, 0, logs.transcript)
  assert.match(logs.transcript, 'path=/healthz status=200')

  const again = await ws.up(stack, [], false)
  assert.is(again.code, 0, again.transcript)
  assert.not.match(again.transcript, 'to continue')
  assert.match(again.transcript, `Stack ${stack} already matches: nothing changed.`)

  const secrets: Secrets = {
    'API token': record.tokens.api,
    'runner token': record.tokens.runner,
    'state passphrase': record.terraform.statePassphrase,
    'identity passphrase': ws.box.passphrase,
    ...Object.fromEntries(
      Object.entries(ws.providerEnv).filter(
        ([name]) => /TOKEN$|SECRET$|PASS$/.test(name) && !name.endsWith('_URL'),
      ),
    ),
    // Each base64 line of the host private key, so a re-wrapped copy is found too; not the first, which is
    // the "openssh-key-v1" header every unencrypted ed25519 key (the operator's own, too) starts with.
    ...Object.fromEntries(
      record
        .ssh!.hostKeyPrivate.split('\n')
        .filter((line) => line.length >= 40 && !line.startsWith('-----') && !line.startsWith(OPENSSH_KEY_V1))
        .map((line, i) => [`host private key line ${i + 1}`, line]),
    ),
  }
  await destroyAndVerify(ws, stack)
  return secrets
}

/** The machine serves another key than the user data's: exit 51 naming the host, then destroy cleans up. */
export async function hostKeyMismatch(ws: CloudWorkstation, stack: string): Promise<void> {
  ws.machines.foreignHostKey = true
  try {
    const up = await ws.up(stack)
    assert.is(up.code, ExitCode.hostKeyMismatch, up.transcript)
    assert.match(up.transcript, `The SSH host key of ${ws.serverAddress} does not match`)
    assert.not.match(up.transcript, 'App phase')
    assert.is((await ws.record(stack)).status, 'failed')
  } finally {
    ws.machines.foreignHostKey = false
  }
  await destroyAndVerify(ws, stack)
}

/** No secret of the run in any file of the operator, the project or the bench, nor in any pty transcript. */
export function leakScan(ws: CloudWorkstation, secrets: Secrets): void {
  assert.ok(Object.keys(secrets).length >= 6, 'no secrets collected')
  const files = [...listFiles(ws.box.dir), ...listFiles(projectRoot, ['node_modules', '.git'])]
  assert.ok(
    files.some((f) => f.endsWith('state.sops.yaml')),
    'the operator state was not scanned',
  )
  assert.equal(findSecrets(files, secrets), [])
  for (const [i, transcript] of ws.transcripts.entries())
    for (const [label, secret] of Object.entries(secrets))
      assert.not.ok(transcript.includes(secret), `${label} in pty output #${i + 1}`)
}
