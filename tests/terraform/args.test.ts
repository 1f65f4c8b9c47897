import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ToolMissingError, UsageError } from '../../lib/errors.ts'
import {
  buildApplyArgs,
  buildInitArgs,
  buildOutputArgs,
  buildPlanArgs,
  buildShowPlanArgs,
  buildValidateArgs,
  buildVersionArgs,
} from '../../lib/terraform/args.ts'
import { resolveTfBinary } from '../../lib/terraform/binary.ts'
import { buildEncryptionEnv } from '../../lib/terraform/encryption.ts'
import { buildTfEnv } from '../../lib/terraform/env.ts'
import { EncryptionPassphraseError, TfEnvError } from '../../lib/terraform/errors.ts'

/** uvu's `throws` takes a predicate, not a class. */
const isA = (kind: abstract new (...args: never[]) => Error) => (error: unknown) => error instanceof kind
/** An HCL `${…}` expression, assembled so it is not mistaken for a JS template. */
const hcl = (inner: string) => ['$', '{', inner, '}'].join('')

test('init, apply, show, output, validate and version argv are exact', () => {
  assert.equal(buildInitArgs(), ['init', '-input=false', '-no-color', '-json', '-lock-timeout=60s'])
  assert.equal(buildApplyArgs('/p/host.plan'), [
    'apply',
    '-input=false',
    '-no-color',
    '-json',
    '-lock-timeout=60s',
    '/p/host.plan',
  ])
  assert.equal(buildApplyArgs('/p/x.plan', '/priv/terraform.tfstate'), [
    'apply',
    '-input=false',
    '-no-color',
    '-json',
    '-lock-timeout=60s',
    '-state=/priv/terraform.tfstate',
    '/p/x.plan',
  ])
  assert.equal(buildShowPlanArgs('/p/x.plan'), ['show', '-no-color', '-json', '/p/x.plan'])
  assert.equal(buildOutputArgs(), ['output', '-no-color', '-json'])
  assert.equal(buildOutputArgs('/s'), ['output', '-no-color', '-json', '-state=/s'])
  assert.equal(buildValidateArgs(), ['validate', '-no-color', '-json'])
  assert.equal(buildVersionArgs(), ['version', '-json'])
})

test('plan argv: saved plan, detailed exit code, var files, destroy; never -auto-approve', () => {
  assert.equal(buildPlanArgs({ planFile: 'a.plan' }), [
    'plan',
    '-input=false',
    '-no-color',
    '-json',
    '-detailed-exitcode',
    '-lock-timeout=60s',
    '-out=a.plan',
  ])
  assert.equal(
    buildPlanArgs({ planFile: 'd.plan', destroy: true, varFiles: ['in.tfvars.json'], statePath: '/s' }),
    [
      'plan',
      '-input=false',
      '-no-color',
      '-json',
      '-detailed-exitcode',
      '-lock-timeout=60s',
      '-destroy',
      '-state=/s',
      '-var-file=in.tfvars.json',
      '-out=d.plan',
    ],
  )
  for (const argv of [buildPlanArgs({ planFile: 'a' }), buildApplyArgs('a')]) {
    assert.not.ok(argv.some((a) => a.includes('auto-approve')))
  }
})

test('child env is explicit: ambient TF_* never passes, secrets only as TF_VAR_*', () => {
  const source = {
    PATH: '/usr/bin',
    HOME: '/home/op',
    TF_CLI_ARGS: '-auto-approve',
    TF_CLI_ARGS_apply: '-auto-approve',
    TF_VAR_token: 'ambient',
    TF_WORKSPACE: 'other',
    TF_LOG: 'trace',
    TF_LOG_PATH: '/tmp/log',
    HCLOUD_TOKEN: 'ambient-token',
    AWS_SECRET_ACCESS_KEY: 'x',
  }
  const env = buildTfEnv({
    cliConfigFile: '/cache/tofu.rc',
    variables: { api_token: 'tok-123' },
    credentials: { HCLOUD_TOKEN: 'hc-456' },
    encryption: { TF_ENCRYPTION: '{}' },
    source,
  })
  assert.equal(env, {
    PATH: '/usr/bin',
    HOME: '/home/op',
    HCLOUD_TOKEN: 'hc-456',
    TF_VAR_api_token: 'tok-123',
    TF_ENCRYPTION: '{}',
    TF_IN_AUTOMATION: '1',
    TF_INPUT: '0',
    TF_CLI_CONFIG_FILE: '/cache/tofu.rc',
  })
})

