/**
 * The pinned-tool installer: exact go.mod / CLI config / mirror layout builders, stamps deciding what is
 * installed, `whichTool` errors, and the real `npm run tools` being a quick no-op when everything is cached.
 */
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ToolMissingError } from '../../lib/errors.ts'
import { buildChildEnv, realProc } from '../../lib/proc.ts'
import { agentBinary, agentBinaryPath, writeAgentStamp } from '../../lib/tools/agent.ts'
import { ToolReplacedError } from '../../lib/tools/errors.ts'
import { buildCliConfig, buildPlatform, mirrorBinaryPath, toolEnv } from '../../lib/tools/mirror.ts'
import { toolDir } from '../../lib/tools/paths.ts'
import {
  binaryName,
  binaryPath,
  buildGoBuildArgv,
  buildGoMod,
  buildToolsGo,
  getTool,
} from '../../lib/tools/spec.ts'
import {
  isToolInstalled,
  recordExistingBinary,
  stampStatus,
  whichTool,
  writeStamp,
} from '../../lib/tools/stamp.ts'
import { findVendored, verifyArchive, whyNotVendored } from '../../lib/tools/vendor.ts'

const scratch = mkdtempSync(join(tmpdir(), 'tools-test-'))
test.after(() => rmSync(scratch, { recursive: true, force: true }))
const emptyCache = { XDG_CACHE_HOME: join(scratch, 'cache') }

test('go.mod of the throwaway module repeats the replace directives', () => {
  assert.is(
    buildGoMod(getTool('provider-docker')),
    [
      'module debugcloud.local/toolbuild',
      '',
      'go 1.22',
      '',
      'require github.com/terraform-providers/terraform-provider-docker v0.0.0',
      '',
      'replace github.com/terraform-providers/terraform-provider-docker => github.com/kreuzwerker/terraform-provider-docker v0.0.0-20260916201441-96d331c98ff4',
      '',
    ].join('\n'),
  )
  assert.not.match(buildGoMod(getTool('sops')), 'replace')
  assert.is(
    buildToolsGo(getTool('tofu')),
    '//go:build tools\n\npackage tools\n\nimport _ "github.com/opentofu/opentofu/cmd/tofu"\n',
  )
})

test('go build argv: tofu is linked as a release build, the others plainly', () => {
  assert.equal(buildGoBuildArgv('/go', getTool('tofu'), '/o/tofu'), [
    '/go',
    'build',
    '-ldflags=-X github.com/opentofu/opentofu/version.dev=no',
    '-o',
    '/o/tofu',
    'github.com/opentofu/opentofu/cmd/tofu',
  ])
  assert.equal(buildGoBuildArgv('/go', getTool('sops'), '/o/sops'), [
    '/go',
    'build',
    '-o',
    '/o/sops',
    'github.com/getsops/sops/v3/cmd/sops',
  ])
})

test('binary names and the mirror layout', () => {
  assert.is(binaryName(getTool('sops')), 'sops')
  assert.is(binaryName(getTool('tofu')), 'tofu')
  assert.is(binaryName(getTool('provider-hcloud')), 'terraform-provider-hcloud')
  assert.is(buildPlatform('linux', 'x64'), 'linux_amd64')
  assert.is(buildPlatform('darwin', 'arm64'), 'darwin_arm64')
  const docker = getTool('provider-docker').provider
  if (!docker) throw new Error('provider-docker has no provider block')
  assert.is(
    mirrorBinaryPath(docker, { XDG_CACHE_HOME: '/c' }, 'linux_amd64'),
    '/c/debug-cloud/tools/providers-mirror/registry.opentofu.org/kreuzwerker/docker/4.6.0/linux_amd64/terraform-provider-docker_v4.6.0',
  )
  assert.equal(toolEnv({ XDG_CACHE_HOME: '/c' }), { TF_CLI_CONFIG_FILE: '/c/debug-cloud/tools/tofu.rc' })
})

test('the CLI config takes the pinned providers only from the mirror', () => {
  assert.is(
    buildCliConfig('/m', ['registry.opentofu.org/a/b', 'registry.opentofu.org/c/d']),
    `provider_installation {
  filesystem_mirror {
    path    = "/m"
    include = ["registry.opentofu.org/a/b", "registry.opentofu.org/c/d"]
  }
  direct {
    exclude = ["registry.opentofu.org/a/b", "registry.opentofu.org/c/d"]
  }
}
`,
  )
})

