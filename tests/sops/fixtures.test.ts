import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { decryptSops, SopsUnsupportedError } from '../../lib/sops/index.ts'
import { FIXTURES, idsOf } from './helpers.ts'

/** Fixture directory → its published age key file. */
const KEYS: Record<string, string> = {
  rops: 'age-key.txt',
  'sops-age': 'key.txt',
  'sops-secrets-operator': 'key-file.txt',
}

function identitiesIn(dir: string): string[] {
  const text = readFileSync(join(FIXTURES, dir, KEYS[dir] as string), 'utf8')
  return text.split('\n').filter((line) => line.startsWith('AGE-SECRET-KEY-'))
}

/** The data keys the independent research implementation recovered (MANIFEST.txt: `path|key|…|datakey=hex`). */
const recordedDataKeys = new Map(
  [
    ...readFileSync(join(FIXTURES, 'MANIFEST.txt'), 'utf8').matchAll(
      /^([^|\s]+)\|[^\n]*datakey=([0-9a-f]{64})$/gm,
    ),
  ].map((m) => [m[1] as string, m[2] as string]),
)

const cases = Object.keys(KEYS).flatMap((dir) =>
  readdirSync(join(FIXTURES, dir))
    .filter((f) => f.endsWith('.decrypted-by-research.json'))
    .map((f) => ({ dir, file: f.replace('.decrypted-by-research.json', ''), expected: f })),
)

test('the fixture set is complete (11 age-encrypted files from 3 projects)', () => {
  assert.is(cases.length, 11)
})

for (const { dir, file, expected } of cases) {
  test(`${dir}/${file} decodes to its recorded plaintext, MAC verified`, async () => {
    const text = readFileSync(join(FIXTURES, dir, file), 'utf8')
    const result = await decryptSops(text, idsOf(...identitiesIn(dir)))
    const want = JSON.parse(readFileSync(join(FIXTURES, dir, expected), 'utf8'))
    assert.equal(JSON.parse(JSON.stringify(result.data)), want)
    assert.is(result.format, file.endsWith('.json') ? 'json' : 'yaml')
    assert.is(Buffer.from(result.dataKey).toString('hex'), recordedDataKeys.get(`${dir}/${file}`))
  })
}

for (const file of ['example.yaml', 'comments.enc.yaml']) {
  test(`sops-upstream-pgp/${file} (PGP only) is refused as unsupported`, async () => {
    const text = readFileSync(join(FIXTURES, 'sops-upstream-pgp', file), 'utf8')
    const key = identitiesIn('rops')
    try {
      await decryptSops(text, idsOf(...key))
      assert.unreachable('decrypted a PGP-only file')
    } catch (error) {
      assert.instance(error, SopsUnsupportedError)
      assert.match((error as Error).message, /pgp/)
    }
  })
}

test.run()
