/** Both directions against the real pinned sops: files we write, and files sops writes or edits. */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { decryptSops, encryptSopsYaml, generateAgeIdentity, SopsFloat } from '../../lib/sops/index.ts'
import { createLab, idsOf, type Lab, maskRandom } from './helpers.ts'
import { buildSample } from './sample.ts'

let lab: Lab
test.before(async () => {
  lab = await createLab()
})
test.after(async () => {
  await lab.cleanup()
})

function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value))
}

async function writeOurs(name: string, data = buildSample()): Promise<string> {
  const path = join(lab.dir, name)
  await writeFile(path, await encryptSopsYaml(data, { recipients: [lab.recipient] }), { mode: 0o600 })
  return path
}

async function readBack(path: string, identity = lab.identity) {
  return decryptSops(await readFile(path, 'utf8'), idsOf(identity))
}

test('a file we write: sops -d returns the same data', async () => {
  const path = await writeOurs('ours.yaml')
  const json = await lab.sopsOk(['-d', '--output-type', 'json', path])
  assert.equal(JSON.parse(json), plain(buildSample()))
})

test('a file we write is laid out byte for byte as sops lays out the same plaintext', async () => {
  // Without an integral float: `sops -d` prints 3.0 as `3`, which sops then re-encrypts as an int.
  const { whole: _, ...data } = buildSample()
  const path = await writeOurs('layout.yaml', data)
  const plainPath = join(lab.dir, 'layout.plain.yaml')
  await writeFile(plainPath, await lab.sopsOk(['-d', path]))
  const theirs = await lab.sopsOk(['-e', '--age', lab.recipient, plainPath])
  assert.fixture(maskRandom(await readFile(path, 'utf8')), maskRandom(theirs))
})

test('a file sops writes (maps, lists, numbers, multi-line, unicode, comments, _unencrypted): we read identical data', async () => {
  const source = [
    '# top comment',
    'name: hello # inline',
    'port: 0755',
    'hex: 0x1f',
    'ratio: 1.5',
    'whole: 3.0',
    'big: 1e3',
    'on: true',
    'y: yes',
    'empty: ""',
    'nothing:',
    'when: 2024-01-01',
    'list:',
    '    - a',
    '    # a comment in a list',
    '    - 2',
    '    - name: x',
    '      deep: [y, 1]',
    'text: |',
    '    multi',
    '    line ✓ 日本',
    'app_unencrypted:',
    '    # a plain comment',
    '    flag: true',
    '    n: 0o10',
    '    list: [1, "2", three]',
    '',
  ].join('\n')
  const input = join(lab.dir, 'theirs.plain.yaml')
  await writeFile(input, source)
  const enc = join(lab.dir, 'theirs.yaml')
  await writeFile(enc, await lab.sopsOk(['-e', '--age', lab.recipient, input]))
  assert.match(await readFile(enc, 'utf8'), /- ENC\[AES256_GCM,[^\]]*type:comment\]/)
  const ours = await readBack(enc)
  const sopsJson = JSON.parse(await lab.sopsOk(['-d', '--output-type', 'json', enc]))
  assert.equal(plain(ours.data), sopsJson)
  assert.is(ours.version, '3.12.2')
})

test('JSON written by sops (every number a float): we read identical data', async () => {
  const input = join(lab.dir, 'p.json')
  await writeFile(
    input,
    '{"b":1,"2024":1.5,"c":true,"n":null,"s":"x ✓","e":"","l":[1,"y",{"z":false}],"m_unencrypted":{"x":3}}',
  )
  const enc = join(lab.dir, 'theirs.json')
  await writeFile(enc, await lab.sopsOk(['-e', '--age', lab.recipient, input]))
  const ours = await readBack(enc)
  assert.is(ours.format, 'json')
  assert.equal(plain(ours.data), JSON.parse(await lab.sopsOk(['-d', enc])))
})

