import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { renderCloudInit } from '../../lib/infra/cloud-init.ts'
import { InfraInputError } from '../../lib/infra/errors.ts'
import { renderStackInputs, writeTfvars } from '../../lib/infra/stack-inputs.ts'
import { HOST_KEY, OPERATOR_KEY } from './fixtures.ts'

const TOKEN = 'h'.repeat(64)
const host = {
  name: 'lab',
  operatorPublicKey: OPERATOR_KEY,
  hostKey: HOST_KEY,
  sshSourceRanges: ['203.0.113.7/32'],
  appFirewallPorts: [{ port: 8443, protocol: 'tcp' as const, sourceRanges: ['198.51.100.0/24'] }],
}

test('hetzner: exact tfvars; token and user data only in the environment', () => {
  const inputs = renderStackInputs('hetzner', {
    ...host,
    hcloudToken: TOKEN,
    image: 'ubuntu-24.04',
    location: 'nbg1',
    labels: { team: 'qa' },
  })
  assert.equal(inputs.tfvars, {
    name: 'lab',
    image: 'ubuntu-24.04',
    location: 'nbg1',
    operator_ssh_public_key: OPERATOR_KEY,
    host_key_fingerprint: HOST_KEY.fingerprint,
    ssh_source_ranges: ['203.0.113.7/32'],
    app_firewall_ports: [{ port: 8443, protocol: 'tcp', source_ranges: ['198.51.100.0/24'] }],
    labels: { team: 'qa' },
  })
  assert.equal(inputs.secretEnv, {
    TF_VAR_hcloud_token: TOKEN,
    // The cloud firewall filters traffic, so no nftables in the user data.
    TF_VAR_user_data: renderCloudInit({
      hostKey: HOST_KEY,
      authorizedKeys: [OPERATOR_KEY],
      dockerInstall: 'distro',
      os: 'ubuntu',
    }),
  })
})

test('contabo: exact tfvars; credentials and user data (with the host firewall) only in the environment', () => {
  const credentials = {
    clientId: 'cid',
    clientSecret: 'csecret',
    user: 'ops@example.com',
    password: 'api-pass',
  }
  const inputs = renderStackInputs('contabo', {
    ...host,
    credentials,
    imageId: 'd64d5c6c-9dda-4e38-8174-0ee282474d8a',
    period: 3,
    dockerInstall: 'docker-ce',
  })
  assert.equal(inputs.tfvars, {
    name: 'lab',
    image_id: 'd64d5c6c-9dda-4e38-8174-0ee282474d8a',
    period: 3,
    operator_ssh_public_key: OPERATOR_KEY,
    host_key_fingerprint: HOST_KEY.fingerprint,
  })
  assert.equal(Object.keys(inputs.secretEnv), ['TF_VAR_contabo_credentials', 'TF_VAR_user_data'])
  assert.equal(JSON.parse(inputs.secretEnv.TF_VAR_contabo_credentials ?? ''), {
    client_id: 'cid',
    client_secret: 'csecret',
    user: 'ops@example.com',
    password: 'api-pass',
  })
  assert.is(
    inputs.secretEnv.TF_VAR_user_data,
    renderCloudInit({
      hostKey: HOST_KEY,
      authorizedKeys: [OPERATOR_KEY],
      dockerInstall: 'docker-ce',
      hostFirewall: { sshSourceRanges: ['203.0.113.7/32'], appPorts: host.appFirewallPorts },
    }),
  )
})

test('local (app phase): exact tfvars; container env and TLS material only in the environment', () => {
  const tls = {
    caMaterial: '-----BEGIN CERTIFICATE-----\nca',
    certMaterial: '-----BEGIN CERTIFICATE-----\ncert',
    keyMaterial: '-----BEGIN PRIVATE KEY-----\nkey',
  }
  const inputs = renderStackInputs('local', {
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
  const rendered = [
    renderStackInputs('hetzner', { ...host, hcloudToken: TOKEN }),
    renderStackInputs('contabo', {
      ...host,
      credentials: { clientId: 'a', clientSecret: 'b-secret', user: 'c', password: 'd-secret' },
      imageId: 'x',
    }),
    renderStackInputs('local', { dockerHost: 'ssh://deploy@h:22', appImage: 'i', env: { T: 'env-secret' } }),
  ]
  for (const { tfvars } of rendered) {
    const text = JSON.stringify(tfvars)
    for (const secret of [
      TOKEN,
      'b-secret',
      'd-secret',
      'env-secret',
      'OPENSSH PRIVATE KEY',
      '#cloud-config',
    ])
      assert.not.match(text, secret)
  }
})

test('tcp:// without TLS and world-open TLS ranges are refused before Terraform runs', () => {
  assert.throws(
    () => renderStackInputs('local', { dockerHost: 'tcp://h:2375', appImage: 'i' }),
    (e: unknown) => e instanceof InfraInputError && e.field === 'dockerHost',
  )
  assert.throws(
    () =>
      renderStackInputs('hetzner', {
        ...host,
        hcloudToken: TOKEN,
        dockerTlsSourceRanges: ['::/0'],
        dockerTls: { caCert: '-----BEGIN C', serverCert: '-----BEGIN C', serverKey: '-----BEGIN K' },
      }),
    (e: unknown) => e instanceof InfraInputError && e.field === 'firewall.dockerTlsSourceRanges',
  )
})

test('writeTfvars writes <name>.auto.tfvars.json with mode 0600, also over an existing 0644 file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'infra-tfvars-'))
  try {
    await writeFile(join(dir, 'debug-cloud.auto.tfvars.json'), '{}', { mode: 0o644 })
    const path = await writeTfvars(dir, { name: 'lab', ssh_source_ranges: ['10.0.0.0/8'] })
    assert.is(path, join(dir, 'debug-cloud.auto.tfvars.json'))
    assert.is((await stat(path)).mode & 0o777, 0o600)
    assert.equal(JSON.parse(await readFile(path, 'utf8')), { name: 'lab', ssh_source_ranges: ['10.0.0.0/8'] })
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test.run()
