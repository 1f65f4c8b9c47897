/** The tunnel's ssh argv: the pinned host key options, the preferred ciphers, the forwards (pure builder). */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { buildTunnelArgs } from '../../lib/ssh/tunnel.ts'

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

test.run()
