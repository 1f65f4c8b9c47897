/**
 * The pure rules of the day-two commands, exactly: drift from an observation, the health word, docker logs
 * arguments and the remote watchdog command, the env file, local port choice, the host's DOCKER_HOST, ages.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseRemoteDockerHost } from '../../lib/daytwo/connect.ts'
import {
  buildDrift,
  type ContainerState,
  describeHealth,
  type Observation,
  parseInspect,
} from '../../lib/daytwo/drift.ts'
import { PortsBusyError } from '../../lib/daytwo/errors.ts'
import { buildLogsArgs, buildRemoteLogsCommand } from '../../lib/daytwo/logs.ts'
import { chooseLocalPorts } from '../../lib/daytwo/ports.ts'
import { buildEnvFile } from '../../lib/daytwo/reveal.ts'
import { formatAge } from '../../lib/daytwo/status.ts'
import { CliError, UsageError } from '../../lib/errors.ts'
import { buildStackRecord } from '../../lib/flows/record.ts'

const record = {
  ...buildStackRecord(
    { provider: 'local', env: 'dev', image: 'img', ports: [], size: null, location: null },
    new Date('2026-01-01T10:00:00Z'),
  ),
  status: 'ready' as const,
  address: '10.0.0.2',
  updatedAt: '2026-01-01T10:05:00Z',
}
const running: ContainerState = {
  id: 'a'.repeat(64),
  running: true,
  status: 'running',
  health: undefined,
  restartCount: 0,
  startedAt: '2026-01-01T10:04:00Z',
}
const ok = (container: Observation['container']): Observation => ({
  terraform: [{ phase: 'app', hasResources: true }],
  host: { state: 'ok' },
  container,
})
const kinds = (obs: Observation, id = running.id) => buildDrift(record, obs, id).map((d) => d.kind)

test('no drift when everything matches the record', () => {
  assert.equal(kinds(ok(running)), [])
  assert.is(describeHealth(ok(running)), 'running')
  assert.is(describeHealth(ok({ ...running, health: 'healthy' })), 'healthy')
})

test('each container drift is named', () => {
  assert.equal(kinds(ok('gone')), ['container-gone'])
  assert.equal(kinds(ok(running), 'b'.repeat(64)), ['container-replaced'])
  assert.equal(kinds(ok({ ...running, running: false, status: 'exited' })), ['container-stopped'])
  assert.is(describeHealth(ok({ ...running, running: false, status: 'exited' })), 'exited')
  assert.equal(kinds(ok({ ...running, restartCount: 2 })), ['container-restarted'])
  assert.equal(kinds(ok({ ...running, startedAt: '2026-01-01T11:00:00Z' })), ['container-restarted'])
  assert.equal(kinds(ok({ ...running, health: 'unhealthy' })), ['container-unhealthy'])
})

test('host and Terraform drift are named, with the address', () => {
  const down: Observation = { ...ok(undefined), host: { state: 'unreachable', detail: 'Connection refused' } }
  const [drift] = buildDrift(record, down, running.id)
  assert.equal(drift, {
    kind: 'host-unreachable',
    message: '10.0.0.2 does not answer SSH (VM gone or down): Connection refused',
  })
  assert.is(describeHealth(down), 'unreachable')
  assert.equal(kinds({ ...ok(undefined), host: { state: 'host-key-changed' } }), ['host-key-changed'])
  assert.equal(kinds({ ...ok(running), terraform: [{ phase: 'app', hasResources: false }] }), [
    'terraform-missing',
  ])
})

test('parseInspect reads the compared fields of docker inspect', () => {
  const text = JSON.stringify([
    {
      Id: 'abc',
      RestartCount: 1,
      State: { Running: true, Status: 'running', StartedAt: 't', Health: { Status: 'healthy' } },
    },
  ])
  assert.equal(parseInspect(text), {
    id: 'abc',
    running: true,
    status: 'running',
    health: 'healthy',
    restartCount: 1,
    startedAt: 't',
  })
})

test('docker logs arguments, and values that could reach the remote shell are refused', () => {
  assert.equal(buildLogsArgs('lab-1', { follow: true, since: '10m', tail: '100' }), [
    'logs',
    '--follow',
    '--since',
    '10m',
    '--tail',
    '100',
    'lab-1',
  ])
  assert.equal(buildLogsArgs('lab-1', { follow: false, since: '2026-01-31T12:00:00Z', tail: 'all' }), [
    'logs',
    '--since',
    '2026-01-31T12:00:00Z',
    '--tail',
    'all',
    'lab-1',
  ])
  assert.throws(
    () => buildLogsArgs('x', { follow: false, since: '1m;reboot', tail: undefined }),
    (e: unknown) => e instanceof UsageError,
  )
  assert.throws(
    () => buildLogsArgs('x', { follow: false, since: undefined, tail: '$(id)' }),
    (e: unknown) => e instanceof UsageError,
  )
  assert.equal(buildRemoteLogsCommand(['logs', 'lab-1']), [
    'sh',
    '-c',
    "'exec 3<&0; docker logs lab-1 & p=$!; { cat <&3; kill $p; } >/dev/null 2>&1 & wait $p'",
  ])
})

test('env file: NAME=value lines, a line break refused', () => {
  const env = {
    DEBUG_SERVER_URL: 'http://127.0.0.1:8080',
    DEBUG_SERVER_API_TOKEN: 'tok',
    DOCKER_HOST: 'unix:///t/d.sock',
  }
  assert.is(
    buildEnvFile(env),
    'DEBUG_SERVER_URL=http://127.0.0.1:8080\nDEBUG_SERVER_API_TOKEN=tok\nDOCKER_HOST=unix:///t/d.sock\n',
  )
  assert.throws(
    () => buildEnvFile({ ...env, DEBUG_SERVER_API_TOKEN: 'a\nb' }),
    (e: unknown) => e instanceof UsageError,
  )
})

test('local ports: the same number when free, another when busy, or PortsBusyError with --strict-ports', async () => {
  const ports = [
    { ip: '127.0.0.1', external: 8080, internal: 8080, protocol: 'tcp' },
    { ip: '0.0.0.0', external: 9229, internal: 9229, protocol: 'tcp' },
    { ip: '127.0.0.1', external: 5353, internal: 53, protocol: 'udp' },
  ]
  const isFree = async (p: number) => p !== 9229
  const forwards = await chooseLocalPorts(ports, { strict: false, isFree, pickFree: async () => 40000 })
  assert.equal(forwards, [
    { name: '8080/tcp', localPort: 8080, remote: { host: '127.0.0.1', port: 8080 }, moved: false },
    { name: '9229/tcp', localPort: 40000, remote: { host: '127.0.0.1', port: 9229 }, moved: true },
  ])
  try {
    await chooseLocalPorts(ports, { strict: true, isFree, pickFree: async () => 40000 })
    assert.unreachable('strict must refuse')
  } catch (error) {
    assert.instance(error, PortsBusyError)
    assert.equal((error as PortsBusyError).ports, [9229])
  }
})

test("the host's DOCKER_HOST: a unix socket path, Docker's default when unset, anything else refused", () => {
  assert.is(parseRemoteDockerHost('unix:///run/docker.sock\n'), '/run/docker.sock')
  assert.is(parseRemoteDockerHost(undefined), '/var/run/docker.sock')
  assert.throws(
    () => parseRemoteDockerHost('tcp://0.0.0.0:2375'),
    (e: unknown) => e instanceof CliError,
  )
})

test('ages in the largest whole unit', () => {
  const now = new Date('2026-01-03T00:00:00Z')
  assert.is(formatAge('2026-01-02T23:59:30Z', now), '30s')
  assert.is(formatAge('2026-01-02T23:15:00Z', now), '45m')
  assert.is(formatAge('2026-01-02T19:00:00Z', now), '5h')
  assert.is(formatAge('2026-01-01T00:00:00Z', now), '2d')
})

test.run()
