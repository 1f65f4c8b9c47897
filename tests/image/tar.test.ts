/**
 * The ustar writer, read back by GNU tar (an independent reader): names, types, modes, link targets, owners,
 * times and contents; the same entries give the same bytes; a name that does not fit is refused.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { type TarEntry, TarNameError, writeTar } from '../../lib/image/tar.ts'
import { buildChildEnv, realProc } from '../../lib/proc.ts'

const scratch = mkdtempSync(join(tmpdir(), 'image-tar-'))
test.after(() => rmSync(scratch, { recursive: true, force: true }))

const entries: TarEntry[] = [
  { type: 'dir', path: 'bin', mode: 0o755 },
  { type: 'file', path: 'bin/tool', mode: 0o755, content: Buffer.alloc(1000, 0x41) },
  { type: 'symlink', path: 'bin/sh', target: 'tool' },
  { type: 'dir', path: 'tmp', mode: 0o1777 },
  { type: 'file', path: 'empty', mode: 0o600, content: Buffer.alloc(0) },
]

const tar = (args: string[]) => realProc.run(['tar', ...args], { env: buildChildEnv({ TZ: 'UTC' }) })

test('GNU tar lists and extracts exactly what was written', async () => {
  const file = join(scratch, 'a.tar')
  writeFileSync(file, writeTar(entries))
  const list = await tar(['--numeric-owner', '-tvf', file])
  assert.is(list.exitCode, 0, list.stderr)
  assert.equal(
    list.stdout
      .trim()
      .split('\n')
      .map((line) => line.replace(/\s+/g, ' ')),
    [
      'drwxr-xr-x 0/0 0 1970-01-01 00:00 bin/',
      '-rwxr-xr-x 0/0 1000 1970-01-01 00:00 bin/tool',
      'lrwxrwxrwx 0/0 0 1970-01-01 00:00 bin/sh -> tool',
      'drwxrwxrwt 0/0 0 1970-01-01 00:00 tmp/',
      '-rw------- 0/0 0 1970-01-01 00:00 empty',
    ],
  )
  const out = join(scratch, 'out')
  mkdirSync(out)
  const extract = await tar(['-xf', file, '-C', out])
  assert.is(extract.exitCode, 0, extract.stderr)
  assert.equal(readFileSync(join(out, 'bin', 'sh')), Buffer.alloc(1000, 0x41))
})

test('the same entries give the same bytes', () => {
  assert.equal(writeTar(entries), writeTar(entries.map((e) => ({ ...e }))))
})

test('a name longer than the ustar field is refused, naming it', () => {
  const long = `${'d/'.repeat(50)}x`
  assert.throws(
    () => writeTar([{ type: 'file', path: long, mode: 0o644, content: Buffer.alloc(1) }]),
    (error: unknown) => error instanceof TarNameError && error.entryName === long,
  )
})

test.run()
