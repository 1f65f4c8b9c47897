import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parse } from 'yaml'
import { InfraInputError } from '../../lib/infra/errors.ts'
import { hetzner } from '../../lib/providers/hetzner.ts'
import { HOST_KEY, OPERATOR_KEY } from '../infra/fixtures.ts'
import { buildHostRequestFixture, HOST_USER_DATA } from './fixtures.ts'

const TOKEN = 'h'.repeat(64)
const host = hetzner.host
if (!host) throw new Error('hetzner has a host phase')

test('exact tfvars; the token and the user data only in the environment', () => {
  const inputs = host.buildInputs(buildHostRequestFixture({ HCLOUD_TOKEN: TOKEN }))
  assert.equal(inputs.tfvars, {
    name: 'lab',
    server_type: 'cx33',
    location: 'nbg1',
    operator_ssh_public_key: OPERATOR_KEY,
    host_key_fingerprint: HOST_KEY.fingerprint,
    ssh_source_ranges: ['203.0.113.7/32'],
    app_firewall_ports: [],
    labels: { 'managed-by': 'debug-cloud', stack: 'lab', env: 'qa' },
  })
  assert.equal(Object.keys(inputs.secretEnv), ['TF_VAR_hcloud_token', 'TF_VAR_user_data'])
  assert.is(inputs.secretEnv.TF_VAR_hcloud_token, TOKEN)
  const config = parse(inputs.secretEnv.TF_VAR_user_data ?? '')
  assert.is(config.ssh_pwauth, HOST_USER_DATA.ssh_pwauth)
  assert.equal(config.ssh_keys, HOST_USER_DATA.ssh_keys)
  assert.equal(config.users[1], HOST_USER_DATA.deployUser)
  assert.equal(config.packages, HOST_USER_DATA.packages)
  // The cloud firewall filters inbound traffic; the host's table only keeps containers from the metadata service.
  assert.equal(
    config.write_files.map((f: { path: string }) => f.path),
    ['/etc/ssh/sshd_config.d/60-debug-cloud.conf', '/etc/nftables.conf'],
  )
  const rules = config.write_files[1].content as string
  assert.match(
    rules,
    '    type filter hook forward priority filter; policy accept;\n    ip daddr 169.254.0.0/16 drop\n  }',
  )
  assert.not.match(rules, 'hook input')
  assert.equal(config.runcmd[0], ['systemctl', 'enable', '--now', 'nftables'])
  assert.not.match(JSON.stringify(inputs.tfvars), TOKEN)
})

test('no size or location: the HCL defaults apply (left out of the tfvars)', () => {
  const inputs = host.buildInputs({
    ...buildHostRequestFixture({ HCLOUD_TOKEN: TOKEN }),
    size: null,
    location: null,
  })
  assert.not.ok('server_type' in inputs.tfvars)
  assert.not.ok('location' in inputs.tfvars)
})

test('a bad SSH source range is refused before Terraform runs', () => {
  assert.throws(
    () =>
      host.buildInputs({
        ...buildHostRequestFixture({ HCLOUD_TOKEN: TOKEN }),
        sshSourceRanges: ['10.0.0.0/99'],
      }),
    (e: unknown) => e instanceof InfraInputError,
  )
})

test('quirk: a server replacement is flagged with the attributes that force it; other changes are not', () => {
  const replaced = host.quirk({ type: 'hcloud_server', action: 'replace', changedAttributes: ['user_data'] })
  assert.match(replaced ?? '', 'REPLACEMENT')
  assert.match(replaced ?? '', 'user_data')
  assert.is(host.quirk({ type: 'hcloud_server', action: 'update', changedAttributes: ['labels'] }), undefined)
  assert.is(
    host.quirk({ type: 'hcloud_firewall', action: 'replace', changedAttributes: ['rules'] }),
    undefined,
  )
})

test.run()
