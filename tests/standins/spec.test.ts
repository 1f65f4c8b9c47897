/**
 * The stand-ins speak the clouds' formats: a scripted exercise with the REAL pinned tofu and the unmodified
 * hcloud and Contabo providers (create, no-op plan, a user-data change — an hcloud replacement, a Contabo
 * reinstall —, destroy), then every response the stand-ins sent is validated against the cloud's OpenAPI
 * description. Also the traps of cloud-api.md: 64-character tokens, action polling by ?id=, the JWT `sub`,
 * a refresh token with a dot, cancelled instances readable and later 404.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { testUnless } from '../helpers/skip.ts'
import { ensureTestTools } from '../helpers/tools.ts'
import { ContaboApiStandin } from './contabo-api-standin.ts'
import { addressOnlyBackend, Exercise } from './exercise.ts'
import { HCLOUD_TEST_TOKEN, HcloudApiStandin } from './hcloud-api-standin.ts'
import type { Exchange } from './http.ts'
import { type Api, checkAgainstSpec, labelled, whyNoSpecs } from './spec.ts'

const recorded: (Exchange & { api: Api })[] = []

async function cycle(ex: Exercise): Promise<string[]> {
  const codes: string[] = []
  const step = async (name: string, args: string[], ok: number[] = [0]) => {
    const run = await ex.tofu(args)
    assert.ok(
      ok.includes(run.exitCode ?? -1),
      `${name} exited ${run.exitCode}:\n${run.stdout}\n${run.stderr}`,
    )
    codes.push(`${name}:${run.exitCode}`)
    return run
  }
  ex.configure()
  await step('init', ['init', '-input=false'])
  await step('apply', ['apply', '-auto-approve', '-input=false'])
  await step('plan', ['plan', '-detailed-exitcode', '-input=false'])
  ex.configure('#cloud-config\nruncmd:\n  - [echo, changed]\n')
  await step('change', ['apply', '-auto-approve', '-input=false'])
  await step('destroy', ['destroy', '-auto-approve', '-input=false'])
  return codes
}

test.before(ensureTestTools)

test('hcloud: the provider creates, reads, replaces and deletes through the stand-in', async () => {
  assert.is(HCLOUD_TEST_TOKEN.length, 64)
  const standin = await new HcloudApiStandin(addressOnlyBackend).start()
  const ex = new Exercise('hetzner', standin)
  try {
    assert.equal(await cycle(ex), ['init:0', 'apply:0', 'plan:0', 'change:0', 'destroy:0'])
    const calls = standin.http.calls
    assert.ok(calls.includes('POST /v1/servers'), calls.join('\n'))
    assert.ok(calls.some((c) => /^DELETE \/v1\/servers\/\d+$/.test(c)))
    assert.equal([...standin.servers.values()], [])
    assert.equal([...standin.sshKeys.values()], [])
    assert.equal([...standin.firewalls.values()], [])
    recorded.push(...labelled('hcloud', standin.http.exchanges))
  } finally {
    await standin.stop()
    ex.cleanup()
  }
})

test('hcloud: a wrong token is refused with the API error format', async () => {
  const standin = await new HcloudApiStandin(addressOnlyBackend).start()
  try {
    const res = await fetch(`${standin.endpoint}/servers`, { headers: { authorization: 'Bearer nope' } })
    assert.is(res.status, 401)
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'unauthorized')
    recorded.push(...labelled('hcloud', standin.http.exchanges))
  } finally {
    await standin.stop()
  }
})

test('contabo: token, secret, instance create, reinstall on a user-data change, cancel', async () => {
  const standin = await new ContaboApiStandin(addressOnlyBackend).start()
  const ex = new Exercise('contabo', standin)
  try {
    assert.equal(await cycle(ex), ['init:0', 'apply:0', 'plan:0', 'change:0', 'destroy:0'])
    const calls = standin.http.calls
    assert.ok(
      calls.some((c) => /^PUT \/v1\/compute\/instances\/\d+$/.test(c)),
      'no reinstall PUT',
    )
    assert.ok(calls.some((c) => /^POST \/v1\/compute\/instances\/\d+\/cancel$/.test(c)))
    assert.equal(standin.activeInstances, [])
    assert.equal([...standin.secrets.values()], [])
    // The provider cached its token in the HOME it was given; the launcher gives each run a private one.
    const cache = join(ex.home, '.cache', 'contabo', 'terraform', 'token')
    assert.ok(existsSync(cache), 'the provider did not cache its token under HOME')
    recorded.push(...labelled('contabo', standin.http.exchanges))
  } finally {
    await standin.stop()
    ex.cleanup()
  }
})

test('contabo: tokens are JWTs with sub, the refresh token has dots, bad credentials get 401', async () => {
  const standin = await new ContaboApiStandin(addressOnlyBackend).start()
  try {
    const { CONTABO_TEST_CREDENTIALS: c } = await import('./contabo-api-standin.ts')
    const form = (extra: Record<string, string>) =>
      fetch(standin.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          client_id: c.CNTB_OAUTH2_CLIENT_ID,
          client_secret: c.CNTB_OAUTH2_CLIENT_SECRET,
          ...extra,
        }),
      })
    const ok = await form({
      grant_type: 'password',
      username: c.CNTB_OAUTH2_USER,
      password: c.CNTB_OAUTH2_PASS,
    })
    assert.is(ok.status, 200)
    const token = (await ok.json()) as { access_token: string; refresh_token: string; token_type: string }
    const payload = JSON.parse(
      Buffer.from(token.access_token.split('.')[1] ?? '', 'base64url').toString(),
    ) as {
      sub?: unknown
    }
    assert.type(payload.sub, 'string')
    assert.is(token.refresh_token.split('.').length, 3)
    assert.is(token.token_type, 'Bearer')
    const refreshed = await form({ grant_type: 'refresh_token', refresh_token: token.refresh_token })
    assert.is(refreshed.status, 200)
    const bad = await form({ grant_type: 'password', username: c.CNTB_OAUTH2_USER, password: 'wrong' })
    assert.is(bad.status, 401)
    assert.is(((await bad.json()) as { error: string }).error, 'invalid_grant')
    // Without x-request-id (every real client sends one) the API refuses.
    const bare = await fetch(`${standin.api}/v1/secrets/1`, {
      headers: { authorization: `Bearer ${token.access_token}` },
    })
    assert.is(bare.status, 400)
  } finally {
    await standin.stop()
  }
})

test('contabo: a cancelled instance stays readable until its period ends, then 404', async () => {
  const standin = await new ContaboApiStandin(addressOnlyBackend).start()
  const ex = new Exercise('contabo', standin)
  try {
    ex.configure()
    assert.is((await ex.tofu(['init', '-input=false'])).exitCode, 0)
    assert.is((await ex.tofu(['apply', '-auto-approve', '-input=false'])).exitCode, 0)
    const [instance] = standin.instances.values()
    assert.ok(instance)
    const state = readFileSync(join(ex.dir, 'terraform.tfstate'), 'utf8')
    // Cancel behind the provider's back (as from the customer panel): still readable, status reported.
    const { CONTABO_TEST_CREDENTIALS: c } = await import('./contabo-api-standin.ts')
    const tokenRes = await fetch(standin.tokenUrl, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'password',
        client_id: c.CNTB_OAUTH2_CLIENT_ID,
        client_secret: c.CNTB_OAUTH2_CLIENT_SECRET,
        username: c.CNTB_OAUTH2_USER,
        password: c.CNTB_OAUTH2_PASS,
      }),
    })
    const { access_token } = (await tokenRes.json()) as { access_token: string }
    const headers = {
      authorization: `Bearer ${access_token}`,
      'x-request-id': '04e0f898-37b4-48bc-a794-1a57abe6aa31',
    }
    const url = `${standin.api}/v1/compute/instances/${instance.instanceId}`
    assert.is((await fetch(`${url}/cancel`, { method: 'POST', headers })).status, 201)
    assert.is((await fetch(url, { headers })).status, 200)
    assert.ok((await ex.tofu(['plan', '-input=false'])).exitCode === 0)
    standin.expireCancelled()
    const gone = await fetch(url, { headers })
    assert.is(gone.status, 404)
    assert.equal(Object.keys((await gone.json()) as object).sort(), ['message', 'statusCode'])
    // The provider treats a 404 on read as an error, not as "gone": a stale state fails loudly.
    const stale = await ex.tofu(['plan', '-input=false'])
    assert.is(stale.exitCode, 1, stale.stdout)
    assert.ok(state.includes(String(instance.instanceId)))
    recorded.push(...labelled('contabo', standin.http.exchanges))
  } finally {
    await standin.stop()
    ex.cleanup()
  }
})

testUnless(
  test,
  whyNoSpecs(),
  'every recorded response validates against the OpenAPI description',
  async () => {
    assert.ok(recorded.length > 40, `only ${recorded.length} responses recorded`)
    const apis = new Set(recorded.map((e) => e.api))
    assert.equal([...apis].sort(), ['contabo', 'hcloud'])
    assert.equal(await checkAgainstSpec(recorded), [])
  },
)

testUnless(
  test,
  whyNoSpecs(),
  'the spec check can fail: a response missing a required field is named',
  async () => {
    const broken: Exchange & { api: Api } = {
      api: 'hcloud',
      method: 'get',
      template: '/ssh_keys/{id}',
      status: 200,
      body: { ssh_key: { id: 1, name: 'x' } },
    }
    const problems = await checkAgainstSpec([broken])
    assert.ok(
      problems.some((p) => p.includes("'fingerprint' is a required property")),
      problems.join('\n'),
    )
  },
)

test.run()
