import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { InfraInputError } from '../../lib/infra/errors.ts'
import { buildAppStackInputs, writeVarFile } from '../../lib/infra/stack-inputs.ts'

test('app stack: exact tfvars; container env and TLS material only in the environment', () => {
  const tls = {
    caMaterial: '-----BEGIN CERTIFICATE-----\nca',
    certMaterial: '-----BEGIN CERTIFICATE-----\ncert',
    keyMaterial: '-----BEGIN PRIVATE KEY-----\nkey',
  }
  const inputs = buildAppStackInputs({
    dockerHost: 'tcp://203.0.113.9:2376',
    dockerTls: tls,
    appImage: 'ghcr.io/acme/debug-server:1.4.2',
    env: { DEBUG_TOKEN: 'tok-123' },
    ports: [{ internal: 8080 }, { internal: 9229, external: 19229, ip: '127.0.0.1', protocol: 'tcp' }],
    healthcheck: { test: ['CMD', 'wget', '-qO-', 'http://127.0.0.1:8080/healthz'], startPeriod: '2s' },
    pullPolicy: 'always',
  })
  assert.equal(inputs.tfvars, {
    docker_host: 'tcp://203.0.113.9:2376',
    app_image: 'ghcr.io/acme/debug-server:1.4.2',
    app_ports: [{ internal: 8080 }, { internal: 9229, external: 19229, ip: '127.0.0.1', protocol: 'tcp' }],
    healthcheck: { test: ['CMD', 'wget', '-qO-', 'http://127.0.0.1:8080/healthz'], start_period: '2s' },
    pull_policy: 'always',
  })
  assert.equal(inputs.secretEnv, {
    TF_VAR_app_env: '{"DEBUG_TOKEN":"tok-123"}',
    TF_VAR_docker_tls: JSON.stringify({
      ca_material: tls.caMaterial,
      cert_material: tls.certMaterial,
      key_material: tls.keyMaterial,
    }),
  })
})

test('no secret ever appears in the tfvars', () => {
  const { tfvars } = buildAppStackInputs({
    dockerHost: 'ssh://deploy@h:22',
    appImage: 'i',
    env: { T: 'env-secret' },
  })
  assert.not.match(JSON.stringify(tfvars), 'env-secret')
})

test('tcp:// without TLS is refused before Terraform runs', () => {
  assert.throws(
    () => buildAppStackInputs({ dockerHost: 'tcp://h:2375', appImage: 'i' }),
    (e: unknown) => e instanceof InfraInputError && e.field === 'dockerHost',
  )
})

test('writeVarFile writes the JSON var file with mode 0600, also over an existing 0644 file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'infra-tfvars-'))
  try {
    const path = join(dir, 'inputs.tfvars.json')
    await writeFile(path, '{}', { mode: 0o644 })
    await writeVarFile(path, { name: 'lab', ssh_source_ranges: ['10.0.0.0/8'] })
    assert.is((await stat(path)).mode & 0o777, 0o600)
    assert.equal(JSON.parse(await readFile(path, 'utf8')), { name: 'lab', ssh_source_ranges: ['10.0.0.0/8'] })
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test.run()
