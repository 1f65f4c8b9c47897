/** Each error class, triggered by a real file we wrote and then damaged; real sops must refuse it too. */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { CliError, ExitCode } from '../../lib/errors.ts'
import {
  decryptSops,
  encryptSopsYaml,
  generateAgeIdentity,
  SopsFormatError,
  SopsMacTamperedError,
  SopsNoKeyError,
  SopsStructureChangedError,
  SopsValueTamperedError,
  SopsWrongKeyError,
} from '../../lib/sops/index.ts'
import { createLab, idsOf, type Lab } from './helpers.ts'
import { buildSample } from './sample.ts'

let lab: Lab
let good: string
test.before(async () => {
  lab = await createLab()
  good = await encryptSopsYaml(buildSample(), { recipients: [lab.recipient] })
})
test.after(async () => {
  await lab.cleanup()
})

async function expectError(
  text: string,
  errorClass: new (...args: never[]) => Error,
  exitCode: number,
  message: RegExp,
  identities = idsOf(lab.identity),
  sopsEnv: Record<string, string> = {},
): Promise<void> {
  try {
    await decryptSops(text, identities)
    assert.unreachable('decrypted a damaged file')
  } catch (error) {
    assert.instance(error, errorClass)
    assert.is((error as { exitCode: number }).exitCode, exitCode)
    assert.match((error as Error).message, message)
  }
  const path = join(lab.dir, 'damaged.yaml')
  await writeFile(path, text)
  const sops = await lab.sops(['-d', path], sopsEnv)
  assert.is.not(sops.exitCode, 0, 'real sops accepted the damaged file too')
}

function swapLines(text: string, a: RegExp, b: RegExp): string {
  const lines = text.split('\n')
  const i = lines.findIndex((l) => a.test(l))
  const j = lines.findIndex((l) => b.test(l))
  ;[lines[i], lines[j]] = [lines[j] as string, lines[i] as string]
  return lines.join('\n')
}

test('the undamaged file decrypts (control)', async () => {
  const result = await decryptSops(good, idsOf(lab.identity))
  assert.is(result.data.name, 'debug-server')
})

test('wrong key: sopsWrongKey names the recipients', async () => {
  const other = await generateAgeIdentity()
  const otherFile = join(lab.dir, 'other.txt')
  await writeFile(otherFile, `${other.identity}\n`, { mode: 0o600 })
  await expectError(
    good,
    SopsWrongKeyError,
    ExitCode.sopsWrongKey,
    new RegExp(lab.recipient),
    idsOf(other.identity),
    {
      SOPS_AGE_KEY_FILE: otherFile,
    },
  )
})

test('no key: sopsNoKey lists every place looked at', async () => {
  const searched = ['SOPS_AGE_KEY (not set)', 'SOPS_AGE_KEY_FILE (not set)']
  await expectError(
    good,
    SopsNoKeyError,
    ExitCode.sopsNoKey,
    /SOPS_AGE_KEY \(not set\)[\s\S]*SOPS_AGE_KEY_FILE/,
    {
      identities: [],
      searched,
    },
    { SOPS_AGE_KEY_FILE: join(lab.dir, 'absent.txt') },
  )
})

test('a tampered value: sopsValueTampered names its key path', async () => {
  const text = good.replace(
    /^(name: ENC\[AES256_GCM,data:)(.)/m,
    (_, head, c) => head + (c === 'A' ? 'B' : 'A'),
  )
  await expectError(text, SopsValueTamperedError, ExitCode.sopsValueTampered, /nested:inner:token:|name:/)
})

test('a malformed ENC string: sopsValueTampered names its key path (and real sops refuses it too)', async () => {
  const line = /^unicode: (ENC\[[^\]]+\])$/m.exec(good)?.[1] as string
  const damaged = [
    line.replace(/,tag:[^,]+/, ''),
    line.replace(/,iv:[^,]+/, ',iv:'),
    line.replace(/type:str\]$/, 'type:strr]'),
    line.replace(/\]$/, ''),
    line.replace(/,tag:/, ',tag:AA,A'),
    line.replace(/^ENC\[AES256_GCM,/, 'ENC[AES128_GCM,'),
    // Characters Node's base64 decoder would skip (the value would still decrypt): a space, a URL-safe
    // character, and a line break in a double-quoted scalar, which a rewrite would emit as broken YAML.
    line.replace(/(data:.{4})/, '$1 '),
    line.replace(/(data:.{4})./, '$1-'),
    JSON.stringify(line.replace(/(data:.{4})/, '$1\n')),
  ]
  for (const value of damaged) {
    assert.is.not(value, line)
    await expectError(
      good.replace(line, value),
      SopsValueTamperedError,
      ExitCode.sopsValueTampered,
      /unicode:/,
    )
  }
})