test('mac_only_encrypted files written by sops: we read them, and a hand edit of a plain value still verifies', async () => {
  await writeFile(
    join(lab.dir, '.sops.yaml'),
    `creation_rules:\n  - mac_only_encrypted: true\n    age: ${lab.recipient}\n`,
  )
  const input = join(lab.dir, 'mo.plain.yaml')
  await writeFile(input, 'secret: s\nport_unencrypted: 1\n')
  const enc = join(lab.dir, 'mo.yaml')
  await writeFile(enc, await lab.sopsOk(['-e', input]))
  const text = await readFile(enc, 'utf8')
  assert.match(text, /mac_only_encrypted: true/)
  await writeFile(enc, text.replace('port_unencrypted: 1', 'port_unencrypted: 2'))
  const ours = await readBack(enc)
  assert.equal(plain(ours.data), { secret: 's', port_unencrypted: 2 })
  await writeFile(join(lab.dir, '.sops.yaml'), 'creation_rules: []\n')
})

test('sops edit with a scripted $EDITOR changes a value and adds comments in a map and a list; we read it', async () => {
  const path = await writeOurs('edit.yaml')
  const editor = join(lab.dir, 'editor.mjs')
  await writeFile(
    editor,
    [
      "import { readFileSync, writeFileSync } from 'node:fs'",
      'const file = process.argv[2]',
      "let text = readFileSync(file, 'utf8')",
      "text = text.replace(/^name: .*$/m, 'name: edited')",
      "text = text.replace(/^list:$/m, '# a comment in the map\\nlist:\\n    # a comment in the list')",
      'writeFileSync(file, text)',
      '',
    ].join('\n'),
  )
  await lab.sopsOk(['edit', path], { EDITOR: `${process.execPath} ${editor}` })
  const text = await readFile(path, 'utf8')
  assert.match(text, /^#ENC\[AES256_GCM,[^\]]*type:comment\]$/m)
  assert.match(text, /^ {4}- ENC\[AES256_GCM,[^\]]*type:comment\]$/m)
  const ours = await readBack(path)
  assert.equal(plain(ours.data), { ...(plain(buildSample()) as object), name: 'edited' })

  // Our rewrite of the edited file keeps both comments byte-identical; sops shows them again.
  const comments = (t: string) => t.split('\n').filter((line) => line.includes('type:comment'))
  const rewritten = await encryptSopsYaml(
    { ...ours.data, port: 1 },
    { recipients: [lab.recipient], previous: ours },
  )
  assert.equal(comments(rewritten), comments(text))
  await writeFile(path, rewritten)
  assert.match(
    await lab.sopsOk(['-d', path]),
    /^# a comment in the map\nlist:\n {4}# a comment in the list\n {4}- a$/m,
  )
})

test('sops set and sops unset: we read each result', async () => {
  const path = await writeOurs('set.yaml')
  await lab.sopsOk(['set', path, '["port"]', '9090'])
  const port = (await readBack(path)).data.port
  // sops set parses the value as JSON, so the number is stored as a float.
  assert.instance(port, SopsFloat)
  assert.is((port as SopsFloat).value, 9090)
  await lab.sopsOk(['unset', path, '["ratio"]'])
  const after = await readBack(path)
  assert.not.ok('ratio' in after.data)
  assert.equal(plain(after.data.port), 9090)
})

test('sops updatekeys after a .sops.yaml change: the new recipient reads the file with our codec', async () => {
  const path = await writeOurs('update.yaml')
  const second = await generateAgeIdentity()
  await writeFile(
    join(lab.dir, '.sops.yaml'),
    `creation_rules:\n  - age: ${lab.recipient},${second.recipient}\n`,
  )
  await lab.sopsOk(['updatekeys', '-y', path])
  const byNew = await readBack(path, second.identity)
  assert.equal(byNew.recipients, [lab.recipient, second.recipient])
  assert.equal(plain(byNew.data), plain(buildSample()))
  await writeFile(join(lab.dir, '.sops.yaml'), 'creation_rules: []\n')
})

test('sops rotate: a new data key, and we read the result', async () => {
  const path = await writeOurs('rotate.yaml')
  const before = await readBack(path)
  await lab.sopsOk(['rotate', '-i', path])
  const after = await readBack(path)
  assert.not.equal(Buffer.from(after.dataKey), Buffer.from(before.dataKey))
  assert.equal(plain(after.data), plain(buildSample()))
})

test.run()
