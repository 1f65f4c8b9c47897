/**
 * Plain YAML files (profile.yaml, .sops.yaml): what we write is read back by the fast reader, to the same values
 * the `yaml` package reads; any other layout (a hand edit) is read by the `yaml` package.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import YAML from 'yaml'
import { readCanonicalYaml } from '../../lib/sops/canonical.ts'
import { parsePlainYaml, stringifyPlainYaml } from '../../lib/sops/plain-yaml.ts'
import { buildSopsConfig } from '../../lib/state/operator.ts'

const recipient = `age1${'q'.repeat(58)}`
const profile = {
  id: 'alice',
  recipients: [recipient, `age1${'p'.repeat(58)}`],
  recoveryRecipients: [],
  historyRetention: 20,
}

test('a profile is written in the fast reader’s layout and reads back as written, as the yaml package reads it', async () => {
  const text = stringifyPlainYaml(profile)
  assert.ok(readCanonicalYaml(text), `fast reader refused:\n${text}`)
  assert.equal(await parsePlainYaml(text), profile)
  assert.equal(YAML.parse(text), profile)
})

test('.sops.yaml keeps its header comment and reads back through the fast reader', async () => {
  const text = buildSopsConfig({ ...profile, recoveryRecipients: [recipient] })
  assert.match(text, /^# Written by debug-cloud: /)
  assert.ok(readCanonicalYaml(text), `fast reader refused:\n${text}`)
  const expected = { creation_rules: [{ age: `${recipient},age1${'p'.repeat(58)}` }] }
  assert.equal(await parsePlainYaml(text), expected)
  assert.equal(YAML.parse(text), expected)
})

test('other layouts (two-space indents, flow style, anchors) are read by the yaml package', async () => {
  for (const text of [
    YAML.stringify(profile),
    `id: alice\nrecipients: [${recipient}]\nrecoveryRecipients: []\nhistoryRetention: 20\n`,
    `base: &r ${recipient}\nrecipients:\n  - *r\n`,
  ]) {
    assert.is(readCanonicalYaml(text), undefined, `not our layout:\n${text}`)
    assert.equal(await parsePlainYaml(text), YAML.parse(text))
  }
})

test('a __proto__ key is an own key of the result, never its prototype', async () => {
  const own = JSON.parse('{"__proto__": "x", "id": "a"}') as { [key: string]: string }
  const text = stringifyPlainYaml(own)
  assert.ok(readCanonicalYaml(text), 'read by the fast reader')
  const parsed = (await parsePlainYaml(text)) as object
  assert.is(Object.getPrototypeOf(parsed), Object.prototype)
  assert.equal(Object.keys(parsed), ['__proto__', 'id'])
})

test.run()
