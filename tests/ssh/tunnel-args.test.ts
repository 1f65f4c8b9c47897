/** The tunnel's ssh argv: the pinned host key options, the preferred ciphers, the forwards; the TCP_NODELAY session (pure builders). */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { buildNoDelayArgs, buildTunnelArgs } from '../../lib/ssh/tunnel.ts'

const target = {
  host: '203.0.113.7',
  port: 22,
  user: 'deploy',
  identityFile: '/keys/id_ed25519',
  knownHostsFile: '/state/known_hosts',
}

test('a tunnel pins the host key, prefers AES-GCM with chacha20 as the fallback, and forwards on loopback', () => {
  assert.equal(
    buildTunnelArgs(target, [{ localPort: 18080, remote: { host: '127.0.0.1', port: 8080 } }], '/run/c.sock'),
    // biome-ignore format: option/value pairs read better side by side
    [
      'ssh', '-F', '/dev/null',
      '-o', 'BatchMode=yes',
      '-o', 'StrictHostKeyChecking=yes',
      '-o', 'UserKnownHostsFile=/state/known_hosts',
      '-o', 'GlobalKnownHostsFile=/dev/null',
      '-o', 'IdentitiesOnly=yes',
      '-o', 'PasswordAuthentication=no',
      '-o', 'KbdInteractiveAuthentication=no',
      '-o', 'ConnectTimeout=5',
      '-o', 'ServerAliveInterval=15',
      '-i', '/keys/id_ed25519',
      '-N',
      '-o', 'ExitOnForwardFailure=yes',
      '-o', 'Ciphers=aes128-gcm@openssh.com,aes256-gcm@openssh.com,chacha20-poly1305@openssh.com',
      '-o', 'ControlMaster=yes',
      '-o', 'ControlPath=/run/c.sock',
      '-L', '127.0.0.1:18080:127.0.0.1:8080',
      '-p', '22', '-l', 'deploy', '--', '203.0.113.7',
    ],
  )
})

test('the TCP_NODELAY session reads nothing, never starts a master, and runs `true` on the same pinned target', () => {
  const argv = buildNoDelayArgs(target, '/run/c.sock')
  const command = argv.indexOf('--')
  assert.equal(argv.slice(command), ['--', '203.0.113.7', 'true'])
  assert.ok(argv.includes('-n'), 'stdin from /dev/null: a forced command that reads cannot hold the tunnel')
  assert.ok(argv.join(' ').includes('-o ControlMaster=no -o ControlPath=/run/c.sock'))
  assert.ok(argv.join(' ').includes('-o StrictHostKeyChecking=yes -o UserKnownHostsFile=/state/known_hosts'))
})

test.run()
