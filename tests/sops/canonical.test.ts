/**
 * The fast reader of the canonical layout (lib/sops/canonical.ts) against the full YAML parser: it
 * answers for what our encoder and the real sops write, agrees with the full parser wherever it answers
 * (varied documents, tricky scalars, comments, then thousands of hand-edit-like mutations), and leaves
 * everything outside the layout to the full parser. Our varied documents are also laid out byte for byte
 * as the real sops lays out the same plaintext.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as yaml from 'yaml'
import { readCanonicalYaml } from '../../lib/sops/canonical.ts'
import { encryptSopsYaml, SopsFloat } from '../../lib/sops/index.ts'
import { parseFullYaml } from '../../lib/sops/tree.ts'
import { mutate, randomDocument, seeded } from './documents.ts'
import { createLab, type Lab, maskRandom } from './helpers.ts'
import { buildSample } from './sample.ts'

let lab: Lab
test.before(async () => {
  lab = await createLab()
})
test.after(async () => {
  await lab.cleanup()
})

/** The full parser's reading, or the error it throws. */
function fullRead(text: string): { tree?: unknown; docs?: number; error?: unknown } {
  try {
    const docs = parseFullYaml(yaml, text, 'yaml')

    return { tree: docs[0], docs: docs.length }
  } catch (error) {
    return { error }
  }
}

/** Wherever the fast reader answers, the full parser reads one document and the same tree; it refuses what the full parser refuses. */
function assertAgrees(text: string, label: string): boolean {
  const fast = readCanonicalYaml(text)
  const full = fullRead(text)
  if (full.error !== undefined) {
    assert.is(fast, undefined, `${label}: the fast reader accepted what the full parser refuses`)
    return false
  }
  if (fast === undefined) return false
  assert.is(full.docs, 1, label)
  assert.equal(fast, full.tree, `${label}: the readers disagree on\n${text}`)
  return true
}

test('our encoder output goes through the fast reader and reads as the full parser reads it', async () => {
  const state = {
    schemaVersion: 2,
    stacks: Object.fromEntries(
      Array.from({ length: 20 }, (_, i) => [`stack-${i}`, { ...buildSample(), n: i }]),
    ),
  }
  for (const [label, data] of [
    ['the sample', buildSample()],
    ['a state-like document', state],
  ] as const) {
    const text = await encryptSopsYaml(data, { recipients: [lab.recipient] })
    assert.ok(assertAgrees(text, label), `${label}: the fast reader gave up on our own output`)
  }
})

test('varied documents (tricky scalars, nesting, empty collections): fast reader taken and in agreement', async () => {
  const rand = seeded(11)
  for (let i = 0; i < 150; i++) {
    const text = await encryptSopsYaml(randomDocument(rand), { recipients: [lab.recipient] })
    // Literal blocks with an indentation indicator (`|4`: text starting with a space or newline) are the full parser's.
    const inLayout = !/: \|\d|- \|\d/.test(text)
    assert.is(assertAgrees(text, `document ${i}`), inLayout, `document ${i}:\n${text}`)
  }
})

test('mutated documents: the fast reader agrees with the full parser or leaves the text to it', async () => {
  const rand = seeded(23)
  let answered = 0
  let total = 0
  for (let i = 0; i < 120; i++) {
    const text = await encryptSopsYaml(randomDocument(rand), { recipients: [lab.recipient] })
    for (let j = 0; j < 25; j++) {
      total++
      if (assertAgrees(mutate(text, rand), `document ${i}, mutation ${j}`)) answered++
    }
  }
  // Some mutations stay in the layout (a comment before a key, two swapped entries): those are answered too.
  assert.ok(answered > total / 20 && answered < total, `${answered} of ${total} mutated texts answered`)
})

test('texts outside the layout go to the full parser', () => {
  const outside = [
    'a: 1\n\nb: 2\n',
    'a: [1, 2]\n',
    'a: {b: 1}\n',
    'a: &x 1\nb: *x\n',
    'a: !!str 1\n',
    'a: 1 # inline\n',
    'a:\n  b: 1\n',
    'a:\n- 1\n',
    'a: ~\n',
    'a:\n',
    'a: x   \n',
    'a: 1\r\nb: 2\r\n',
    '\ufeffa: 1\n',
    '---\na: 1\n',
    'a: 1\n---\nb: 2\n',
    'a: >\n    folded\n',
    'a: |2\n      x\n',
    'a: "unterminated\n',
    'a: 1\n# trailing comment\n',
    'a: 1',
    'a: 1\na: 2\n',
    'a: plain\n    continued\n',
    'a: 12345678901234567890\n',
  ]
  for (const text of outside) {
    assert.is(readCanonicalYaml(text), undefined, JSON.stringify(text))
    assertAgrees(text, JSON.stringify(text))
  }
})

test('files the real sops writes (comments in maps and lists, plain comments) are read by the fast reader, in agreement', async () => {
  const source = [
    '# top comment',
    'name: hello',
    'list:',
    '    - a',
    '    # a comment in a list',
    '    - name: x',
    '      # before deep',
    '      deep: [y, 1]',
    'text: |',
    '    multi',
    '    line',
    'app_unencrypted:',
    '    # a plain comment',
    '    flag: true',
    '    when: "2024-01-01"',
    '',
  ].join('\n')
  const input = join(lab.dir, 'plain.yaml')
  await writeFile(input, source)
  const text = await lab.sopsOk(['-e', '--age', lab.recipient, input])
  assert.ok(assertAgrees(text, 'sops -e output'), 'the fast reader gave up on what sops wrote')
  const encrypted = join(lab.dir, 'theirs.yaml')
  await writeFile(encrypted, text)
  const decrypted = await lab.sopsOk(['-d', encrypted])
  // Plaintext comment lines inside a list are outside the layout (sops writes them encrypted, as items).
  assertAgrees(decrypted, 'sops -d output')
  const withoutListComment = decrypted.replace('    # a comment in a list\n', '')
  assert.is.not(withoutListComment, decrypted)
  assert.ok(assertAgrees(withoutListComment, 'sops -d output'), `gave up on go-yaml output:\n${decrypted}`)
})

test('varied documents are laid out byte for byte as the real sops lays out the same plaintext', async () => {
  const rand = seeded(5)
  const path = join(lab.dir, 'ours.yaml')
  const plainPath = join(lab.dir, 'ours.plain.yaml')
  for (let i = 0; i < 12; i++) {
    // Integral floats print as ints through `sops -d` (then re-encrypt as ints), so none here; and
    // go-yaml breaks single-quoted scalars at U+2028, which our emitter does not (a known difference).
    const doc = JSON.parse(
      JSON.stringify(randomDocument(rand), (_, v) =>
        v instanceof SopsFloat ? String(v.value) : typeof v === 'string' ? v.replaceAll('\u2028', '') : v,
      ),
    )
    const ours = await encryptSopsYaml(doc, { recipients: [lab.recipient] })
    await writeFile(path, ours)
    await writeFile(plainPath, await lab.sopsOk(['-d', path]))
    const theirs = await lab.sopsOk(['-e', '--age', lab.recipient, plainPath])
    assert.fixture(maskRandom(ours), maskRandom(theirs), `document ${i}`)
  }
})

test.run()
