import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parse } from 'yaml'
import { contabo } from '../../lib/providers/contabo.ts'
import { HOST_KEY, OPERATOR_KEY } from '../infra/fixtures.ts'
import { buildHostRequestFixture, HOST_USER_DATA } from './fixtures.ts'

const credentials = {
  CNTB_OAUTH2_CLIENT_ID: 'cid',
  CNTB_OAUTH2_CLIENT_SECRET: 'csecret',
  CNTB_OAUTH2_USER: 'ops@example.com',
  CNTB_OAUTH2_PASS: 'api-pass',
  CNTB_IMAGE_ID: 'd64d5c6c-9dda-4e38-8174-0ee282474d8a',
}
const host = contabo.host
if (!host) throw new Error('contabo has a host phase')

test('exact tfvars; the OAuth2 credentials and the user data only in the environment', () => {
  const inputs = host.buildInputs(buildHostRequestFixture(credentials))
  assert.equal(inputs.tfvars, {
    name: 'lab',
    product_id: 'cx33',
    region: 'nbg1',
    image_id: 'd64d5c6c-9dda-4e38-8174-0ee282474d8a',
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
  const text = JSON.stringify(inputs.tfvars)
  for (const secret of ['csecret', 'api-pass', 'OPENSSH PRIVATE KEY']) assert.not.match(text, secret)
})

test('the user data carries the host firewall (Contabo has no cloud firewall): SSH only from the given ranges', () => {
  const config = parse(
    host.buildInputs(buildHostRequestFixture(credentials)).secretEnv.TF_VAR_user_data ?? '',
  )
  assert.equal(config.ssh_keys, HOST_USER_DATA.ssh_keys)
  assert.equal(config.users[1], HOST_USER_DATA.deployUser)
  assert.equal(config.packages, HOST_USER_DATA.packages)
  const rules =
    config.write_files.find((f: { path: string }) => f.path === '/etc/nftables.conf')?.content ?? ''
  assert.match(rules, 'type filter hook input priority filter; policy drop;')
  assert.match(rules, 'ip saddr { 203.0.113.7/32 } tcp dport 22 accept')
  assert.equal(config.runcmd[0], ['systemctl', 'enable', '--now', 'nftables'])
})

test('quirk: a user-data change reinstalls (disk wiped), a delete cancels the contract, a rename is harmless', () => {
  const reinstall = host.quirk({
    type: 'contabo_instance',
    action: 'update',
    changedAttributes: ['display_name', 'user_data'],
  })
  assert.match(reinstall ?? '', 'DESTRUCTIVE REINSTALL')
  assert.match(reinstall ?? '', 'because user_data changed')
  for (const action of ['delete', 'replace'] as const)
    assert.match(
      host.quirk({ type: 'contabo_instance', action, changedAttributes: [] }) ?? '',
      'cancels the contract',
    )
  assert.is(
    host.quirk({ type: 'contabo_instance', action: 'update', changedAttributes: ['display_name'] }),
    undefined,
  )
  assert.is(host.quirk({ type: 'contabo_secret', action: 'delete', changedAttributes: [] }), undefined)
})

test('dry-run placeholders: the image id placeholder is a UUID the stack accepts', () => {
  const image = contabo.credentials.find((c) => c.name === 'CNTB_IMAGE_ID')
  assert.match(image?.placeholder ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
})

test.run()