test('a tool is installed only with its binary and a stamp of the same build inputs', () => {
  const sops = getTool('sops')
  assert.not.ok(isToolInstalled(sops, emptyCache))
  assert.throws(
    () => whichTool('sops', emptyCache),
    (e: ToolMissingError) =>
      e instanceof ToolMissingError && /not built yet/.test(e.message) && /npm run tools/.test(e.hint ?? ''),
  )
  mkdirSync(toolDir('sops', emptyCache), { recursive: true })
  writeFileSync(binaryPath(sops, emptyCache), '#!/bin/sh\n', { mode: 0o755 })
  assert.not.ok(isToolInstalled(sops, emptyCache), 'a binary without a stamp is not trusted')
  writeStamp({ ...sops, replace: ['x => y v1.0.0'] }, 'go1.26', emptyCache)
  assert.not.ok(isToolInstalled(sops, emptyCache), 'a stamp of other build inputs means rebuild')
  writeStamp(sops, 'go1.26', emptyCache)
  assert.ok(isToolInstalled(sops, emptyCache))
  assert.is(whichTool('sops', emptyCache), binaryPath(sops, emptyCache))
})

test('a replaced binary is refused by whichTool naming it; an identical copy is accepted', async () => {
  const cache = { XDG_CACHE_HOME: join(scratch, 'replaced') }
  const sops = getTool('sops')
  const path = binaryPath(sops, cache)
  mkdirSync(toolDir('sops', cache), { recursive: true })
  writeFileSync(path, '#!/bin/sh\necho built\n', { mode: 0o755 })
  writeStamp(sops, 'go1.26', cache)
  assert.is(whichTool('sops', cache), path)
  // Copied back in place: a new inode and change time, the same bytes.
  copyFileSync(path, `${path}.copy`)
  renameSync(`${path}.copy`, path)
  assert.is(whichTool('sops', cache), path)
  const refused = (e: unknown) =>
    e instanceof ToolReplacedError &&
    e.message ===
      `${path} (sops) is not the binary that was built (its SHA-256 changed); refusing to run it.` &&
    /npm run tools/.test(e.hint ?? '') &&
    e.exitCode === 69
  // Overwritten in place, same size, mtime set back: only the content changed.
  const { mtime } = statSync(path)
  writeFileSync(path, '#!/bin/sh\necho EVIL\n')
  utimesSync(path, mtime, mtime)
  assert.throws(() => whichTool('sops', cache), refused)
  // Swapped for another file by rename.
  writeFileSync(`${path}.other`, '#!/bin/sh\necho other binary\n', { mode: 0o755 })
  renameSync(`${path}.other`, path)
  assert.throws(() => whichTool('sops', cache), refused)
  // Through the real command, too.
  const which = await realProc.run(['npx', 'tsx', 'scripts/tools.ts', '--which', 'sops'], {
    env: buildChildEnv(cache),
  })
  assert.is(which.exitCode, 69, which.stderr)
  assert.match(which.stderr, 'is not the binary that was built')
})

test('a stamp from before binaries were recorded is not trusted until the binary is recorded', () => {
  const cache = { XDG_CACHE_HOME: join(scratch, 'legacy') }
  const sops = getTool('sops')
  mkdirSync(toolDir('sops', cache), { recursive: true })
  writeFileSync(binaryPath(sops, cache), '#!/bin/sh\n', { mode: 0o755 })
  writeStamp(sops, 'go1.26', cache)
  const stampFile = join(toolDir('sops', cache), '.stamp.json')
  const { binary: _, ...legacy } = JSON.parse(readFileSync(stampFile, 'utf8')) as Record<string, unknown>
  writeFileSync(stampFile, JSON.stringify(legacy))
  assert.is(stampStatus(sops, cache), 'unrecorded')
  assert.not.ok(isToolInstalled(sops, cache))
  assert.throws(
    () => whichTool('sops', cache),
    (e: unknown) => e instanceof ToolMissingError,
  )
  recordExistingBinary(sops, cache)
  assert.is(stampStatus(sops, cache), 'current')
  assert.is(whichTool('sops', cache), binaryPath(sops, cache))
})

