import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { writeFileAtomic } from '../../lib/state/atomic.ts'
import { StateIoError } from '../../lib/state/errors.ts'
import { testUnless, whyNotRoot } from '../helpers/skip.ts'
import { rejection } from './env.ts'

const dir = mkdtempSync(join(tmpdir(), 'dc-atomic-'))
test.after(() => rmSync(dir, { recursive: true, force: true }))

test('replaces the file with mode 0600 and leaves no temp file', async () => {
  const path = join(dir, 'f.yaml')
  writeFileSync(path, 'old\n')
  await writeFileAtomic(path, 'new\n')
  assert.is(readFileSync(path, 'utf8'), 'new\n')
  assert.is(statSync(path).mode & 0o777, 0o600)
  assert.equal(readdirSync(dir), ['f.yaml'])
})

test('a missing directory is a clear error, nothing created', async () => {
  const error = await rejection(writeFileAtomic(join(dir, 'nope', 'f.yaml'), 'x'))
  assert.instance(error, StateIoError)
  assert.match(error.message, 'ENOENT')
  assert.match(error.message, 'the previous file is intact')
})

testUnless(test, whyNotRoot(), 'a write onto a full disk fails and keeps the old file intact', async () => {
  const mount = join(dir, 'tiny')
  mkdirSync(mount)
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mount])
  assert.is(mounted.status, 0, mounted.stderr.toString())
  try {
    const path = join(mount, 'state.sops.yaml')
    writeFileSync(path, 'the old state\n')
    try {
      writeFileSync(join(mount, 'filler'), Buffer.alloc(1024 * 1024))
    } catch {
      /* ENOSPC is the point: the disk is now full */
    }
    const error = await rejection(writeFileAtomic(path, 'x'.repeat(32 * 1024)))
    assert.instance(error, StateIoError)
    assert.is((error as StateIoError).exitCode, 74)
    assert.match(error.message, 'ENOSPC')
    assert.match((error as StateIoError).hint ?? '', 'is full')
    assert.is(readFileSync(path, 'utf8'), 'the old state\n')
    assert.equal(readdirSync(mount).sort(), ['filler', 'state.sops.yaml'])
  } finally {
    spawnSync('umount', [mount])
  }
})

test.run()
