/**
 * The reference image on a real dockerd (a bench host): built from this machine's busybox-static by
 * buildReferenceImage, found by imageStatus and doctor, a no-op when rebuilt unchanged, rebuilt when the
 * engine's image has other inputs; and the server it runs meets the contract of docs/spec.md: /healthz open,
 * /api and /runner each only with their own bearer token, closed when no token is set, one log line per
 * request without any token.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { checkReferenceImage } from '../../lib/doctor.ts'
import { buildReferenceImage, prepareReferenceArchive } from '../../lib/image/build.ts'
import { DockerCommandError, DockerEngineError, imageStatus } from '../../lib/image/docker.ts'
import { referenceImageRef } from '../../lib/image/reference.ts'
import { buildChildEnv, realProc } from '../../lib/proc.ts'
import { startBench } from '../harness/hosts.ts'
import type { TestBench, TestHost } from '../harness/types.ts'
import { testUnless, whyNotRoot } from '../helpers/skip.ts'

const skip = whyNotRoot()
const API = 'api-7Qz_kT2mN9xW4vLp8sR1bY6cF3hJ0dG5eA-uXoIqZ'
const RUNNER = 'runner-Hq4Ls9Vb2Nw7Xc1Mz6Kp3Rt8Yf0Gd5Ja-eUiOoP'
const ref = referenceImageRef()
let bench: TestBench | undefined
const host = (): TestHost => {
  if (!bench?.hosts[0]) throw new Error('bench not started')
  return bench.hosts[0]
}
const dockerHost = () => `unix://${host().dockerSocket}`
const docker = (...args: string[]) =>
  realProc.run(['docker', '-H', dockerHost(), ...args], { env: buildChildEnv() })

test.before(async () => {
  if (skip === undefined) bench = await startBench(1)
})
test.after(async () => {
  await bench?.stop()
})

/** Start the image with these container variables, published on the host's address at `port`. */
async function runServer(name: string, port: number, env: string[]): Promise<string> {
  const started = await docker(
    'run',
    '-d',
    '--name',
    name,
    '-p',
    `${port}:8080`,
    ...env.flatMap((e) => ['-e', e]),
    ref,
  )
  assert.is(started.exitCode, 0, started.stderr)
  const base = `http://${host().address}:${port}`
  for (let i = 0; i < 50; i++) {
    if (
      await fetch(`${base}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return base
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`${name} did not answer /healthz`)
}

async function status(url: string, authorization?: string): Promise<number> {
  const response = await fetch(url, authorization === undefined ? {} : { headers: { authorization } })
  await response.arrayBuffer()
  return response.status
}

const lastTagTime = async () =>
  (await docker('image', 'inspect', '--format', '{{.Metadata.LastTagTime}}', ref)).stdout

testUnless(
  test,
  skip,
  'built from busybox-static, found, a no-op when unchanged, rebuilt when the inputs differ',
  async () => {
    assert.is((await docker('image', 'rm', ref)).exitCode, 0, 'start without the bench-loaded image')
    assert.is(await imageStatus(realProc, { dockerHost: dockerHost() }, ref), 'absent')
    // busybox-static is installed here (the suite needs it), so doctor says cloud:up will build it.
    const absent = await checkReferenceImage(realProc, dockerHost())
    assert.is(absent.level, 'ok')
    assert.match(
      absent.detail,
      `${ref} is not on ${dockerHost()} yet; cloud:up builds it from busybox-static`,
    )

    const first = await buildReferenceImage({ proc: realProc, engine: { dockerHost: dockerHost() } })
    assert.is(first.built, true)
    assert.is(first.ref, ref)
    assert.is(await imageStatus(realProc, { dockerHost: dockerHost() }, ref), 'present')
    assert.equal(await checkReferenceImage(realProc, dockerHost()), {
      name: 'reference image',
      level: 'ok',
      detail: `${ref} on ${dockerHost()}`,
    })
    // The classic image store names an image by its config's digest: hash the config inside the archive.
    const archive = await prepareReferenceArchive(realProc)
    const config = (await docker('image', 'inspect', '--format', '{{json .}}', ref)).stdout
    assert.is(first.id, JSON.parse(config).Id)
    assert.is(first.id, archive.configDigest)

    const tagged = await lastTagTime()
    const again = await buildReferenceImage({ proc: realProc, engine: { dockerHost: dockerHost() } })
    assert.equal({ built: again.built, id: again.id }, { built: false, id: first.id })
    assert.is(await lastTagTime(), tagged, 'nothing was loaded')

    // An image under the same tag whose inputs label differs (an older build, say) is replaced.
    const scratch = await docker('create', '--name', 'stale', ref)
    assert.is(scratch.exitCode, 0, scratch.stderr)
    const commit = await docker('commit', '--change', 'LABEL debug-cloud.inputs=sha256:old', 'stale', ref)
    assert.is(commit.exitCode, 0, commit.stderr)
    await docker('rm', 'stale')
    const rebuilt = await buildReferenceImage({ proc: realProc, engine: { dockerHost: dockerHost() } })
    assert.equal({ built: rebuilt.built, id: rebuilt.id }, { built: true, id: first.id })
  },
)

testUnless(
  test,
  skip,
  'an engine that does not answer is named, and doctor turns it into a warning',
  async () => {
    const nowhere = `unix://${host().logDir}/no-such.sock`
    try {
      await imageStatus(realProc, { dockerHost: nowhere }, ref)
      assert.unreachable('should have thrown')
    } catch (error) {
      assert.instance(error, DockerEngineError)
      assert.is((error as DockerEngineError).exitCode, 52)
      assert.match((error as Error).message, `No Docker engine answers at ${nowhere}`)
    }
    assert.is((await checkReferenceImage(realProc, nowhere)).level, 'warn')
    // An ssh:// host goes straight to the docker CLI, whose failure is reported with its stderr.
    const closed = `ssh://deploy@${host().address}:2`
    try {
      await imageStatus(realProc, { dockerHost: closed }, ref)
      assert.unreachable('should have thrown')
    } catch (error) {
      assert.instance(error, DockerCommandError)
      assert.is((error as DockerCommandError).dockerHost, closed)
      assert.match(
        (error as Error).message,
        `\`docker image ls --no-trunc --format {{.ID}} ${ref}\` on ${closed} failed`,
      )
    }
  },
)

testUnless(
  test,
  skip,
  'with both tokens: /healthz open, /api and /runner each only with its own token',
  async () => {
    const base = await runServer('tokens', 18081, [
      `DEBUG_SERVER_API_TOKEN=${API}`,
      `DEBUG_SERVER_RUNNER_TOKEN=${RUNNER}`,
    ])
    const health = await fetch(`${base}/healthz`)
    assert.equal([health.status, await health.text()], [200, 'ok'])
    const api = await fetch(`${base}/api/v1/status`, { headers: { authorization: `Bearer ${API}` } })
    assert.equal(
      [api.status, await api.json()],
      [200, { ok: true, role: 'api', server: 'debug-cloud-reference', version: ref.split(':')[1] }],
    )
    const runner = await fetch(`${base}/runner/v1/status`, { headers: { authorization: `Bearer ${RUNNER}` } })
    assert.equal([runner.status, (await runner.json()).role], [200, 'runner'])
    const denied = await fetch(`${base}/api/v1/status`)
    assert.is(denied.status, 401)
    assert.is(denied.headers.get('www-authenticate'), 'Bearer realm="debug-server"')
    await denied.arrayBuffer()
    const cases: [string, string | undefined, number][] = [
      ['/api/v1/status', `Bearer ${API}x`, 401],
      ['/api/v1/status', `Bearer ${API.slice(0, -1)}`, 401],
      ['/api/v1/status', `Bearer ${RUNNER}`, 401],
      ['/api/v1/status', `Basic ${Buffer.from(`x:${API}`).toString('base64')}`, 401],
      ['/api/v1/status', API, 401],
      ['/api/v1/status', 'Bearer ', 401],
      ['/api/v1/status', `bearer ${API}`, 200],
      ['/api/other', undefined, 401],
      ['/api/other', `Bearer ${API}`, 404],
      ['/runner/v1/status', undefined, 401],
      ['/runner/v1/status', `Bearer ${RUNNER}x`, 401],
      ['/runner/v1/status', `Bearer ${API}`, 401],
      ['/missing', undefined, 404],
    ]
    for (const [path, authorization, expected] of cases)
      assert.is(await status(`${base}${path}`, authorization), expected, `${path} with ${authorization}`)
    const post = await fetch(`${base}/api/v1/status`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API}` },
      body: 'x'.repeat(5000),
    })
    assert.equal([post.status, post.headers.get('allow')], [405, 'GET, HEAD'])
    await post.arrayBuffer()
    assert.is(await status(`${base}/api/v1/status?token=${API}`, `Bearer ${API}`), 200)
    assert.is(await status(`${base}/${API}`), 404)

    const logs = await docker('logs', 'tokens')
    assert.is(logs.exitCode, 0, logs.stderr)
    const lines = (logs.stdout + logs.stderr).trim().split('\n')
    assert.is(
      lines[0],
      `start server=debug-cloud-reference version=${ref.split(':')[1]} port=8080 api_token=set runner_token=set`,
    )
    const requests = lines.filter((l) => l.startsWith('request '))
    assert.is(lines.length, requests.length + 1, 'nothing but the start line and one line per request')
    // runServer's readiness probe, the three 200s, the bare 401, the table, the POST, the query, the token path.
    assert.is(requests.length, 1 + 3 + 1 + cases.length + 3)
    assert.equal(requests.slice(-4), [
      'request method=GET path=/missing status=404',
      'request method=POST path=/api/v1/status status=405',
      'request method=GET path=/api/v1/status status=200',
      'request method=GET path=<redacted> status=404',
    ])
    assert.ok(
      requests.every((l) => /^request method=[A-Z]+ path=\S+ status=\d{3}$/.test(l)),
      requests.join('\n'),
    )
    for (const secret of [API, RUNNER, API.slice(0, -1), 'Bearer', 'Basic'])
      assert.not.match(logs.stdout + logs.stderr, secret)
    await docker('rm', '-f', 'tokens')
  },
)

testUnless(test, skip, 'with no token set, or set empty, /api and /runner refuse everything', async () => {
  for (const [name, port, env] of [
    ['unset', 18082, []],
    ['empty', 18083, ['DEBUG_SERVER_API_TOKEN=', 'DEBUG_SERVER_RUNNER_TOKEN=']],
  ] as const) {
    const base = await runServer(name, port, [...env])
    for (const path of ['/api/v1/status', '/runner/v1/status'])
      for (const authorization of [undefined, 'Bearer ', 'Bearer', `Bearer ${API}`, 'Bearer  '])
        assert.is(
          await status(`${base}${path}`, authorization),
          401,
          `${name}: ${path} with ${authorization}`,
        )
    assert.is(await status(`${base}/healthz`), 200)
    const logs = await docker('logs', name)
    assert.match(logs.stderr, / api_token=unset runner_token=unset\n/)
    await docker('rm', '-f', name)
  }
})

test.run()