test('the agent binary is checked the same way', () => {
  const cache = { XDG_CACHE_HOME: join(scratch, 'agent') }
  mkdirSync(join(agentBinaryPath(cache), '..'), { recursive: true })
  writeFileSync(agentBinaryPath(cache), '#!/bin/sh\necho agent\n', { mode: 0o755 })
  writeAgentStamp('go1.26', cache)
  assert.is(agentBinary(cache), agentBinaryPath(cache))
  writeFileSync(agentBinaryPath(cache), '#!/bin/sh\necho not the agent\n')
  assert.throws(
    () => agentBinary(cache),
    (e: unknown) =>
      e instanceof ToolReplacedError && e.message.includes('(debug-cloud-agent) is not the binary'),
  )
})

test('a tool the proxy refuses is named unavailable, with the reason', () => {
  assert.throws(
    () => whichTool('terraform'),
    (e: ToolMissingError) =>
      e instanceof ToolMissingError &&
      /not available: .*proxy answers 403/.test(e.message) &&
      e.exitCode === 69,
  )
})

test('contabo is built from the first vendor directory that has its sources, else unavailable with why', () => {
  const source = getTool('provider-contabo').vendored
  if (!source) throw new Error('provider-contabo is not vendored in versions.json')
  const lonely = mkdtempSync(join(tmpdir(), 'no-vendor-'))
  try {
    const root = join(lonely, 'a', 'project')
    assert.is(findVendored(source, {}, root), undefined)
    const why = whyNotVendored(source, {}, root) ?? ''
    assert.match(
      why,
      `terraform-provider-contabo/sources.tar.gz) are in no shared/vendor directory above ${root}`,
    )
    const vendor = join(lonely, 'shared', 'vendor', source.dir)
    mkdirSync(vendor, { recursive: true })
    writeFileSync(join(vendor, source.archive), 'not the pinned archive')
    assert.is(findVendored(source, {}, root), vendor)
    assert.throws(() => verifyArchive(source, vendor), /not the pinned 6e3c8052/)
    const elsewhere = join(lonely, 'elsewhere')
    mkdirSync(join(elsewhere, source.dir), { recursive: true })
    writeFileSync(join(elsewhere, source.dir, source.archive), '')
    assert.is(findVendored(source, { DEBUG_CLOUD_VENDOR_DIR: elsewhere }, root), join(elsewhere, source.dir))
    rmSync(join(lonely, 'shared'), { recursive: true })
    const unset = whyNotVendored(source, { DEBUG_CLOUD_VENDOR_DIR: join(lonely, 'x') }, root) ?? ''
    assert.match(unset, `nor in DEBUG_CLOUD_VENDOR_DIR=${join(lonely, 'x')}`)
  } finally {
    rmSync(lonely, { recursive: true, force: true })
  }
})

test('npm run tools builds nothing when everything is cached, and --which prints the pinned path', async () => {
  const env = buildChildEnv()
  const run = await realProc.run(['npx', 'tsx', 'scripts/tools.ts', '--json'], { env })
  assert.is(run.exitCode, 0, run.stderr)
  const states = (JSON.parse(run.stdout) as { tools: { name: string; state: string }[] }).tools.map(
    (t) => `${t.name}:${t.state}`,
  )
  assert.equal(states, [
    'sops:cached',
    'tofu:cached',
    'provider-docker:cached',
    'provider-hcloud:cached',
    'provider-contabo:cached',
    'terraform:unavailable',
    'debug-cloud-agent:cached',
  ])
  const which = await realProc.run(['npx', 'tsx', 'scripts/tools.ts', '--which', 'tofu'], { env })
  assert.is(which.exitCode, 0)
  assert.is(which.stdout.trim(), whichTool('tofu'))
  const version = await realProc.run([whichTool('tofu'), 'version', '-json'], { env })
  assert.is((JSON.parse(version.stdout) as { terraform_version: string }).terraform_version, '1.12.6')
  const refused = await realProc.run(['npx', 'tsx', 'scripts/tools.ts', '--which', 'terraform'], { env })
  assert.is(refused.exitCode, 69)
  assert.match(refused.stderr, 'terraform v1.13.3 is not available')
  const bad = await realProc.run(['npx', 'tsx', 'scripts/tools.ts', '--which', 'terrafrom'], { env })
  assert.is(bad.exitCode, 64)
  assert.match(bad.stderr, 'Did you mean --which terraform?')
})

test.run()
