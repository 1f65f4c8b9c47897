/**
 * The reference image archive, unpacked by GNU tar and hashed here: manifest, config (command, user, port,
 * labels) and layer; the file names are the digests of their contents; it is byte-for-byte reproducible and
 * its inputs digest moves with any input. A fake binary stands in for busybox (the real one runs in
 * reference-server.test.ts).
 */
import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { checkReferenceImage } from '../../lib/doctor.ts'
import { buildReferenceArchive, readServerScripts } from '../../lib/image/archive.ts'
import { BusyboxMissingError, type BusyboxPackage, readBusyboxPackage } from '../../lib/image/busybox.ts'
import { referenceImageRef } from '../../lib/image/reference.ts'
import { buildChildEnv, realProc } from '../../lib/proc.ts'
import { FakeProc } from '../terraform/fake-proc.ts'

const scratch = mkdtempSync(join(tmpdir(), 'image-archive-'))
test.after(() => rmSync(scratch, { recursive: true, force: true }))

const version = (
  JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as {
    version: string
  }
).version
const busybox: BusyboxPackage = {
  version: '1:1.35.0-test',
  architecture: 'amd64',
  binary: Buffer.from('not really busybox'),
}
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex')

async function unpack(bytes: Buffer, name: string): Promise<string> {
  const dir = join(scratch, name)
  mkdirSync(dir)
  writeFileSync(join(dir, 'image.tar'), bytes)
  const result = await realProc.run(['tar', '-xf', 'image.tar'], { env: buildChildEnv(), cwd: dir })
  assert.is(result.exitCode, 0, result.stderr)
  return dir
}

test('manifest, config and layer of the archive, each named by its digest', async () => {
  const archive = buildReferenceArchive(busybox, readServerScripts())
  const dir = await unpack(archive.bytes, 'one')
  const [manifest] = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'))
  assert.equal(manifest.RepoTags, [`localhost/debug-cloud/reference-server:${version}`])
  const configBytes = readFileSync(join(dir, manifest.Config))
  assert.is(manifest.Config, `${sha256(configBytes)}.json`)
  assert.is(archive.configDigest, `sha256:${sha256(configBytes)}`)
  const layer = readFileSync(join(dir, manifest.Layers[0]))
  const config = JSON.parse(configBytes.toString())
  assert.equal(config.rootfs, { type: 'layers', diff_ids: [`sha256:${sha256(layer)}`] })
  assert.is(config.architecture, 'amd64')
  assert.is(config.os, 'linux')
  assert.is(config.config.User, '65534:65534')
  assert.equal(config.config.Cmd, ['/bin/sh', '/srv/entrypoint.sh'])
  assert.equal(config.config.ExposedPorts, { '8080/tcp': {} })
  assert.ok(config.config.Env.includes('PORT=8080'))
  assert.equal(config.config.Labels, {
    'debug-cloud.busybox': '1:1.35.0-test',
    'debug-cloud.contract': '1',
    'debug-cloud.reference-server': version,
    'org.opencontainers.image.description':
      'Reference debug server: /healthz, and /api and /runner behind their bearer tokens.',
    'org.opencontainers.image.title': 'debug-cloud reference server',
    'org.opencontainers.image.version': version,
    'debug-cloud.inputs': archive.inputs,
  })
  assert.match(archive.inputs, /^sha256:[0-9a-f]{64}$/)

  writeFileSync(join(dir, 'layer.tar'), layer)
  const rootfs = join(dir, 'rootfs')
  mkdirSync(rootfs)
  const extract = await realProc.run(['tar', '-xf', 'layer.tar', '-C', rootfs], {
    env: buildChildEnv(),
    cwd: dir,
  })
  assert.is(extract.exitCode, 0, extract.stderr)
  assert.equal(readFileSync(join(rootfs, 'bin', 'sh')), busybox.binary)
  assert.equal(readFileSync(join(rootfs, 'srv', 'handle.sh')), readServerScripts().handler)
  assert.match(readFileSync(join(rootfs, 'etc', 'passwd'), 'utf8'), /^nobody:x:65534:65534:/m)
})

test('the same inputs give the same bytes; a changed binary or script changes the inputs and the id', () => {
  const scripts = readServerScripts()
  const a = buildReferenceArchive(busybox, scripts)
  const b = buildReferenceArchive({ ...busybox, binary: Buffer.from(busybox.binary) }, readServerScripts())
  assert.ok(a.bytes.equals(b.bytes))
  const otherBinary = buildReferenceArchive({ ...busybox, binary: Buffer.from('another busybox') }, scripts)
  const otherScript = buildReferenceArchive(busybox, {
    ...scripts,
    handler: Buffer.concat([scripts.handler, Buffer.from('\n')]),
  })
  for (const other of [otherBinary, otherScript]) {
    assert.is.not(other.inputs, a.inputs)
    assert.is.not(other.configDigest, a.configDigest)
  }
})

test('the Debian architecture becomes the OCI platform; an unknown one is refused', async () => {
  const platform = async (architecture: string) => {
    const dir = await unpack(
      buildReferenceArchive({ ...busybox, architecture }, readServerScripts()).bytes,
      architecture,
    )
    const [manifest] = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'))
    const config = JSON.parse(readFileSync(join(dir, manifest.Config), 'utf8'))
    return [config.architecture, config.variant]
  }
  assert.equal(await platform('arm64'), ['arm64', 'v8'])
  assert.equal(await platform('armhf'), ['arm', 'v7'])
  assert.equal(await platform('i386'), ['386', undefined])
  assert.throws(
    () => buildReferenceArchive({ ...busybox, architecture: 'vax' }, readServerScripts()),
    (error: unknown) => error instanceof BusyboxMissingError && /vax/.test(error.message),
  )
})

test('a machine without busybox-static gets the package name and the apt-get line', async () => {
  const proc = new FakeProc([
    { stdout: [], stderr: ['dpkg-query: no packages found matching busybox-static'], exitCode: 1 },
  ])
  try {
    await readBusyboxPackage(proc)
    assert.unreachable('should have thrown')
  } catch (error) {
    assert.instance(error, BusyboxMissingError)
    assert.match((error as BusyboxMissingError).message, 'busybox-static')
    assert.is(
      (error as BusyboxMissingError).hint,
      'Install it: sudo apt-get install busybox-static (then run the command again).',
    )
    assert.is((error as BusyboxMissingError).exitCode, 69)
  }
  assert.equal(proc.calls[0]?.argv.slice(0, 2), ['dpkg-query', '-W'])
})

test('doctor: an absent reference image without busybox-static fails with the apt-get line', async () => {
  // An ssh:// engine goes straight to the docker CLI (no socket ping), so the fake answers every call.
  const proc = new FakeProc([
    { stdout: [], stderr: [], exitCode: 0 },
    { stdout: [], stderr: ['dpkg-query: no packages found matching busybox-static'], exitCode: 1 },
  ])
  const check = await checkReferenceImage(proc, 'ssh://deploy@192.0.2.7')
  assert.is(check.level, 'fail')
  assert.match(
    check.detail,
    `${referenceImageRef()} is not on ssh://deploy@192.0.2.7, and cannot be built here`,
  )
  assert.match(check.fix ?? '', 'sudo apt-get install busybox-static')
  assert.equal(proc.calls[0]?.argv.slice(0, 4), ['docker', '-H', 'ssh://deploy@192.0.2.7', 'image'])
})

test.run()