test("the providers' endpoint settings pass through: https, or plain http to loopback only", () => {
  const env = (source: Record<string, string>) => buildTfEnv({ cliConfigFile: '/c', source })
  const passed = {
    HCLOUD_ENDPOINT: 'https://api.example.test/v1',
    CNTB_API: 'http://127.0.0.1:4321',
    CNTB_OAUTH2_TOKEN_URL: 'http://[::1]:4321/token',
  }
  const got = env({ PATH: '/usr/bin', ...passed, OTHER_ENDPOINT: 'https://x.test' })
  assert.equal(Object.fromEntries(Object.keys(passed).map((k) => [k, got[k]])), passed)
  assert.is(got.OTHER_ENDPOINT, undefined)
  for (const bad of ['http://api.example.test/v1', 'http://10.0.0.5:80', 'ftp://127.0.0.1', 'not a url'])
    assert.throws(
      () => env({ HCLOUD_ENDPOINT: bad }),
      (e: unknown) => e instanceof Error && /not an https URL/.test(e.message) && e.message.includes(bad),
    )
})

test('child env refuses credentials that would steer Terraform and malformed names', () => {
  const refused: Record<string, string>[] = [
    { TF_CLI_ARGS: '-auto-approve' },
    { TF_LOG: 'trace' },
    { 'bad name': 'x' },
  ]
  for (const credentials of refused) {
    assert.throws(() => buildTfEnv({ cliConfigFile: '/c', credentials, source: {} }), isA(TfEnvError))
  }
  assert.throws(
    () => buildTfEnv({ cliConfigFile: '/c', variables: { 'a b': 'x' }, source: {} }),
    isA(TfEnvError),
  )
})

test('encryption env: pbkdf2 + aes_gcm, enforced for state and plan, template sigils escaped', () => {
  const env = buildEncryptionEnv(`pa${hcl('ss')}%{x}"\\phrase-0123`)
  const config = JSON.parse(env.TF_ENCRYPTION!)
  assert.equal(config, {
    key_provider: {
      pbkdf2: {
        stack: {
          passphrase: `pa$${hcl('ss')}%%{x}"\\phrase-0123`,
          hash_function: 'sha256',
          iterations: 600_000,
        },
      },
    },
    method: { aes_gcm: { stack: { keys: 'key_provider.pbkdf2.stack' } } },
    state: { method: 'method.aes_gcm.stack', enforced: true },
    plan: { method: 'method.aes_gcm.stack', enforced: true },
  })
  assert.throws(() => buildEncryptionEnv('short'), isA(EncryptionPassphraseError))
})

test('binary: pinned tofu first, then PATH; --tf-bin picks a flavour; bad values and absence explained', () => {
  const env = { XDG_CACHE_HOME: '/cache', PATH: '/a:/b' }
  const exists = (set: string[]) => (p: string) => set.includes(p)
  const pinned = '/cache/debug-cloud/tools/tofu/v1.12.6/tofu'
  assert.equal(resolveTfBinary(undefined, env, exists([pinned, '/a/terraform'])), {
    path: pinned,
    flavor: 'tofu',
  })
  assert.equal(resolveTfBinary(undefined, env, exists(['/b/tofu', '/a/terraform'])), {
    path: '/b/tofu',
    flavor: 'tofu',
  })
  assert.equal(resolveTfBinary(undefined, env, exists(['/b/terraform'])), {
    path: '/b/terraform',
    flavor: 'terraform',
  })
  assert.equal(resolveTfBinary('terraform', env, exists([pinned, '/b/terraform'])), {
    path: '/b/terraform',
    flavor: 'terraform',
  })
  assert.throws(() => resolveTfBinary('tf', env, exists([pinned])), isA(UsageError))
  assert.throws(() => resolveTfBinary('terraform', env, exists([pinned])), isA(ToolMissingError))
})

test.run()
