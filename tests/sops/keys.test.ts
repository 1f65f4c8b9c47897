/** Finding age identities where sops looks, in sops's order, refusing identity files others can read. */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ExitCode } from '../../lib/errors.ts'
import { encodeOpenSshEd25519PrivateKey } from '../../lib/infra/openssh-key.ts'
import { realProc } from '../../lib/proc.ts'
import {
  findAgeIdentities,
  generateAgeIdentity,
  recipientOf,
  SopsKeyFileInvalidError,
  SopsKeyFileUnsafeError,
} from '../../lib/sops/index.ts'
import { splitCommandLine } from '../../lib/sops/keys.ts'
import { createLab, type Lab } from './helpers.ts'

let lab: Lab
test.before(async () => {
  lab = await createLab()
})
test.after(async () => {
  await lab.cleanup()
})

/** A private key file in the lab, 0600 unless told otherwise. */
async function keyFile(name: string, text: string, mode = 0o600): Promise<string> {
  const path = join(lab.dir, name)
  await mkdir(join(path, '..'), { recursive: true })
  await writeFile(path, text)
  await chmod(path, mode)
  return path
}

test('generateAgeIdentity and recipientOf agree, and the identity is X25519', async () => {
  const { identity, recipient } = await generateAgeIdentity()
  assert.match(identity, /^AGE-SECRET-KEY-1[0-9A-Z]{58}$/)
  assert.match(recipient, /^age1[0-9a-z]{58}$/)
  assert.is(await recipientOf(identity), recipient)
})

test('nothing configured: no identities, and every place sops looks is listed', async () => {
  const found = await findAgeIdentities({ HOME: join(lab.dir, 'empty-home'), PATH: '/usr/bin:/bin' })
  assert.equal(found.identities, [])
  assert.equal(
    found.searched.map((s) => s.replace(lab.dir, '<lab>')),
    [
      'SOPS_AGE_SSH_PRIVATE_KEY_FILE (not set)',
      'SSH key <lab>/empty-home/.ssh/id_ed25519 (missing)',
      'SSH key <lab>/empty-home/.ssh/id_rsa (missing)',
      'SOPS_AGE_KEY (not set)',
      'SOPS_AGE_KEY_FILE (not set)',
      'SOPS_AGE_KEY_CMD (not set)',
      'default key file <lab>/empty-home/.config/sops/age/keys.txt (missing)',
    ],
  )
})

test('every source at once, in sops order: SSH key, SOPS_AGE_KEY, _FILE, _CMD, keys.txt under XDG_CONFIG_HOME', async () => {
  const home = join(lab.dir, 'home')
  const ssh = join(home, '.ssh', 'id_ed25519')
  await mkdir(join(home, '.ssh'), { recursive: true })
  const keygen = await realProc.run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', ssh], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
  })
  assert.is(keygen.exitCode, 0, keygen.stderr)
  const [a, b, c, d] = await Promise.all([1, 2, 3, 4].map(() => generateAgeIdentity()))
  const file = await keyFile('file.txt', `# created: now\n# public key: x\n\n${b?.identity}\n`)
  const cmdFile = await keyFile('cmd.txt', `${c?.identity}\n`)
  await keyFile('xdg/sops/age/keys.txt', `${d?.identity}\n`)
  const found = await findAgeIdentities({
    HOME: home,
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    SOPS_AGE_KEY: a?.identity,
    SOPS_AGE_KEY_FILE: file,
    SOPS_AGE_KEY_CMD: `cat '${cmdFile}'`,
    XDG_CONFIG_HOME: join(lab.dir, 'xdg'),
  })
  assert.is(found.identities.length, 5)
  assert.equal(found.identities.slice(1), [a?.identity, b?.identity, c?.identity, d?.identity])
  assert.match(found.searched.join('\n'), /id_ed25519 \(1 identity, converted like ssh-to-age\)/)
})

