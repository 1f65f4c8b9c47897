import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parse } from 'yaml'
import { renderCloudInit } from '../../lib/infra/cloud-init.ts'
import { InfraInputError } from '../../lib/infra/errors.ts'
import { generateHostKey } from '../../lib/infra/host-key.ts'
import { buildCloudInitSamples } from '../../lib/infra/samples.ts'
import { buildChildEnv, realProc } from '../../lib/proc.ts'
import { testUnless, whyNotRoot } from '../helpers/skip.ts'
import { HOST_KEY, OPERATOR_KEY } from './fixtures.ts'

const base = { hostKey: HOST_KEY, authorizedKeys: [OPERATOR_KEY], dockerInstall: 'distro' as const }

test('distro install renders exactly the expected cloud-config (containers kept from the metadata service)', () => {
  assert.is(
    renderCloudInit(base),
    `#cloud-config
ssh_pwauth: false
disable_root: true
ssh_deletekeys: true
ssh_keys:
  ed25519_private: |
    -----BEGIN OPENSSH PRIVATE KEY-----
    cGxhY2Vob2xkZXI=
    -----END OPENSSH PRIVATE KEY-----
  ed25519_public: ${HOST_KEY.publicKey}
users:
  - default
  - name: deploy
    shell: /bin/bash
    lock_passwd: true
    ssh_authorized_keys:
      - ${OPERATOR_KEY}
package_update: true
packages:
  - docker.io
  - nftables
write_files:
  - path: /etc/ssh/sshd_config.d/60-debug-cloud.conf
    permissions: "0644"
    content: |
      PasswordAuthentication no
      KbdInteractiveAuthentication no
      PermitRootLogin no
  - path: /etc/nftables.conf
    permissions: "0755"
    content: |
      #!/usr/sbin/nft -f
      # Managed by debug-cloud. Only table inet debug_cloud is replaced, so Docker's rules survive a reload.
      table inet debug_cloud
      delete table inet debug_cloud
      table inet debug_cloud {
        chain forward {
          type filter hook forward priority filter; policy accept;
          ip daddr 169.254.0.0/16 drop
        }
      }
runcmd:
  - - systemctl
    - enable
    - --now
    - nftables
  - - usermod
    - -aG
    - docker
    - deploy
  - - systemctl
    - enable
    - docker
  - - systemctl
    - restart
    - docker
  - - systemctl
    - reload-or-restart
    - ssh
`,
  )
})

test('docker-ce install adds Docker apt repository for the image distribution', () => {
  const config = parse(renderCloudInit({ ...base, dockerInstall: 'docker-ce', os: 'ubuntu' }))
  assert.equal(config.packages, ['docker-ce', 'docker-ce-cli', 'containerd.io', 'nftables'])
  assert.equal(config.apt.sources['docker.list'], {
    source: 'deb [arch=amd64 signed-by=$KEY_FILE] https://download.docker.com/linux/ubuntu $RELEASE stable',
    keyid: '9DC858229FC7DD38854AE2D88D81803C0EBFCD88',
  })
})

