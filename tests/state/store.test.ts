import { spawnSync } from 'node:child_process'
import {
  chmodSync,
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import { basename, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import YAML from 'yaml'
import { CliError } from '../../lib/errors.ts'
import { identityKeyring } from '../../lib/gate/keyring.ts'
import {
  LockHeldError,
  StateConflictError,
  StateSchemaError,
  StateSealError,
} from '../../lib/state/errors.ts'
import { listHistory, stageHistory } from '../../lib/state/history.ts'
import { writeProfile } from '../../lib/state/operator.ts'
import { rotateKey } from '../../lib/state/rotate.ts'
import type { StateStore } from '../../lib/state/store.ts'
import { sopsBinary } from '../../lib/tools/paths.ts'
import {
  createPlaintextOperator,
  fixedPassphrases,
  openSealedTestStore,
  openTestStore,
} from '../helpers/operator.ts'
import { makeTempEnv, rejection } from './env.ts'
import { buildSampleStack } from './sample.ts'

const t = makeTempEnv()
test.after(() => t.cleanup())

const alice = await createPlaintextOperator('alice', t.env)
const store = () => openTestStore('alice', t.env)
/** Alice's store, but with only the age keys that `keyEnv` points at. */
const storeWithKeys = (keyEnv: NodeJS.ProcessEnv) =>
  openTestStore('alice', { DEBUG_CLOUD_SECRETS_DIR: t.secrets, HOME: join(t.dir, 'empty-home'), ...keyEnv })

/** Run the real sops with the temp HOME/XDG_CONFIG_HOME (so it finds the operator's key). */
function sops(args: string[], extra: NodeJS.ProcessEnv = {}) {
  const env = { PATH: process.env.PATH, HOME: t.env.HOME, XDG_CONFIG_HOME: t.env.XDG_CONFIG_HOME, ...extra }
  return spawnSync(sopsBinary(), args, { env, encoding: 'utf8' })
}

async function addStack(name: string): Promise<void> {
  await (await store()).update((doc) => {
    doc.stacks[name] = buildSampleStack(name)
    return doc
  })
}

/** Assert that reading the state fails with `exitCode` and that a write attempt leaves the bytes alone. */
async function expectUnreadable(exitCode: number, pattern: string | RegExp): Promise<void> {
  const s = await store()
  const before = readFileSync(s.paths.state, 'utf8')
  const error = await rejection(s.read())
  assert.instance(error, CliError)
  assert.is((error as CliError).exitCode, exitCode, error.message)
  assert.match(error.message, s.paths.state)
  assert.match(error.message, pattern)
  await rejection(s.update((doc) => doc))
  assert.is(readFileSync(s.paths.state, 'utf8'), before, 'the file is left exactly as it was')
}

/** Write `text` as the state file for one check, then put `good` back. */
async function withStateText(text: string, check: () => Promise<void>): Promise<void> {
  const path = (await store()).paths.state
  const good = readFileSync(path, 'utf8')
  writeFileSync(path, text, { mode: 0o600 })
  try {
    await check()
  } finally {
    writeFileSync(path, good, { mode: 0o600 })
  }
}

test('a write round-trips, is 0600, and the real sops decrypts it to the same data', async () => {
  await addStack('lab')
  const s = await store()
  const { doc } = await s.read()
  assert.equal(doc.stacks.lab, buildSampleStack('lab'))
  assert.is(statSync(s.paths.state).mode & 0o777, 0o600)
  const out = sops(['--decrypt', '--output-type', 'json', s.paths.state])
  assert.is(out.status, 0, out.stderr)
  // The file is the document plus its seal (lib/state/seal.ts), which sops shows as one more value.
  const { seal, ...stored } = JSON.parse(out.stdout)
  assert.equal(stored, doc)
  assert.match(seal, `"by":"${alice.recipient}"`)
  const recipients = YAML.parse(readFileSync(s.paths.state, 'utf8')).sops.age.map(
    (a: { recipient: string }) => a.recipient,
  )
  assert.equal(recipients, alice.profile.recipients, 'encrypted to the operator only')
})

test('a hand edit with the real `sops set` is refused until resealed, then picked up and validated', async () => {
  const s = await store()
  const set = sops(['set', s.paths.state, '["stacks"]["lab"]["status"]', '"failed"'])
  assert.is(set.status, 0, set.stderr)
  const refused = await rejection(s.read())
  assert.instance(refused, StateSealError)
  assert.is((refused as CliError).exitCode, 33)
  assert.match((refused as CliError).hint ?? '', 'npm run state -- reseal')
  await s.reseal()
  assert.is((await s.read()).doc.stacks.lab?.status, 'failed')
  const bad = sops(['set', s.paths.state, '["stacks"]["lab"]["provider"]', '"aws"'])
  assert.is(bad.status, 0, bad.stderr)
  const error = await rejection(s.reseal())
  assert.instance(error, StateSchemaError)
  assert.match(error.message, 'stacks.lab.provider: expected one of hetzner, contabo, local, got "aws"')
  sops(['set', s.paths.state, '["stacks"]["lab"]["provider"]', '"local"'])
  await s.reseal()
})

test('a hand edit with the real `sops edit` is kept: refused until resealed, then read', async () => {
  const s = await store()
  const editor = join(t.dir, 'edit.sh')
  writeFileSync(editor, '#!/bin/sh\nsed -i "s/^\\(\\s*env:\\).*/\\1 staging/" "$1"\n', { mode: 0o755 })
  const out = sops(['edit', s.paths.state], { EDITOR: editor })
  assert.is(out.status, 0, out.stderr)
  assert.is(((await rejection(s.read())) as StateSealError).problem, 'mismatch')
  await s.reseal()
  assert.is((await s.read()).doc.stacks.lab?.env, 'staging')
})

test('a write onto a file that changed on disk since it was read is refused', async () => {
  const s = await store()
  const basis = await s.read()
  sops(['set', s.paths.state, '["stacks"]["lab"]["image"]', '"hand-edited:1"'])
  const edited = readFileSync(s.paths.state, 'utf8')
  await s.withLock(async () => {
    const error = await rejection(s.write(basis.doc, basis))
    assert.instance(error, StateConflictError)
    assert.is((error as CliError).exitCode, 30)
    assert.match(error.message, 'changed on disk since it was read')
  })
  assert.is(readFileSync(s.paths.state, 'utf8'), edited)
  await s.reseal()
  assert.is((await s.read()).doc.stacks.lab?.image, 'hand-edited:1')
})

test('an update that changes nothing does not rewrite the file or add a history entry', async () => {
  const s = await store()
  const before = readFileSync(s.paths.state, 'utf8')
  const entries = (await listHistory(s.paths.history)).length
  await s.update((doc) => doc)
  assert.is(readFileSync(s.paths.state, 'utf8'), before)
  assert.is((await listHistory(s.paths.history)).length, entries)
})

test('history keeps the previous versions up to the retention, and restore brings one back', async () => {
  const s = await store()
  await writeProfile(s.paths, { ...s.profile, historyRetention: 3 })
  for (const name of ['h1', 'h2', 'h3', 'h4']) await addStack(name)
  const entries = await listHistory(s.paths.history)
  assert.is(entries.length, 3)
  // When each was replaced comes from its name, not its file (a link keeps the time it was written).
  utimesSync(entries[0]!.file, new Date('2001-01-01'), new Date('2001-01-01'))
  const [newest] = await listHistory(s.paths.history)
  assert.ok(Math.abs(Date.parse(newest!.savedAt) - Date.now()) < 60_000, newest!.savedAt)
  assert.equal(
    entries.map((e) => e.n),
    [1, 2, 3],
  )
  const s2 = await store()
  const older = await s2.readStateFile(entries[1]!.file)
  assert.equal(Object.keys(older.doc.stacks), ['lab', 'h1', 'h2'])
  await s2.restore(2)
  assert.equal(Object.keys((await s2.read()).doc.stacks), ['lab', 'h1', 'h2'])
  const after = await listHistory(s.paths.history)
  assert.is(after.length, 3)
  assert.equal(Object.keys((await s2.readStateFile(after[0]!.file)).doc.stacks), [
    'lab',
    'h1',
    'h2',
    'h3',
    'h4',
  ])
  assert.match((await rejection(s2.restore(9))).message, 'no history entry 9')
})

test('a history entry keeps its bytes when the state file is then rewritten in place, as sops does', async () => {
  const s = await store()
  const before = readFileSync(s.paths.state, 'utf8')
  await addStack('in-place')
  const [entry] = await listHistory(s.paths.history)
  assert.is(readFileSync(entry!.file, 'utf8'), before)
  // `sops edit` and `sops -e -i` truncate and rewrite the file they were given: the entry must not share it.
  assert.is.not(statSync(entry!.file).ino, statSync(s.paths.state).ino)
  const current = readFileSync(s.paths.state, 'utf8')
  writeFileSync(s.paths.state, 'rewritten in place\n')
  assert.is(readFileSync(entry!.file, 'utf8'), before)
  writeFileSync(s.paths.state, current)
})

test('where the state file cannot be linked, or has other links, its pending entry is a copy of its text', async () => {
  const history = join(t.dir, 'copy-history')
  const missing = { history, state: join(t.dir, 'no-such-state.sops.yaml') }
  const pending = await stageHistory(missing, 'kept\n', 7)
  assert.match(pending, /\/\.pending-000001-r7-[0-9TZ.-]+\.sops\.yaml$/)
  assert.is(readFileSync(pending, 'utf8'), 'kept\n')
  assert.is(statSync(pending).mode & 0o777, 0o600)
  const linked = { history, state: join(t.dir, 'linked-state.sops.yaml') }
  writeFileSync(linked.state, 'linked\n', { mode: 0o600 })
  linkSync(linked.state, join(t.dir, 'another-name.sops.yaml'))
  const copy = await stageHistory(linked, 'linked\n', 8)
  assert.is(readFileSync(copy, 'utf8'), 'linked\n')
  assert.is.not(statSync(copy).ino, statSync(linked.state).ino)
})

/** The history entries' names, pending ones included. */
const historyNames = (s: StateStore) => readdirSync(s.paths.history).sort()

test('a write cut short leaves a pending entry that reads do not count; the next command to take the lock settles it', async () => {
  const s = await store()
  const { seal } = await s.read()
  const names = historyNames(s)
  const stamp = new Date().toISOString().replaceAll(':', '-')
  // Killed before the rename: the pending entry is the state itself, and goes.
  const unreplaced = join(s.paths.history, `.pending-999998-r${seal!.version + 1}-${stamp}.sops.yaml`)
  linkSync(s.paths.state, unreplaced)
  assert.equal((await s.read()).seal, seal, 'not refused as rolled back')
  assert.ok((await s.verifyAll()).every((r) => r.ok))
  await s.withLock(async () => undefined)
  assert.equal(historyNames(s), names)
  // Killed after the rename, before the entry was named: the entry is the version the state replaced, and stays.
  await addStack('cut-short')
  const [newest] = await listHistory(s.paths.history)
  const pending = join(s.paths.history, `.pending-${basename(newest!.file)}`)
  renameSync(newest!.file, pending)
  assert.is((await s.read()).seal?.version, seal!.version + 1)
  await s.withLock(async () => undefined)
  assert.not.ok(existsSync(pending))
  assert.is((await listHistory(s.paths.history))[0]!.file, newest!.file)
  assert.ok((await s.verifyAll()).every((r) => r.ok))
})

test('an older version put back as a hard link to its history entry is refused as rolled back', async () => {
  const s = await store()
  const current = readFileSync(s.paths.state, 'utf8')
  const [newest] = await listHistory(s.paths.history)
  rmSync(s.paths.state)
  linkSync(newest!.file, s.paths.state)
  try {
    const error = await rejection(s.read())
    assert.is((error as CliError).exitCode, 33, error.message)
    assert.match(error.message, 'already replaced an older one')
    assert.ok(existsSync(newest!.file))
  } finally {
    rmSync(s.paths.state)
    writeFileSync(s.paths.state, current, { mode: 0o600 })
  }
})

test("a second operator's key cannot read the first operator's state", async () => {
  const bobEnv = { ...t.env, XDG_CONFIG_HOME: join(t.dir, 'bob-config') }
  await createPlaintextOperator('bob', bobEnv)
  const s = await store()
  const error = await rejection((await storeWithKeys({ XDG_CONFIG_HOME: bobEnv.XDG_CONFIG_HOME })).read())
  assert.instance(error, CliError)
  assert.is((error as CliError).exitCode, 22)
  assert.match(error.message, alice.profile.recipients[0]!)
  assert.is(sops(['--decrypt', s.paths.state], { XDG_CONFIG_HOME: bobEnv.XDG_CONFIG_HOME }).status, 128)
})

test('bad files are each a clear error, and the file stays intact', async () => {
  const s = await store()
  const good = readFileSync(s.paths.state, 'utf8')
  await withStateText(`${good.slice(0, good.length / 2)}`, () => expectUnreadable(20, /./))
  await withStateText(`${good}\n  - ]: [broken`, () => expectUnreadable(20, /./))
  await withStateText(YAML.stringify((await s.read()).doc), () => expectUnreadable(20, /sops/i))
  await withStateText(good.replace(/version: .*$/m, 'version: 2.0.0'), () =>
    expectUnreadable(26, 'sops 2.0.0'),
  )
  // The MAC of a version written in another second: lastmodified, the MAC's AAD, has whole seconds, so the
  // MAC of a version written in the same second would decrypt here (and be reported as a changed structure).
  await sleep(1000 - (Date.now() % 1000))
  await addStack('next-second')
  const next = readFileSync(s.paths.state, 'utf8')
  const otherMac = good.match(/mac: .*$/m)![0]
  await withStateText(next.replace(/mac: .*$/m, otherMac), () => expectUnreadable(24, /MAC/))
})

test('a missing or wrong key says where keys were looked for / who can read the file', async () => {
  const s = await store()
  const none = await rejection((await storeWithKeys({})).read())
  assert.is((none as CliError).exitCode, 21)
  assert.match(none.message, join(t.dir, 'empty-home', '.config', 'sops', 'age', 'keys.txt'))
  assert.ok(existsSync(s.paths.state))
})

test('an identity file readable by others is refused before anything is read', async () => {
  chmodSync(t.keysFile, 0o644)
  try {
    const error = await rejection(store())
    assert.is((error as CliError).exitCode, 77)
    assert.match(error.message, t.keysFile)
  } finally {
    chmodSync(t.keysFile, 0o600)
  }
})

test('update takes over a stale lock and names a live holder', async () => {
  const s = await store()
  mkdirSync(s.paths.lock)
  const dead = spawnSync(process.execPath, [
    '-e',
    'process.stdout.write(String(process.pid))',
  ]).stdout.toString()
  const holder = {
    pid: Number(dead),
    host: (await import('node:os')).hostname(),
    command: 'crashed',
    startedAt: 'x',
  }
  writeFileSync(join(s.paths.lock, 'holder.json'), JSON.stringify(holder))
  await addStack('after-stale')
  const release = await (await import('../../lib/state/lock.ts')).acquireLock(s.paths.lock, {
    ...holder,
    pid: process.pid,
    command: 'cloud:up --stack lab',
  })
  try {
    const error = await rejection(addStack('blocked'))
    assert.instance(error, LockHeldError)
    assert.match(error.message, `pid ${process.pid}`)
    assert.match(error.message, 'cloud:up --stack lab')
  } finally {
    await release()
  }
})

test('rotate-key re-encrypts state and history; the old identity no longer decrypts any of them', async () => {
  const s = await store()
  const oldKeys = join(t.dir, 'old-keys.txt')
  copyFileSync(t.keysFile, oldKeys)
  chmodSync(oldKeys, 0o600)
  const before = (await s.read()).doc
  const passphrase = 'rotation test passphrase'
  const result = await rotateKey(s, fixedPassphrases(passphrase), identityKeyring, t.env)
  assert.is.not(result.newRecipient, alice.profile.recipients[0])
  // The plaintext keys file is sealed on the way; both identities are in it.
  const rotated = await openSealedTestStore('alice', t.env, passphrase)
  assert.equal(rotated.profile.recipients, [result.newRecipient])
  assert.equal((await rotated.read()).doc, before)
  const files = await rotated.allFiles()
  assert.is(files.length, result.files.length)
  const old = await storeWithKeys({ SOPS_AGE_KEY_FILE: oldKeys })
  for (const file of files) {
    assert.not.match(readFileSync(file, 'utf8'), alice.profile.recipients[0]!)
    const error = await rejection(old.decryptFile(file))
    assert.is((error as CliError).exitCode, 22, `${file}: ${error.message}`)
    await rotated.readStateFile(file)
  }
  assert.match(readFileSync(rotated.paths.sopsConfig, 'utf8'), result.newRecipient)
})

test.run()
