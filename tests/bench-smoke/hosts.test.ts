/**
 * The bench itself, on real sshd and dockerd: host-key pinning, the deploy user, docker over ssh://,
 * the reference server image, cloud-init status, fault injection, and that stop() leaves nothing behind.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { REFERENCE_SERVER_PORT } from '../../lib/image/reference.ts'
import { buildChildEnv, realProc } from '../../lib/proc.ts'
import { buildSshArgv, writeDockerSshShim } from '../harness/client.ts'
import { startBench } from '../harness/hosts.ts'
import { buildHostLayout, parseSlot } from '../harness/layout.ts'
import { listLeftovers } from '../harness/leftovers.ts'
import { readHostRecord } from '../harness/record.ts'
import type { TestBench, TestHost } from '../harness/types.ts'
import { testUnless, whyNotRoot } from '../helpers/skip.ts'

const skip = whyNotRoot()
const scratch = mkdtempSync(join(tmpdir(), 'bench-smoke-'))
let bench: TestBench | undefined
const host = (): TestHost => {
  if (!bench?.hosts[0]) throw new Error('bench not started')
  return bench.hosts[0]
}
const sh = (argv: string[], extra: Record<string, string> = {}) =>
  realProc.run(argv, { env: buildChildEnv(extra) })

test.before(async () => {
  if (skip === undefined) bench = await startBench(1)
})
test.after(async () => {
  await bench?.stop()
  rmSync(scratch, { recursive: true, force: true })
})

testUnless(test, skip, 'ssh with the pinned host key logs in as deploy, in the docker group', async () => {
  const result = await sh(buildSshArgv(host(), ['id', '-nG']))
  assert.is(result.exitCode, 0, result.stderr)
  assert.ok(
    result.stdout
      .split(' ')
      .map((g) => g.trim())
      .includes('docker'),
    result.stdout,
  )
  assert.match(readFileSync(host().knownHostsPath, 'utf8'), host().hostPublicKey)
})

testUnless(test, skip, 'a wrong key in known_hosts is refused: Host key verification failed', async () => {
  const other = join(scratch, 'other_key')
  await sh(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', other])
  const wrong = join(scratch, 'wrong_known_hosts')
  writeFileSync(
    wrong,
    `${host().address} ${readFileSync(`${other}.pub`, 'utf8').split(' ').slice(0, 2).join(' ')}\n`,
  )
  const result = await sh(buildSshArgv(host(), ['true'], wrong))
  assert.is(result.exitCode, 255)
  assert.match(result.stderr, 'Host key verification failed')
})

testUnless(test, skip, 'password logins are off: without the client key the login is refused', async () => {
  const argv = buildSshArgv(host(), ['true']).map((a) => (a === host().clientKeyPath ? '/dev/null' : a))
  const result = await sh(argv)
  assert.is(result.exitCode, 255)
  assert.match(result.stderr, /Permission denied \(publickey\)/)
})

testUnless(
  test,
  skip,
  'the real cloud-init status --wait reports done; running blocks until done',
  async () => {
    const done = await sh(buildSshArgv(host(), ['cloud-init', 'status', '--wait']))
    assert.is(done.exitCode, 0, done.stderr)
    assert.match(done.stdout, 'status: done')
    await host().setCloudInitStatus('running')
    const stuck = await sh(buildSshArgv(host(), ['timeout', '2', 'cloud-init', 'status', '--wait']))
    assert.is(stuck.exitCode, 124, 'status --wait must still be waiting after 2 s')
    assert.match((await sh(buildSshArgv(host(), ['cloud-init', 'status']))).stdout, 'status: running')
    await host().setCloudInitStatus('done')
    assert.match((await sh(buildSshArgv(host(), ['cloud-init', 'status']))).stdout, 'status: done')
  },
)

testUnless(test, skip, 'docker -H ssh:// reaches the host’s own dockerd', async () => {
  const env = writeDockerSshShim(join(scratch, 'ssh-shim'), [host()])
  const viaSsh = await sh(['docker', '-H', host().dockerHost, 'info', '--format', '{{.DockerRootDir}}'], env)
  assert.is(viaSsh.exitCode, 0, viaSsh.stderr)
  assert.is(viaSsh.stdout.trim(), join(host().logDir, 'docker'))
  const images = await sh(
    ['docker', '-H', host().dockerHost, 'image', 'ls', '--format', '{{.Repository}}:{{.Tag}}'],
    env,
  )
  assert.ok(images.stdout.split('\n').includes(host().image), images.stdout)
})

testUnless(
  test,
  skip,
  'the reference image runs, answers /healthz with ok and logs one line per request',
  async () => {
    const docker = ['docker', '-H', `unix://${host().dockerSocket}`]
    const started = await sh([
      ...docker,
      'run',
      '-d',
      '--name',
      'smoke',
      '-p',
      `${REFERENCE_SERVER_PORT}:${REFERENCE_SERVER_PORT}`,
      host().image,
    ])
    assert.is(started.exitCode, 0, started.stderr)
    const url = `http://${host().address}:${REFERENCE_SERVER_PORT}/healthz`
    let response: Response | undefined
    for (let i = 0; i < 50 && response === undefined; i++)
      response = await fetch(url).catch(async () => void (await new Promise((r) => setTimeout(r, 100))))
    assert.is(response?.status, 200)
    assert.is(await response?.text(), 'ok')
    assert.is((await fetch(url.replace('healthz', 'missing'))).status, 404)
    const logs = await sh([...docker, 'logs', 'smoke'])
    assert.equal(logs.stderr.trim().split('\n'), [
      'start server=debug-cloud-reference version=0.1.0 port=8080 api_token=unset runner_token=unset',
      'request method=GET path=/healthz status=200',
      'request method=GET path=/missing status=404',
    ])
    const stopped = await sh([...docker, 'stop', '--time', '10', 'smoke'])
    assert.is(stopped.exitCode, 0, stopped.stderr)
  },
)

testUnless(test, skip, 'stopSsh makes the host stop answering on port 22', async () => {
  await host().stopSsh()
  const result = await sh(buildSshArgv(host(), ['true']))
  assert.is(result.exitCode, 255)
  assert.match(result.stderr, /Connection refused/)
})

testUnless(
  test,
  skip,
  'stop() leaves no process, namespace, veth, cgroup, mount or directory behind',
  async () => {
    const stopped = bench
    if (!stopped) throw new Error('bench not started')
    const names = stopped.hosts.map((h) => h.name)
    const records = names.map((name) => readHostRecord(buildHostLayout(parseSlot(name) ?? 0)))
    assert.ok(
      records.every((r) => r?.unsharePid !== undefined && r.initPid !== undefined),
      'records name the processes',
    )
    const benchDir = dirname(host().clientKeyPath)
    await stopped.stop()
    await stopped.stop() // idempotent
    assert.equal(
      names.flatMap((name) => listLeftovers(name)),
      [],
    )
    assert.not.ok(existsSync(benchDir), `${benchDir} left`)
  },
)

test.run()