test('an SSH ed25519 key converts to the pinned age identity and recipient (RFC 8032 TEST 1, like ssh-to-age)', async () => {
  const vector = JSON.parse(
    await readFile(join(import.meta.dirname, '..', 'fixtures', 'ssh-age', 'rfc8032-test1.json'), 'utf8'),
  ) as { seed: string; publicKey: string; ageIdentity: string; ageRecipient: string }
  const ssh = await keyFile(
    'vector/id_ed25519',
    encodeOpenSshEd25519PrivateKey(
      Buffer.from(vector.seed, 'hex'),
      Buffer.from(vector.publicKey, 'hex'),
      'test-vector',
    ),
  )
  const found = await findAgeIdentities({ HOME: join(lab.dir, 'vector'), SOPS_AGE_SSH_PRIVATE_KEY_FILE: ssh })
  assert.equal(found.identities, [vector.ageIdentity])
  assert.is(await recipientOf(vector.ageIdentity), vector.ageRecipient)
})

test('an identity file readable by group or others is refused, like ssh does', async () => {
  const { identity } = await generateAgeIdentity()
  for (const mode of [0o644, 0o640, 0o604]) {
    const path = await keyFile(`open-${mode.toString(8)}.txt`, `${identity}\n`, mode)
    try {
      await findAgeIdentities({ HOME: lab.dir, SOPS_AGE_KEY_FILE: path })
      assert.unreachable(`accepted mode ${mode.toString(8)}`)
    } catch (error) {
      assert.instance(error, SopsKeyFileUnsafeError)
      assert.is((error as SopsKeyFileUnsafeError).exitCode, ExitCode.permission)
      assert.match((error as Error).message, new RegExp(path))
    }
  }
})

test('an unsafe default ~/.ssh key is skipped and reported; a named one is refused', async () => {
  const home = join(lab.dir, 'open-home')
  const ssh = await keyFile('open-home/.ssh/id_rsa', 'not even a key\n', 0o644)
  const found = await findAgeIdentities({ HOME: home })
  assert.match(found.searched.join('\n'), /id_rsa \(accessible by group or others: skipped/)
  try {
    await findAgeIdentities({ HOME: home, SOPS_AGE_SSH_PRIVATE_KEY_FILE: ssh })
    assert.unreachable('accepted an unsafe named SSH key')
  } catch (error) {
    assert.instance(error, SopsKeyFileUnsafeError)
  }
})

test('a key file holding something else is refused with the line number', async () => {
  const path = await keyFile('bad.txt', '# comment\nAGE-SECRET-KEY-1NOTAKEY\n')
  try {
    await findAgeIdentities({ HOME: lab.dir, SOPS_AGE_KEY_FILE: path })
    assert.unreachable('accepted a bad key file')
  } catch (error) {
    assert.instance(error, SopsKeyFileInvalidError)
    assert.match((error as Error).message, /line 2/)
  }
})

test('SOPS_AGE_KEY_CMD is split like google/shlex, never run through a shell', () => {
  assert.equal(splitCommandLine(`pass show 'age key' "x\\"y" a\\ b`), [
    'pass',
    'show',
    'age key',
    'x"y',
    'a b',
  ])
  assert.equal(splitCommandLine('cat $HOME/k; rm -rf /'), ['cat', '$HOME/k;', 'rm', '-rf', '/'])
  assert.throws(
    () => splitCommandLine("cat 'open"),
    (error: unknown) => error instanceof SopsKeyFileInvalidError,
  )
})

test('a failing SOPS_AGE_KEY_CMD is an error that names the command', async () => {
  try {
    await findAgeIdentities({
      HOME: lab.dir,
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      SOPS_AGE_KEY_CMD: 'false',
    })
    assert.unreachable('accepted a failing command')
  } catch (error) {
    assert.instance(error, SopsKeyFileInvalidError)
    assert.match((error as Error).message, /`false` exited with 1/)
  }
})

test.run()
