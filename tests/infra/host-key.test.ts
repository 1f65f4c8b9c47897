/**
 * Host keys made in memory: OpenSSH's own tools agree with every part of the key (public line, fingerprint,
 * private key file), a real sshd serves it and a real ssh client pinned to it logs in, and making one writes
 * no file at all (traced with strace while a key is generated).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { buildKnownHostsLine, generateHostKey } from '../../lib/infra/host-key.ts'
import { buildChildEnv, realProc } from '../../lib/proc.ts'
import { testUnless, whyNotRoot } from '../helpers/skip.ts'

const env = buildChildEnv({ PATH: '/usr/sbin:/usr/bin:/sbin:/bin' })
let dir: string

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'host-key-test-'))
})

test.after(async () => {
  await rm(dir, { recursive: true, force: true })
})

test('ssh-keygen agrees with the fingerprint and derives the same public key from the private key', async () => {
  const key = generateHostKey('unit-test')
  assert.match(key.privateKey, /^-----BEGIN OPENSSH PRIVATE KEY-----\n/)
  assert.match(key.publicKey, /^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]{43} unit-test$/)
  const listed = await realProc.run(['ssh-keygen', '-l', '-E', 'sha256', '-f', '-'], {
    env,
    input: `${key.publicKey}\n`,
  })
  assert.is(listed.stdout.trim(), `256 ${key.fingerprint} unit-test (ED25519)`)
  const file = join(dir, 'unit-test_key')
  await writeFile(file, key.privateKey, { mode: 0o600 })
  const derived = await realProc.run(['ssh-keygen', '-y', '-f', file], { env })
  assert.is(derived.exitCode, 0, derived.stderr)
  assert.is(derived.stdout.trim(), key.publicKey)
  assert.is.not(generateHostKey().publicKey, generateHostKey().publicKey, 'every key is fresh')
})

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

testUnless(test, whyNotRoot(), 'a real sshd serves the key and a client pinned to it logs in', async () => {
  const host = generateHostKey('sshd-test-host')
  const client = generateHostKey('sshd-test-client')
  const [hostFile, clientFile] = [join(dir, 'ssh_host_ed25519_key'), join(dir, 'client_key')]
  await writeFile(hostFile, host.privateKey, { mode: 0o600 })
  await writeFile(clientFile, client.privateKey, { mode: 0o600 })
  await writeFile(join(dir, 'authorized_keys'), `${client.publicKey}\n`, { mode: 0o600 })
  const port = await freePort()
  await writeFile(join(dir, 'known_hosts'), `${buildKnownHostsLine('127.0.0.1', port, host.publicKey)}\n`)
  const config = [
    `ListenAddress 127.0.0.1:${port}`,
    `HostKey ${hostFile}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'PidFile none',
    'UsePAM no',
    'StrictModes no',
    'PasswordAuthentication no',
    'PermitRootLogin prohibit-password',
  ]
  await writeFile(join(dir, 'sshd_config'), `${config.join('\n')}\n`)
  // sshd needs its privilege-separation directory /run/sshd: a private /run in a private mount namespace.
  const sshd = realProc.start(
    [
      'unshare',
      '--mount',
      '--propagation',
      'private',
      '--',
      'sh',
      '-c',
      `mount -t tmpfs tmpfs /run && mkdir /run/sshd && exec /usr/sbin/sshd -D -e -f ${join(dir, 'sshd_config')}`,
    ],
    { env },
  )
  const logged: string[] = []
  sshd.onStderr((line) => logged.push(line))
  try {
    const ssh = [
      'ssh',
      '-F',
      '/dev/null',
      '-p',
      String(port),
      '-i',
      clientFile,
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      `UserKnownHostsFile=${join(dir, 'known_hosts')}`,
      '-o',
      'GlobalKnownHostsFile=/dev/null',
      '-o',
      'BatchMode=yes',
      '-o',
      'ConnectTimeout=5',
      '127.0.0.1',
      'echo pinned-login-ok',
    ]
    let done = await realProc.run(ssh, { env })
    for (let attempt = 0; attempt < 50 && /Connection refused/.test(done.stderr); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      done = await realProc.run(ssh, { env })
    }
    assert.is(done.exitCode, 0, `${done.stderr}\nsshd: ${logged.join('\n')}`)
    assert.is(done.stdout.trim(), 'pinned-login-ok')
  } finally {
    sshd.kill('SIGTERM')
    await sshd.done
  }
})

/** A node process that generates one key on SIGUSR2 and reports the key's public half. */
const GENERATOR = `
import { generateHostKey } from ${JSON.stringify(join(import.meta.dirname, '..', '..', 'lib', 'infra', 'host-key.ts'))}
setInterval(() => undefined, 1000)
process.stdout.write('ready\\n')
process.once('SIGUSR2', () => {
  const key = generateHostKey('traced')
  process.stdout.write(key.publicKey + '\\n')
  setTimeout(() => process.exit(0), 200)
})
`

testUnless(test, whyNotRoot(), 'generating a host key creates, writes and renames no file', async () => {
  // lib/proc starts children detached and unreferenced: while the test only waits on them, this timer keeps it alive.
  const keepAlive = setInterval(() => undefined, 1000)
  const script = join(dir, 'generate.mts')
  await writeFile(script, GENERATOR)
  const generator = realProc.start([process.execPath, '--import', 'tsx', script], {
    env,
    cwd: join(import.meta.dirname, '..', '..'),
  })
  const lines = generator.lines()[Symbol.asyncIterator]()
  assert.is((await lines.next()).value, 'ready')
  const log = join(dir, 'strace.log')
  // -f with -p attaches every thread of the process; file-creating calls only.
  const calls =
    'open,openat,openat2,creat,mkdir,mkdirat,rename,renameat,renameat2,link,linkat,symlink,symlinkat'
  const tracer = realProc.start(
    ['strace', '-f', '-e', `trace=${calls}`, '-o', log, '-p', String(generator.pid)],
    {
      env,
    },
  )
  await new Promise<void>((resolve) => tracer.onStderr((line) => /attached/.test(line) && resolve()))
  await new Promise((resolve) => setTimeout(resolve, 300))
  process.kill(generator.pid!, 'SIGUSR2')
  const publicKey = (await lines.next()).value as string
  assert.match(publicKey, /^ssh-ed25519 \S+ traced$/)
  await generator.done
  await tracer.done
  const trace = await readFile(log, 'utf8')
  const writes = trace
    .split('\n')
    .filter((line) => /O_WRONLY|O_RDWR|O_CREAT|mkdir|rename|link\(|linkat|symlink/.test(line))
  clearInterval(keepAlive)
  assert.equal(writes, [], 'no file was created or written while the key was generated')
})

test('known_hosts lines pin the key without its comment, bracketing non-22 ports', () => {
  const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIabc host-comment'
  assert.is(
    buildKnownHostsLine('203.0.113.7', 22, key),
    '203.0.113.7 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIabc',
  )
  assert.is(
    buildKnownHostsLine('10.213.1.2', 2222, key),
    '[10.213.1.2]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIabc',
  )
})

test.run()
