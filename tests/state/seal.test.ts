/**
 * The seal binds the state to the operator's identity (lib/state/seal.ts). Each attack of a same-uid process
 * that has the operator's files but not its identity is tried for real on the files, and must be refused with a
 * reason, nothing written: a recipient slipped into profile.yaml or .sops.yaml, a forged state encrypted to the
 * public recipient, an older version put back in place of the newest, a seal stripped off.
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import YAML from 'yaml'
import { plaintextKeyring } from '../../lib/gate/keyring.ts'
import { encryptSopsYaml, generateAgeIdentity } from '../../lib/sops/index.ts'
import { StateSealError } from '../../lib/state/errors.ts'
import { listHistory } from '../../lib/state/history.ts'
import { buildSopsConfig } from '../../lib/state/operator.ts'
import { serializeState } from '../../lib/state/schema.ts'
import { canonicalJson, createSeal } from '../../lib/state/seal.ts'
import { StateStore } from '../../lib/state/store.ts'
import { createPlaintextOperator, openTestStore } from '../helpers/operator.ts'
import { makeTempEnv, rejection } from './env.ts'
import { buildSampleStack, buildSampleState } from './sample.ts'

test('canonical JSON, what the seal covers: keys sorted at every level, lists in order, nothing else changed', () => {
  const value = { b: [3, { z: null, a: 'é"\n' }, [undefined]], a: { y: true, x: 1.5 }, ä: {}, '': [] }
  assert.is(
    canonicalJson(value),
    '{"":[],"a":{"x":1.5,"y":true},"b":[3,{"a":"é\\"\\n","z":null},[null]],"ä":{}}',
  )
  assert.equal(JSON.parse(canonicalJson(value)), JSON.parse(JSON.stringify(value)))
})

const t = makeTempEnv()
test.after(() => t.cleanup())
const alice = await createPlaintextOperator('alice', t.env)
const store = () => openTestStore('alice', t.env)

async function addStack(name: string): Promise<void> {
  await (await store()).update((doc) => {
    doc.stacks[name] = buildSampleStack(name)
    return doc
  })
}

/** Reading refuses with `problem`, and a write attempt leaves every byte of the state as it was. */
async function expectRefused(problem: StateSealError['problem']): Promise<void> {
  const s = await store()
  const before = readFileSync(s.paths.state, 'utf8')
  const error = await rejection(s.read())
  assert.instance(error, StateSealError, error.message)
  assert.is((error as StateSealError).problem, problem, error.message)
  assert.is((error as StateSealError).exitCode, 33)
  await rejection(s.update((doc) => doc))
  assert.is(readFileSync(s.paths.state, 'utf8'), before, 'nothing was written')
}

/** Run `attack` on a copy of the good files, check it is refused, and put the good files back. */
async function attacked(files: string[], attack: () => Promise<void>, problem: StateSealError['problem']) {
  const saved = files.map((f) => [f, readFileSync(f)] as const)
  try {
    await attack()
    await expectRefused(problem)
  } finally {
    for (const [f, bytes] of saved) writeFileSync(f, bytes)
  }
}

await addStack('lab')
await addStack('spare')
const paths = (await store()).paths

test('a sealed state reads; each write is the next version, chained to the one before', async () => {
  const s = await store()
  const loaded = await s.read()
  assert.is(loaded.seal?.by, alice.recipient)
  const [newest] = await listHistory(s.paths.history)
  const previous = await s.readStateFile(newest?.file ?? '')
  assert.is(loaded.seal?.version, (previous.seal?.version ?? 0) + 1)
  assert.is(loaded.seal?.previous, previous.seal?.mac)
})

test('a recipient slipped into profile.yaml is refused: no later write would be readable by it', async () => {
  const intruder = await generateAgeIdentity()
  await attacked(
    [paths.profile],
    async () => {
      const profile = YAML.parse(readFileSync(paths.profile, 'utf8'))
      writeFileSync(paths.profile, YAML.stringify({ ...profile, recoveryRecipients: [intruder.recipient] }))
    },
    'recipients',
  )
})

test('a recipient slipped into .sops.yaml (what a plain sops run there encrypts to) is refused', async () => {
  const intruder = await generateAgeIdentity()
  await attacked(
    [paths.sopsConfig],
    async () => {
      const profile = { ...alice.profile, recipients: [alice.recipient, intruder.recipient] }
      writeFileSync(paths.sopsConfig, buildSopsConfig(profile))
    },
    'sops-config',
  )
})

test('a forged state encrypted to the public recipient is refused, with or without a seal of its own', async () => {
  const forged = buildSampleState('alice', 1, 0)
  forged.stacks['stack-0']!.address = '203.0.113.66'
  const content = serializeState(forged)
  // Without a seal: the sops MAC passes (anyone can encrypt to a public key), the missing seal does not.
  await attacked(
    [paths.state],
    async () => writeFileSync(paths.state, await encryptSopsYaml(content, { recipients: [alice.recipient] })),
    'missing',
  )
  // With a seal made by the attacker's own identity, claiming to be alice's recipient.
  const attacker = await generateAgeIdentity()
  const keyring = await plaintextKeyring({ identities: [attacker.identity], sealedFiles: [], searched: [] })
  const seal = await createSeal(keyring, 'alice', content, {
    by: attacker.recipient,
    version: 1000,
    previous: null,
    recipients: [alice.recipient],
    accepts: null,
  })
  const claimed = { ...seal, by: alice.recipient }
  await attacked(
    [paths.state],
    async () =>
      writeFileSync(
        paths.state,
        await encryptSopsYaml(
          { ...content, seal: JSON.stringify(claimed) },
          { recipients: [alice.recipient] },
        ),
      ),
    'mismatch',
  )
})

