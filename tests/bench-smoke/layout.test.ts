/** Pure builders of the bench: slot names and addresses, sshd and dockerd settings, cloud-init files. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  buildCloudInitFiles,
  buildDockerdArgv,
  buildHostLayout,
  buildKnownHosts,
  buildSshdConfig,
  parseSlot,
} from '../harness/layout.ts'

test('a slot gives the namespace, veth, addresses and directory', () => {
  const host = buildHostLayout(7)
  assert.equal(
    [host.netns, host.veth, host.address, host.gateway, host.dir, host.dockerSocket],
    [
      'dcbench7',
      'dcbv7',
      '10.213.7.2',
      '10.213.7.1',
      '/var/lib/debug-cloud-bench/hosts/dcbench7',
      '/var/lib/debug-cloud-bench/hosts/dcbench7/run/docker.sock',
    ],
  )
  assert.is(parseSlot('dcbench7'), 7)
  assert.is(parseSlot('dcbench0'), undefined)
  assert.is(parseSlot('dcbench251'), undefined)
  assert.is(parseSlot('docker0'), undefined)
})

test('sshd: key-only, no root, only deploy, the pinned host key, sessions reach the host dockerd', () => {
  const lines = buildSshdConfig(buildHostLayout(3)).trim().split('\n')
  for (const line of [
    'ListenAddress 10.213.3.2:22',
    'HostKey /var/lib/debug-cloud-bench/hosts/dcbench3/ssh/ssh_host_ed25519_key',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin no',
    'AllowUsers deploy',
    'SetEnv DOCKER_HOST=unix:///run/docker.sock',
  ])
    assert.ok(lines.includes(line), `sshd_config lacks ${line}`)
  assert.is(buildKnownHosts('10.213.3.2', 'ssh-ed25519 AAAAkey'), '10.213.3.2 ssh-ed25519 AAAAkey\n')
})

test('dockerd gets its own data root, exec root, pidfile, socket and cgroup parent', () => {
  const argv = buildDockerdArgv(buildHostLayout(2))
  const flag = (name: string) => argv[argv.indexOf(name) + 1]
  assert.is(flag('--data-root'), '/var/lib/debug-cloud-bench/hosts/dcbench2/docker')
  assert.is(flag('--exec-root'), '/run/docker')
  assert.is(flag('--pidfile'), '/run/docker.pid')
  assert.is(flag('--host'), 'unix:///run/docker.sock')
  assert.is(flag('--cgroup-parent'), '/dcbench2')
})

test('cloud-init files: done has result.json and no running stage; running has neither', () => {
  const done = buildCloudInitFiles('done', 1000)
  const running = buildCloudInitFiles('running', 1000)
  assert.ok(done['result.json'])
  assert.is(running['result.json'], undefined)
  const stage = (files: Record<string, string | undefined>) =>
    (JSON.parse(files['status.json'] ?? '{}') as { v1: { stage: string | null } }).v1.stage
  assert.is(stage(done), null)
  assert.is(stage(running), 'modules-final')
})

test.run()