test('Docker listens on TCP only in TLS mode, and then with client verification', () => {
  for (const sample of buildCloudInitSamples(HOST_KEY, OPERATOR_KEY)) {
    const text = renderCloudInit(sample.input)
    const daemon = (parse(text).write_files as { path: string; content: string }[]).find(
      (f) => f.path === '/etc/docker/daemon.json',
    )
    if (sample.input.dockerTls === undefined) {
      assert.not.ok(daemon, sample.name)
      assert.not.match(text, /tcp:\/\//, sample.name)
    } else {
      const json = JSON.parse(daemon?.content ?? '{}')
      assert.equal(json.hosts, ['unix:///var/run/docker.sock', 'tcp://0.0.0.0:2376'])
      assert.is(json.tlsverify, true)
    }
  }
})

test('the host firewall allows SSH and app ports only from their ranges, and drops the rest', () => {
  const config = parse(
    renderCloudInit({
      ...base,
      hostFirewall: {
        sshSourceRanges: ['203.0.113.7/32', '2001:db8::/48'],
        appPorts: [{ port: 8080, protocol: 'udp', sourceRanges: ['198.51.100.0/24'] }],
      },
    }),
  )
  const rules =
    (config.write_files as { path: string; content: string }[]).find((f) => f.path === '/etc/nftables.conf')
      ?.content ?? ''
  assert.match(rules, 'policy drop;')
  assert.match(rules, 'ip saddr { 203.0.113.7/32 } tcp dport 22 accept')
  assert.match(rules, 'ip6 saddr { 2001:db8::/48 } tcp dport 22 accept')
  assert.match(rules, 'ip saddr { 198.51.100.0/24 } udp dport 8080 accept')
  // Docker's published ports are DNATed and forwarded: the forward chain filters them too.
  assert.match(
    rules,
    [
      '  chain forward {',
      '    type filter hook forward priority filter; policy drop;',
      '    ip daddr 169.254.0.0/16 drop',
      '    ct state established,related accept',
      '    ct state invalid drop',
      '    iifname "docker0" accept',
      '    iifname "br-*" accept',
      '    ip saddr { 198.51.100.0/24 } meta l4proto udp ct original proto-dst 8080 accept',
      '  }',
    ].join('\n'),
  )
  assert.not.match(rules, 'flush ruleset')
  assert.equal(config.runcmd[0], ['systemctl', 'enable', '--now', 'nftables'])
  assert.ok(config.packages.includes('nftables'))
})

const bad: [string, Parameters<typeof renderCloudInit>[0], string][] = [
  ['authorizedKeys', { ...base, authorizedKeys: [] }, 'authorizedKeys'],
  [
    'rsa host key',
    { ...base, hostKey: { ...HOST_KEY, publicKey: 'ssh-rsa AAAAB3 host' } },
    'hostKey.publicKey',
  ],
  ['root user', { ...base, user: 'root' }, 'user'],
  [
    'Docker port in firewall',
    {
      ...base,
      hostFirewall: {
        sshSourceRanges: ['10.0.0.0/8'],
        appPorts: [{ port: 2375, protocol: 'tcp', sourceRanges: ['10.0.0.0/8'] }],
      },
    },
    'firewall.appPorts[0].port',
  ],
  [
    'TLS port open to the world',
    {
      ...base,
      dockerTls: { caCert: '-----BEGIN C', serverCert: '-----BEGIN C', serverKey: '-----BEGIN K' },
      hostFirewall: { sshSourceRanges: ['10.0.0.0/8'], appPorts: [], dockerTlsSourceRanges: ['0.0.0.0/0'] },
    },
    'firewall.dockerTlsSourceRanges',
  ],
  [
    'TLS ranges without TLS',
    {
      ...base,
      hostFirewall: { sshSourceRanges: ['10.0.0.0/8'], appPorts: [], dockerTlsSourceRanges: ['10.0.0.0/8'] },
    },
    'firewall.dockerTlsSourceRanges',
  ],
  [
    'bad CIDR',
    { ...base, hostFirewall: { sshSourceRanges: ['10.0.0.0/33'], appPorts: [] } },
    'firewall.sshSourceRanges',
  ],
  [
    'TLS path instead of PEM',
    { ...base, dockerTls: { caCert: '/etc/ca.pem', serverCert: '-----BEGIN C', serverKey: '-----BEGIN K' } },
    'dockerTls.caCert',
  ],
]
for (const [name, input, field] of bad) {
  test(`refuses ${name} with an error naming ${field}`, () => {
    try {
      renderCloudInit(input)
      assert.unreachable('should have thrown')
    } catch (error) {
      assert.instance(error, InfraInputError)
      assert.is((error as InfraInputError).field, field)
      assert.ok((error as InfraInputError).hint)
    }
  })
}

test('every rendered variant passes Debian cloud-init schema validation', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'infra-cloud-init-'))
  try {
    const hostKey = generateHostKey()
    for (const sample of buildCloudInitSamples(hostKey, OPERATOR_KEY)) {
      const file = join(dir, `${sample.name}.yaml`)
      await writeFile(file, renderCloudInit(sample.input), { mode: 0o600 })
      const run = await realProc.run(['cloud-init', 'schema', '--config-file', file], {
        env: buildChildEnv(),
      })
      assert.is(run.exitCode, 0, `${sample.name}: ${run.stdout}${run.stderr}`)
    }
    const broken = join(dir, 'broken.yaml')
    await writeFile(broken, renderCloudInit(base).replace('ssh_pwauth: false', 'ssh_pwauth: {}'), {
      mode: 0o600,
    })
    const refused = await realProc.run(['cloud-init', 'schema', '--config-file', broken], {
      env: buildChildEnv(),
    })
    assert.is(refused.exitCode, 1, 'cloud-init schema must reject a broken document')
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

testUnless(test, whyNotRoot(), 'nft accepts the rendered table of every variant (check mode)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'infra-nft-'))
  try {
    for (const sample of buildCloudInitSamples(HOST_KEY, OPERATOR_KEY)) {
      const files = parse(renderCloudInit(sample.input)).write_files as { path: string; content: string }[]
      const file = join(dir, `${sample.name}.nft`)
      await writeFile(file, files.find((f) => f.path === '/etc/nftables.conf')?.content ?? '')
      const run = await realProc.run(['nft', '-c', '-f', file], { env: buildChildEnv() })
      assert.is(run.exitCode, 0, `${sample.name}: ${run.stderr}`)
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test.run()
