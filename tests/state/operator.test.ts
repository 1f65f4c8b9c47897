import { spawnSync } from 'node:child_process'
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import YAML from 'yaml'
import { UsageError } from '../../lib/errors.ts'
import { SopsKeyFileUnsafeError } from '../../lib/sops/index.ts'
import { OperatorNotFoundError, StateSchemaError, StateUnsafeError } from '../../lib/state/errors.ts'
import {
  identityFilePath,
  openSealedKeys,
  readIdentityFile,
  readKeysFile,
  writeSealedKeys,
} from '../../lib/state/identity.ts'
import {
  openOperatorPaths,
  readProfile,
  resolveOperator,
  verifyOperatorDir,
  verifyRecipient,
  writeProfile,
} from '../../lib/state/operator.ts'
import { operatorPaths } from '../../lib/state/paths.ts'
import { sopsBinary } from '../../lib/tools/paths.ts'
import { makeTempEnv, rejection } from './env.ts'

const t = makeTempEnv()
test.after(() => t.cleanup())

/** A real age key pair from age-keygen. */
function keygen(): { identity: string; recipient: string } {
  const out = spawnSync('age-keygen', [], { encoding: 'utf8' })
  const identity = out.stdout.split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-1'))!
  const recipient = /public key: (age1\w+)/.exec(out.stderr + out.stdout)![1]!
  return { identity, recipient }
}

test('operator names with "/", "..", spaces or capitals are refused', () => {
  for (const bad of ['a/b', '..', '../x', 'al ice', 'Alice', '', '-a', 'a--b', 'x'.repeat(33)])
    assert.throws(
      () => operatorPaths(bad, t.env),
      (e: unknown) => e instanceof UsageError && /not allowed/.test(e.message),
    )
})

test('the identity file is where sops looks for it', () => {
  assert.is(identityFilePath({ HOME: '/h' }), '/h/.config/sops/age/keys.txt')
  assert.is(identityFilePath({ HOME: '/h', XDG_CONFIG_HOME: '/x' }), '/x/sops/age/keys.txt')
  assert.is(identityFilePath({ HOME: '/h', SOPS_AGE_KEY_FILE: '/k.txt' }), '/k.txt')
})

test('resolveOperator: flag, then env, then the only operator, else a clear error', async () => {
  const env = { ...t.env, DEBUG_CLOUD_SECRETS_DIR: join(t.dir, 'resolve') }
  const none = await rejection(resolveOperator({ env }))
  assert.instance(none, OperatorNotFoundError)
  assert.match((none as OperatorNotFoundError).hint ?? '', 'operator:init')
  const { recipient } = keygen()
  const profile = { id: 'alice', recipients: [recipient], recoveryRecipients: [], historyRetention: 20 }
  await writeProfile(operatorPaths('alice', env), profile)
  assert.is(await resolveOperator({ env }), 'alice')
  assert.is(await resolveOperator({ flag: 'carol', env }), 'carol')
  assert.is(await resolveOperator({ env: { ...env, DEBUG_CLOUD_OPERATOR: 'dave' } }), 'dave')
  await writeProfile(operatorPaths('bob', env), { ...profile, id: 'bob' })
  const several = await rejection(resolveOperator({ env }))
  assert.match(several.message, 'Several operators exist (alice, bob)')
  assert.instance(await rejection(resolveOperator({ flag: '../etc', env })), UsageError)
})

test('an operator directory that is a symlink leading outside the secrets tree is refused', async () => {
  const outside = join(t.dir, 'elsewhere')
  mkdirSync(outside)
  mkdirSync(join(t.secrets, 'operators'), { recursive: true })
  symlinkSync(outside, join(t.secrets, 'operators', 'mallory'))
  const error = await rejection(openOperatorPaths('mallory', t.env))
  assert.instance(error, StateUnsafeError)
  assert.is((error as StateUnsafeError).exitCode, 32)
  assert.match(error.message, `leads to ${outside}, outside`)
})

test('a symlink in place of the state, stacks/, audit.jsonl or .sops.yaml is refused', async () => {
  const { recipient } = keygen()
  const profile = { id: 'linked', recipients: [recipient], recoveryRecipients: [], historyRetention: 20 }
  await writeProfile(operatorPaths('linked', t.env), profile)
  const paths = operatorPaths('linked', t.env)
  const target = join(paths.dir, 'real-target')
  mkdirSync(target)
  for (const name of ['state.sops.yaml', 'stacks', 'audit.jsonl', '.sops.yaml']) {
    const path = join(paths.dir, name)
    const kept = join(paths.dir, `${name}.kept`)
    if (existsSync(path)) renameSync(path, kept)
    symlinkSync(target, path)
    const error = await rejection(openOperatorPaths('linked', t.env))
    assert.instance(error, StateUnsafeError, name)
    assert.is((error as StateUnsafeError).exitCode, 32)
    assert.is(error.message, `${path} is a symlink.`)
    rmSync(path)
    if (existsSync(kept)) renameSync(kept, path)
  }
  assert.is(await openOperatorPaths('linked', t.env).then((p) => p.dir), paths.dir)
})

