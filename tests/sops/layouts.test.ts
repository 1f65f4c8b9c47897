/** The three `sops:` layouts (3.7-3.9, 3.10-3.12, 3.13+) read alike; unsupported features are refused by name. */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { decryptSops, encryptSopsYaml, SopsUnsupportedError } from '../../lib/sops/index.ts'
import { createLab, idsOf, type Lab } from './helpers.ts'

let lab: Lab
let ours: string
const data = { user: 'ada', port: 22, tags: ['a', 'b'] }
test.before(async () => {
  lab = await createLab()
  ours = await encryptSopsYaml(data, { recipients: [lab.recipient] })
})
test.after(async () => {
  await lab.cleanup()
})

function metadataLines(text: string): { body: string; fields: Record<string, string> } {
  const at = text.indexOf('sops:\n')
  const fields: Record<string, string> = {}
  let current = ''
  for (const line of text.slice(at + 6).split('\n')) {
    if (/^ {4}\S/.test(line)) current = line.trim().split(':')[0] as string
    if (current) fields[current] = `${fields[current] ?? ''}${line}\n`
  }
  return { body: text.slice(0, at), fields }
}

/** sops 3.13 sorts every metadata map alphabetically, `enc` before `recipient` inside age entries too. */
function toLayout313(text: string): string {
  const { body, fields } = metadataLines(text)
  const age = (fields.age as string).replace(
    /- (recipient: \S+)\n( {10}enc: \|\n(?: {12}.*\n)+)/,
    (_, recipient, enc) => `- ${enc.trimStart()}          ${recipient}\n`,
  )
  const sorted = Object.keys(fields)
    .sort()
    .map((k) => (k === 'age' ? age : fields[k]))
  return `${body}sops:\n${sorted.join('')}`
}

/** sops 3.7-3.9 wrote every key list, empty ones as `[]`, and pgp after mac. */
function toLayout37(text: string): string {
  const { body, fields } = metadataLines(text)
  const empty = (name: string) => `    ${name}: []\n`
  const order = [
    empty('kms'),
    empty('gcp_kms'),
    empty('azure_kv'),
    empty('hc_vault'),
    fields.age,
    fields.lastmodified,
    fields.mac,
    empty('pgp'),
    fields.unencrypted_suffix,
    '    version: 3.7.3\n',
  ]
  return `${body}sops:\n${order.join('')}`
}

for (const [name, transform] of [
  ['3.13 (alphabetical)', toLayout313],
  ['3.7-3.9 (empty key lists)', toLayout37],
] as const) {
  test(`the ${name} metadata layout: we and the real sops both read it`, async () => {
    const text = transform(ours)
    assert.is.not(text, ours)
    assert.match(text, name.startsWith('3.13') ? /- enc: \|\n[\s\S]* {10}recipient: age1/ : /kms: \[\]/)
    assert.equal((await decryptSops(text, idsOf(lab.identity))).data, data)
    const path = join(lab.dir, 'layout.yaml')
    await writeFile(path, text)
    assert.equal(JSON.parse(await lab.sopsOk(['-d', '--output-type', 'json', path])), data)
  })
}

async function expectUnsupported(text: string, message: RegExp): Promise<void> {
  try {
    await decryptSops(text, idsOf(lab.identity))
    assert.unreachable('accepted an unsupported file')
  } catch (error) {
    assert.instance(error, SopsUnsupportedError)
    assert.match((error as Error).message, message)
  }
}

test('a file from sops 2.x is refused as unsupported', async () => {
  await expectUnsupported(ours.replace('version: 3.12.2', 'version: 2.0.9'), /sops 2\.0\.9/)
})

test('Shamir key groups are refused as unsupported', async () => {
  const groups = ours.replace(
    / {4}age:\n/,
    '    shamir_threshold: 2\n    key_groups:\n        - age: []\n        - age: []\n    age:\n',
  )
  await expectUnsupported(groups, /key groups/)
})

test('comment-regex encryption rules are refused as unsupported', async () => {
  await expectUnsupported(
    ours.replace('    unencrypted_suffix: _unencrypted\n', '    encrypted_comment_regex: sops\n'),
    /comment_regex/,
  )
})

test('multi-document YAML is refused as unsupported', async () => {
  await expectUnsupported(`${ours}---\n${ours}`, /Multi-document/)
})

test.run()