test('a value moved to another key: sopsValueTampered (the AAD is the key path)', async () => {
  const token = /^ {8}token: (ENC\[[^\]]+\])$/m.exec(good)?.[1] as string
  const text = good.replace(/^unicode: ENC\[[^\]]+\]$/m, `unicode: ${token}`)
  await expectError(text, SopsValueTamperedError, ExitCode.sopsValueTampered, /at unicode:/)
})

test('a tampered MAC: sopsMacTampered', async () => {
  const text = good.replace(
    /^( {4}mac: ENC\[AES256_GCM,data:)(.)/m,
    (_, head, c) => head + (c === 'A' ? 'B' : 'A'),
  )
  await expectError(text, SopsMacTamperedError, ExitCode.sopsMacTampered, /does not decrypt/)
})

test('a changed lastmodified: sopsMacTampered (it is the MAC AAD)', async () => {
  const text = good.replace(/lastmodified: "[^"]+"/, 'lastmodified: "2001-01-01T00:00:00Z"')
  await expectError(text, SopsMacTamperedError, ExitCode.sopsMacTampered, /MAC/)
})

test('a missing MAC: sopsMacTampered', async () => {
  const text = good.replace(/^ {4}mac: .*\n/m, '')
  await expectError(text, SopsMacTamperedError, ExitCode.sopsMacTampered, /missing/)
})

test('reordered keys: sopsStructureChanged', async () => {
  const text = swapLines(good, /^name: /, /^port: /)
  await expectError(text, SopsStructureChangedError, ExitCode.sopsStructureChanged, /reordered/)
})

test('a removed key: sopsStructureChanged', async () => {
  const text = good.replace(/^ratio: .*\n/m, '')
  await expectError(text, SopsStructureChangedError, ExitCode.sopsStructureChanged, /removed/)
})

test('an unencrypted value edited by hand: sopsStructureChanged', async () => {
  const text = good.replace(/^ {4}flag: true$/m, '    flag: false')
  assert.is.not(text, good)
  await expectError(text, SopsStructureChangedError, ExitCode.sopsStructureChanged, /unencrypted value/)
})

test('a truncated file: sopsFormat', async () => {
  await expectError(good.slice(0, Math.floor(good.length / 2)), SopsFormatError, ExitCode.sopsFormat, /.+/)
})

test('a file cut inside the sops block: sopsFormat', async () => {
  const cut = good.slice(0, good.indexOf('-----END AGE ENCRYPTED FILE-----'))
  await expectError(cut, SopsFormatError, ExitCode.sopsFormat, /.+/)
})

test('a file cut at any point is refused with a named sops error, or (cut only in its last lines) decrypts intact', async () => {
  const original = (await decryptSops(good, idsOf(lab.identity))).data
  const sopsCodes = new Set([20, 21, 22, 23, 24, 25, 26])
  for (let cut = 0; cut < good.length; cut += 37) {
    try {
      const result = await decryptSops(good.slice(0, cut), idsOf(lab.identity))
      assert.equal(result.data, original, `cut at ${cut} decrypted to other data`)
    } catch (error) {
      assert.instance(error, CliError, `cut at ${cut}: ${error}`)
      assert.ok(
        sopsCodes.has((error as CliError).exitCode),
        `cut at ${cut}: exit ${(error as CliError).exitCode}`,
      )
    }
  }
})

test('no sops block: sopsFormat', async () => {
  await expectError('name: plain\nport: 1\n', SopsFormatError, ExitCode.sopsFormat, /no sops: block/)
})

test('not YAML at all: sopsFormat', async () => {
  await expectError('name: [unclosed\n  - : :\n', SopsFormatError, ExitCode.sopsFormat, /not valid YAML/)
})

test('a top-level key named sops in the data is refused before anything is encrypted (it is the metadata)', async () => {
  try {
    await encryptSopsYaml({ ...buildSample(), sops: { mac: 'forged' } }, { recipients: [lab.recipient] })
    assert.unreachable('encrypted data that holds a sops key')
  } catch (error) {
    assert.match((error as Error).message, /top-level key named sops is reserved/)
  }
})

test('a second top-level sops block is refused, by us and by real sops', async () => {
  const doubled = `${good}sops:\n    mac: forged\n`
  await expectError(doubled, SopsFormatError, ExitCode.sopsFormat, /sops|duplicate|YAML/i)
})

test.run()
