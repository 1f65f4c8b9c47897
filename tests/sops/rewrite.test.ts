/** Re-encrypting with `previous`: unchanged values keep their ENC[...] strings, like `sops edit`. */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { decryptSops, encryptSopsYaml, generateAgeIdentity, SopsWrongKeyError } from '../../lib/sops/index.ts'
import { createLab, idsOf, type Lab } from './helpers.ts'
import { buildSample } from './sample.ts'

let lab: Lab
test.before(async () => {
  lab = await createLab()
})
test.after(async () => {
  await lab.cleanup()
})

function encLines(text: string): string[] {
  return text.split('\n').filter((line) => line.includes('ENC[') && !line.includes(' mac: '))
}

test('a rewrite keeps every unchanged ENC string, the data key and its age stanzas byte-identical', async () => {
  const first = await encryptSopsYaml(buildSample(), { recipients: [lab.recipient] })
  const previous = await decryptSops(first, idsOf(lab.identity))
  const changed = { ...previous.data, port: 9090 }
  const second = await encryptSopsYaml(changed, { recipients: [lab.recipient], previous })
  const before = encLines(first)
  const after = encLines(second)
  assert.is(after.length, before.length)
  const differing = after.filter((line, i) => line !== before[i])
  assert.equal(differing.length, 1)
  assert.match(differing[0] as string, /^port: ENC\[/)
  const stanza = (text: string) => text.slice(text.indexOf('    age:'), text.indexOf('    lastmodified:'))
  assert.is(stanza(second), stanza(first))
  const path = join(lab.dir, 'rewritten.yaml')
  await writeFile(path, second)
  assert.is(JSON.parse(await lab.sopsOk(['-d', '--output-type', 'json', path])).port, 9090)
})

test('an identical value under another key path gets a fresh ENC string (the AAD differs)', async () => {
  const first = await encryptSopsYaml({ a: 'same', b: 'x' }, { recipients: [lab.recipient] })
  const previous = await decryptSops(first, idsOf(lab.identity))
  const second = await encryptSopsYaml({ a: 'same', b: 'same' }, { recipients: [lab.recipient], previous })
  const [a1] = encLines(first)
  const [a2, b2] = encLines(second)
  assert.is(a2, a1)
  assert.is.not(b2?.slice(3), a2?.slice(3))
  assert.equal((await decryptSops(second, idsOf(lab.identity))).data, { a: 'same', b: 'same' })
})

test('changed recipients: a new data key, and a removed recipient can no longer read the file', async () => {
  const other = await generateAgeIdentity()
  const first = await encryptSopsYaml(buildSample(), { recipients: [lab.recipient, other.recipient] })
  const previous = await decryptSops(first, idsOf(other.identity))
  const second = await encryptSopsYaml(previous.data, { recipients: [lab.recipient], previous })
  const next = await decryptSops(second, idsOf(lab.identity))
  assert.not.equal(Buffer.from(next.dataKey), Buffer.from(previous.dataKey))
  assert.equal(
    encLines(second).filter((line) => encLines(first).includes(line)),
    [],
  )
  try {
    await decryptSops(second, idsOf(other.identity))
    assert.unreachable('a removed recipient decrypted the new file')
  } catch (error) {
    assert.instance(error, SopsWrongKeyError)
  }
})

test.run()