test('an identity file readable by group or others is refused, as ssh does', async () => {
  const file = join(t.dir, 'loose.txt')
  writeFileSync(file, `${keygen().identity}\n`, { mode: 0o644 })
  chmodSync(file, 0o644)
  const error = await rejection(readIdentityFile(file))
  assert.instance(error, SopsKeyFileUnsafeError)
  assert.is((error as SopsKeyFileUnsafeError).exitCode, 77)
  assert.match(error.message, 'mode 644')
  assert.match((error as SopsKeyFileUnsafeError).hint ?? '', `chmod 600 ${file}`)
  const keysError = await rejection(readKeysFile(file))
  assert.instance(keysError, SopsKeyFileUnsafeError)
  assert.match(readFileSync(file, 'utf8'), /^AGE-SECRET-KEY-1\w+\n$/, 'the loose file was not touched')
})

test('a key file to import must hold exactly one identity', async () => {
  const file = join(t.dir, 'two.txt')
  writeFileSync(file, `${keygen().identity}\n${keygen().identity}\n`, { mode: 0o600 })
  assert.match((await rejection(readIdentityFile(file))).message, 'holds 2 age identities')
  const one = join(t.dir, 'one.txt')
  const key = keygen()
  writeFileSync(one, `# created: now\n# public key: ${key.recipient}\n${key.identity}\n`, { mode: 0o600 })
  assert.is(await readIdentityFile(one), key.identity)
})

test('a keys file sealed with a passphrase keeps every identity; only its passphrase opens it', async () => {
  const file = join(t.dir, 'keys', 'keys.txt')
  const first = keygen()
  const second = keygen()
  assert.equal(await readKeysFile(file), { kind: 'missing', path: file })
  await writeSealedKeys(file, [first.identity, second.identity, first.identity], 'a good long passphrase')
  assert.is(statSync(file).mode & 0o777, 0o600)
  const keys = await readKeysFile(file)
  assert.is(keys.kind, 'sealed')
  if (keys.kind !== 'sealed') return
  assert.match(readFileSync(file, 'utf8'), /^-----BEGIN AGE ENCRYPTED FILE-----/)
  assert.not.match(readFileSync(file, 'utf8'), 'AGE-SECRET-KEY')
  assert.equal(await openSealedKeys(keys.bytes, 'a good long passphrase', file), [
    first.identity,
    second.identity,
  ])
  assert.is(await openSealedKeys(keys.bytes, 'not the passphrase', file), undefined)
})

test('a state file that is a symlink, and a secrets tree outside the repository, are refused', async () => {
  const paths = operatorPaths('frank', t.env)
  mkdirSync(paths.dir, { recursive: true })
  symlinkSync(join(t.dir, 'somewhere.yaml'), paths.state)
  const linked = await rejection(openOperatorPaths('frank', t.env))
  assert.instance(linked, StateUnsafeError)
  assert.match(linked.message, `${paths.state} is a symlink`)
  // Without DEBUG_CLOUD_SECRETS_DIR the tree is the repository's secrets/: one leading outside is refused.
  const outside = await rejection(verifyOperatorDir({ ...operatorPaths('frank', {}), root: t.dir }, {}))
  assert.instance(outside, StateUnsafeError)
  assert.match(outside.message, `${t.dir} leads to ${t.dir}, outside the repository`)
  // Pointed there on purpose with DEBUG_CLOUD_SECRETS_DIR, the same tree is fine.
  await verifyOperatorDir(operatorPaths('erin', t.env), t.env)
})

test('a profile with a recipient that is not an age recipient is refused, naming it', async () => {
  const paths = operatorPaths('gina', t.env)
  await writeProfile(paths, {
    id: 'gina',
    recipients: [keygen().recipient],
    recoveryRecipients: [],
    historyRetention: 5,
  })
  writeFileSync(
    paths.profile,
    readFileSync(paths.profile, 'utf8').replace('recoveryRecipients: []', 'recoveryRecipients: [age1nope]'),
  )
  const error = await rejection(readProfile(paths))
  assert.instance(error, StateSchemaError)
  assert.match(error.message, 'recipient #2: expected an age1… recipient, got "age1nope"')
  assert.throws(
    () => verifyRecipient('age1nope', '--recovery-recipient'),
    (e: unknown) => e instanceof UsageError,
  )
})

test('.sops.yaml makes a plain `sops` run on a new file there encrypt to the profile recipients', async () => {
  const own = keygen()
  const recovery = keygen()
  const paths = operatorPaths('erin', t.env)
  const profile = {
    id: 'erin',
    recipients: [own.recipient],
    recoveryRecipients: [recovery.recipient],
    historyRetention: 5,
  }
  await writeProfile(paths, profile)
  writeFileSync(join(paths.dir, 'notes.yaml'), 'password: hunter2\n')
  const env = { PATH: process.env.PATH, HOME: t.env.HOME }
  const encrypted = spawnSync(sopsBinary(), ['--encrypt', '--in-place', 'notes.yaml'], {
    cwd: paths.dir,
    env,
    encoding: 'utf8',
  })
  assert.is(encrypted.status, 0, encrypted.stderr)
  const doc = YAML.parse(readFileSync(join(paths.dir, 'notes.yaml'), 'utf8'))
  assert.equal(
    doc.sops.age.map((a: { recipient: string }) => a.recipient).sort(),
    [own.recipient, recovery.recipient].sort(),
  )
  for (const key of [own, recovery]) {
    const keyFile = join(t.dir, `${key.recipient}.txt`)
    writeFileSync(keyFile, `${key.identity}\n`, { mode: 0o600 })
    const decrypted = spawnSync(sopsBinary(), ['--decrypt', join(paths.dir, 'notes.yaml')], {
      env: { ...env, SOPS_AGE_KEY_FILE: keyFile },
      encoding: 'utf8',
    })
    assert.is(decrypted.stdout, 'password: hunter2\n', decrypted.stderr)
  }
})

test.run()