test('an older version put back in place of the newest (a history entry swapped in) is refused', async () => {
  const [newest] = await listHistory(paths.history)
  await attacked([paths.state], async () => copyFileSync(newest?.file ?? '', paths.state), 'rolled-back')
})

test('state verify names a history chain with a version swapped out', async () => {
  await addStack('third')
  await addStack('fourth')
  const s = await store()
  const entries = await listHistory(s.paths.history)
  assert.ok(entries.length >= 3)
  assert.ok((await s.verifyAll()).every((r) => r.ok))
  const [first, second, third] = entries
  const kept = readFileSync(second?.file ?? '')
  // Entry 2 replaced by an older copy (entry 3): each file alone verifies, the chain does not.
  writeFileSync(second?.file ?? '', readFileSync(third?.file ?? ''))
  try {
    const broken = (await s.verifyAll()).filter((r) => !r.ok)
    assert.equal(
      broken.map((r) => r.file),
      [first?.file, second?.file],
    )
    assert.match(broken[0]?.error ?? '', 'a version between them is missing or was swapped')
  } finally {
    writeFileSync(second?.file ?? '', kept)
  }
})

test('a reseal accepts exactly the file it replaced: that history entry verifies, a different one in its place does not', async () => {
  const s = await store()
  const current = await s.readStateFile(s.paths.state)
  const handEdit = async (address: string) => {
    const data = structuredClone(current.decrypted?.data ?? {}) as {
      stacks: Record<string, { address: string }>
    }
    ;(data.stacks.lab as { address: string }).address = address
    return encryptSopsYaml(data, { recipients: s.recipients })
  }
  writeFileSync(s.paths.state, await handEdit('203.0.113.7'))
  await expectRefused('mismatch')
  await s.reseal()
  const after = await s.verifyAll()
  const accepted = after.filter((r) => r.acceptedBy === s.paths.state)
  assert.is(accepted.length, 1)
  assert.ok(after.every((r) => r.ok))
  const entry = accepted[0]?.file ?? ''
  writeFileSync(entry, await handEdit('203.0.113.8'))
  const broken = (await s.verifyAll()).filter((r) => !r.ok)
  assert.equal(
    broken.map((r) => r.file),
    [entry],
  )
  assert.match(broken[0]?.error ?? '', 'its content or seal changed')
})

/** A schema-2 state (from before sealing) of `operator`, written in place of its state. */
async function writeStateFromBefore(s: StateStore, operator: string): Promise<Record<string, unknown>> {
  const v2 = { ...serializeState(buildSampleState(operator, 1, 0)), schemaVersion: 2 } as Record<
    string,
    unknown
  >
  delete v2.credentials
  for (const stack of Object.values(v2.stacks as Record<string, Record<string, unknown>>)) delete stack.ports
  writeFileSync(s.paths.state, await encryptSopsYaml(v2, { recipients: s.recipients }), { mode: 0o600 })
  return v2
}

test('a state from before sealing is refused when a sealed identity opens it, until a person reseals it', async () => {
  const env = makeTempEnv()
  try {
    const carol = await createPlaintextOperator('carol', env.env)
    const plain = await openTestStore('carol', env.env)
    await writeStateFromBefore(plain, 'carol')
    // The same identity as a sealed keys file gives it (the passphrase typed): not the plaintext migration path.
    const keyring = await plaintextKeyring(
      { identities: [carol.identity], sealedFiles: [], searched: [] },
      'passphrase',
    )
    const sealedOpen = StateStore.open('carol', plain.paths, carol.profile, keyring, 'test')
    const error = await rejection(sealedOpen.read())
    assert.is((error as StateSealError).problem, 'unsealed', error.message)
    assert.match(error.message, 'your identity is sealed')
    await sealedOpen.reseal()
    assert.is((await sealedOpen.read()).seal?.version, 1)
  } finally {
    env.cleanup()
  }
})

test('a state from before sealing (schema 2, no seal) is read, and its first write seals it', async () => {
  const env = makeTempEnv()
  try {
    await createPlaintextOperator('bob', env.env)
    const bob = await openTestStore('bob', env.env)
    const v2 = await writeStateFromBefore(bob, 'bob')
    const read = await bob.read()
    assert.is(read.seal, null)
    await bob.update((doc) => doc)
    assert.is((await bob.read()).seal?.version, 1)
    // From now on an unsealed file in its place is refused.
    const sealed = readFileSync(bob.paths.state)
    writeFileSync(bob.paths.state, await encryptSopsYaml(v2, { recipients: bob.recipients }))
    const error = await rejection(bob.read())
    assert.is((error as StateSealError).problem, 'missing')
    writeFileSync(bob.paths.state, sealed)
  } finally {
    env.cleanup()
  }
})

test.run()
