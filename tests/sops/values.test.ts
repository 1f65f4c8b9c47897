/** Go's formatting and go-yaml v3's typing, exactly: these bytes go into the MAC and the ciphertexts. */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { buildStringNode } from '../../lib/sops/emit.ts'
import { normaliseLastModified } from '../../lib/sops/metadata.ts'
import { parseTree } from '../../lib/sops/tree.ts'
import { formatGoFloat, formatYamlFloat, SopsFloat, toGoText } from '../../lib/sops/values.ts'
import { resolvePlainYaml } from '../../lib/sops/yaml-types.ts'

test("Go FormatFloat(v, 'f', -1, 64): shortest digits, never an exponent", () => {
  const cases: Array<[number, string]> = [
    [3, '3'],
    [1.5, '1.5'],
    [1234.56789, '1234.56789'],
    [1.234568e9, '1234568000'],
    [1e21, '1000000000000000000000'],
    [1.2345678901234567e19, '12345678901234567000'],
    [1e-7, '0.0000001'],
    [-2.5e-5, '-0.000025'],
    [Number.POSITIVE_INFINITY, '+Inf'],
    [Number.NaN, 'NaN'],
  ]
  for (const [value, text] of cases) assert.is(formatGoFloat(value), text, String(value))
})

test("go-yaml's float emitter ('g' format) for unencrypted floats", () => {
  const cases: Array<[number, string]> = [
    [1e7, '1e+07'],
    [1234567, '1.234567e+06'],
    [123456, '123456'],
    [1e-5, '1e-05'],
    [0.0001, '0.0001'],
    [Number.NEGATIVE_INFINITY, '-.inf'],
  ]
  for (const [value, text] of cases) assert.is(formatYamlFloat(value), text, String(value))
})

test('bytes sops hashes and encrypts: ints, floats, True/False, strings', () => {
  assert.is(toGoText(8080), '8080')
  assert.is(toGoText(new SopsFloat(3)), '3')
  assert.is(toGoText(0.1), '0.1')
  assert.is(toGoText(true), 'True')
  assert.is(toGoText(false), 'False')
  assert.is(toGoText('héllo'), 'héllo')
  assert.is(toGoText(null), '')
})

test('plain scalars typed like go-yaml v3, not like YAML 1.2 core', () => {
  const cases: Array<[string, unknown]> = [
    ['0755', 493],
    ['0x1f', 31],
    ['0o10', 8],
    ['0b101', 5],
    ['1_000', 1000],
    ['08', new SopsFloat(8)],
    ['1e3', new SopsFloat(1000)],
    ['.5', 0.5],
    ['yes', 'yes'],
    ['on', 'on'],
    ['True', true],
    ['~', null],
    ['', null],
    ['2024-01-01', '2024-01-01T00:00:00Z'],
    ['2024-1-2 3:04:05.50', '2024-01-02T03:04:05.5Z'],
    ['1.2.3', '1.2.3'],
    // Either side of the longest word (5 characters): words end there, numbers and strings go on.
    ['FALSE', false],
    ['+.Inf', new SopsFloat(Number.POSITIVE_INFINITY)],
    ['-.INF', new SopsFloat(Number.NEGATIVE_INFINITY)],
    ['falsey', 'falsey'],
    ['123456', 123456],
    ['-1234.5e3', new SopsFloat(-1234500)],
    ['2024-01-01T10:00:00+00:00', '2024-01-01T10:00:00Z'],
    [
      'ENC[AES256_GCM,data:AA==,iv:AA==,tag:AA==,type:str]',
      'ENC[AES256_GCM,data:AA==,iv:AA==,tag:AA==,type:str]',
    ],
  ]
  for (const [text, value] of cases) {
    const got = resolvePlainYaml(text)
    if (value instanceof SopsFloat || (typeof value === 'number' && !Number.isInteger(value))) {
      assert.is(
        Number(got instanceof SopsFloat ? got.value : got),
        Number(value instanceof SopsFloat ? value.value : value),
        text,
      )
      assert.ok(got instanceof SopsFloat || !Number.isInteger(got), `${text} is a float`)
    } else assert.equal(got, value, text)
  }
})

test('strings quoted the way go-yaml v3 quotes them (as sops -e writes unencrypted values)', () => {
  const cases: Array<[string, string]> = [
    ['plain', 'plain'],
    ['true', '"true"'],
    ['yes', '"yes"'],
    ['n', '"n"'],
    ['123', '"123"'],
    ['1:30', '"1:30"'],
    ['2024-01-01', '"2024-01-01"'],
    ['', '""'],
    ['a: b', "'a: b'"],
    ['  spaced  ', "'  spaced  '"],
    ['#hash', "'#hash'"],
    ['tab\there', '"tab\\there"'],
    ['\u0001x', '"\\x01x"'],
    ['ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]', 'ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]'],
  ]
  for (const [text, yaml] of cases) {
    const node = buildStringNode(text)
    assert.is(node.kind === 'scalar' ? node.text : node.kind, yaml, JSON.stringify(text))
  }
  assert.is(buildStringNode('a\nb').kind, 'literal')
})

test('lastmodified is normalised like Go time.Parse + Format(RFC3339) before it is used as the MAC AAD', () => {
  assert.is(normaliseLastModified('2024-03-25T22:08:10Z'), '2024-03-25T22:08:10Z')
  assert.is(normaliseLastModified('2024-03-25T22:08:10.123456Z'), '2024-03-25T22:08:10Z')
  assert.is(normaliseLastModified('2024-03-25T22:08:10+00:00'), '2024-03-25T22:08:10Z')
  assert.is(normaliseLastModified('2024-03-25T22:08:10+02:00'), '2024-03-25T22:08:10+02:00')
})

/** The message parseTree rejects `text` with. */
const refusal = (text: string, format: 'yaml' | 'json') =>
  parseTree(text, format).then(
    () => 'accepted',
    (error: Error) => error.message,
  )

test('a duplicate key in one mapping is refused (as sops does), also deep inside a large map', async () => {
  const big = Array.from({ length: 5000 }, (_, i) => `  k${i}: v`).join('\n')
  assert.match(await refusal(`a: 1\nb:\n${big}\n  k42: again\n`, 'yaml'), /key "k42" twice/)
  assert.match(await refusal('{"a": 1, "a": 2}', 'json'), /key "a" twice/)
  assert.is((await parseTree(`a: 1\nb:\n${big}\n`, 'yaml')).length, 1)
})

test.run()
