/**
 * Builds the pinned tools of versions.json from the Go module proxy into the tool cache, each through a
 * throwaway module in a temp dir (so `replace` directives work and the repository stays untouched), lays
 * the providers out as a filesystem mirror and writes the CLI config; then builds the unlock agent from the
 * repository's own Go sources (tools/agent.ts). A provider the proxy refuses is built from vendored sources
 * when they are found (vendor.ts). Cached tools are skipped.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { link, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join } from 'node:path'
import type { Output } from '../cli/output.ts'
import { CliError, ExitCode, ToolMissingError } from '../errors.ts'
import { buildChildEnv, type Env, type Proc } from '../proc.ts'
import { writeFileAtomic } from '../state/atomic.ts'
import {
  AGENT_NAME,
  AGENT_SOURCE_DIR,
  agentBinaryPath,
  agentDir,
  agentSourceHash,
  buildAgentArgv,
  isAgentBuilt,
  verifyAgentBinary,
  writeAgentStamp,
} from './agent.ts'
import { ToolReplacedError } from './errors.ts'
import { buildCliConfig, mirrorBinaryPath } from './mirror.ts'
import { cliConfigPath, providerMirrorDir, toolDir } from './paths.ts'
import {
  binaryPath,
  buildGoBuildArgv,
  buildGoMod,
  buildToolsGo,
  displayVersion,
  listTools,
  type ToolSpec,
  type VendoredSource,
} from './spec.ts'
import {
  isToolInstalled,
  recordExistingBinary,
  stampStatus,
  verifyToolBinary,
  whyUnavailable,
  writeStamp,
} from './stamp.ts'
import { findVendored, unavailableReason, verifyArchive } from './vendor.ts'

export type ToolState = 'cached' | 'built' | 'unavailable'

export interface ToolResult {
  name: string
  version: string
  state: ToolState
  /** The binary, absent for unavailable tools. */
  path?: string
  /** Why the tool is unavailable (unavailable tools only). */
  reason?: string
  seconds: number
}

export interface InstallOptions {
  proc: Proc
  out: Output
  env?: NodeJS.ProcessEnv
}

/** A `go` step failed: the message carries the tail of go's own output. */
export class ToolBuildError extends CliError {
  constructor(
    readonly tool: string,
    step: string,
    output: string,
  ) {
    const tail = output.trim().split('\n').slice(-15).join('\n')
    super(`Building ${tool} failed at \`${step}\`:\n${tail}`, {
      hint: 'Check that the Go module proxy is reachable (GOPROXY) and run `npm run tools` again; cached tools are kept.',
      exitCode: ExitCode.toolMissing,
    })
  }
}

/** The go binary: from PATH, else the standard /usr/local/go install. */
export function findGo(env: NodeJS.ProcessEnv = process.env): string {
  const dirs = [...(env.PATH ?? '').split(delimiter).filter(Boolean), '/usr/local/go/bin']
  const found = dirs.map((d) => join(d, 'go')).find((p) => existsSync(p))
  if (!found)
    throw new ToolMissingError(
      'go',
      'The Go toolchain (`go`) is needed to build the pinned tools and was not found.',
      'Install Go 1.24 or newer (for example into /usr/local/go) and run `npm run tools` again.',
    )
  return found
}

/** The environment of `go` children: static binaries, no toolchain downloads, Go's own caches kept. */
export function buildGoEnv(go: string, env: NodeJS.ProcessEnv = process.env): Env {
  // GOTOOLCHAIN defaults to local (no surprise downloads); GOTOOLCHAIN=auto lets an older go fetch a newer one.
  const extra: Env = { CGO_ENABLED: '0', GOTOOLCHAIN: 'local', GOFLAGS: '-mod=mod' }
  for (const name of [
    'GOPATH',
    'GOCACHE',
    'GOMODCACHE',
    'GOPROXY',
    'GONOSUMDB',
    'GOPRIVATE',
    'GOTOOLCHAIN',
    'XDG_CACHE_HOME',
  ]) {
    const value = env[name]
    if (value) extra[name] = value
  }
  extra.PATH = [dirname(go), env.PATH ?? '/usr/bin:/bin'].join(delimiter)
  return buildChildEnv(extra, env)
}

function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)}s`
  return `${Math.floor(seconds / 60)}m${Math.round(seconds % 60)}s`
}

async function runGo(proc: Proc, tool: string, argv: string[], cwd: string, env: Env): Promise<void> {
  const result = await proc.run(argv, { env, cwd })
  if (result.exitCode !== 0)
    throw new ToolBuildError(tool, argv.slice(1).join(' '), `${result.stderr}${result.stdout}`)
}

/** `go env GOVERSION`, e.g. go1.24.4. */
async function readGoVersion(proc: Proc, go: string, env: Env): Promise<string> {
  return (await proc.run([go, 'env', 'GOVERSION'], { env })).stdout.trim()
}

/** Put a built provider into the mirror (a hard link: same file system, no copy). */
async function linkIntoMirror(spec: ToolSpec, env: NodeJS.ProcessEnv): Promise<void> {
  if (!spec.provider) return
  const target = mirrorBinaryPath(spec.provider, env)
  const binary = binaryPath(spec, env)
  const current = await stat(target).catch(() => undefined)
  if (current?.ino === (await stat(binary)).ino) return
  await mkdir(dirname(target), { recursive: true })
  // Link beside, then rename over: a concurrent `tofu init` never sees the provider missing.
  const staged = `${target}.new`
  await rm(staged, { force: true })
  await link(binary, staged)
  await rename(staged, target)
}

/** Unpack vendored sources into `work` (checked against their pinned hash); returns the directory to build in. */
async function unpackVendored(
  spec: ToolSpec,
  source: VendoredSource,
  work: string,
  options: InstallOptions,
): Promise<string> {
  const env = options.env ?? process.env
  const dir = findVendored(source, env)
  if (dir === undefined)
    throw new ToolBuildError(spec.name, 'find vendored sources', unavailableReason(spec, env) ?? '')
  const archive = verifyArchive(source, dir)
  const untar = await options.proc.run(['tar', '-xzf', archive, '-C', work], { env: buildChildEnv() })
  if (untar.exitCode !== 0) throw new ToolBuildError(spec.name, `tar -xzf ${archive}`, untar.stderr)
  const tree = join(work, source.tree)
  if (source.overlay) {
    // The provider's go.mod replaces the client's module with ./<to>; the generated client names itself a
    // placeholder path, so only its module line is set (vendored README: no source line changes).
    const target = join(tree, source.overlay.to)
    await rename(join(work, source.overlay.from), target)
    const goMod = join(target, 'go.mod')
    const text = await readFile(goMod, 'utf8')
    await writeFile(goMod, text.replace(/^module .*$/m, `module ${source.overlay.module}`))
  }
  return tree
}

async function buildTool(spec: ToolSpec, go: string, options: InstallOptions): Promise<void> {
  const env = options.env ?? process.env
  const goEnv = buildGoEnv(go, env)
  const work = mkdtempSync(join(tmpdir(), `debug-cloud-build-${spec.name}-`))
  try {
    let cwd = work
    if (spec.vendored) cwd = await unpackVendored(spec, spec.vendored, work, options)
    else {
      await writeFile(join(work, 'go.mod'), buildGoMod(spec))
      await writeFile(join(work, 'tools.go'), buildToolsGo(spec))
      await runGo(options.proc, spec.name, [go, 'mod', 'tidy'], work, goEnv)
    }
    mkdirSync(toolDir(spec.name, env), { recursive: true })
    const partial = `${binaryPath(spec, env)}.partial`
    await runGo(options.proc, spec.name, buildGoBuildArgv(go, spec, partial), cwd, goEnv)
    await rename(partial, binaryPath(spec, env))
    await linkIntoMirror(spec, env)
    writeStamp(spec, await readGoVersion(options.proc, go, goEnv), env)
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

/** True when `verify` finds the built binary is the recorded one; a replaced one is named (and built again). */
function isUnreplaced(verify: () => void, out: Output): boolean {
  try {
    verify()
    return true
  } catch (error) {
    if (!(error instanceof ToolReplacedError)) throw error
    out.warn(`${error.message} Building it again from the pinned sources.`)
    return false
  }
}

async function installOne(spec: ToolSpec, options: InstallOptions, go: () => string): Promise<ToolResult> {
  const env = options.env ?? process.env
  const { out } = options
  const base = { name: spec.name, version: displayVersion(spec) }
  const label = `${spec.name} ${base.version}`
  // A tool built before stays usable where its vendored sources are not (a checkout moved away from them).
  const unavailable = whyUnavailable(spec, env)
  if (unavailable) {
    out.warn(`${label}: unavailable, not built (${unavailable})`)

    return { ...base, state: 'unavailable', reason: unavailable, seconds: 0 }
  }
  const started = performance.now()
  const elapsed = () => (performance.now() - started) / 1000
  if (stampStatus(spec, env) === 'unrecorded') {
    recordExistingBinary(spec, env)
    out.info(`${label}: built before binaries were recorded; its SHA-256 is recorded now.`)
  }
  if (isToolInstalled(spec, env) && isUnreplaced(() => verifyToolBinary(spec, env), out)) {
    // Relinking is cheap and repairs a mirror that was deleted by hand.
    await linkIntoMirror(spec, env)
    out.success(`${label}: cached (${formatSeconds(elapsed())})`)
    return { ...base, state: 'cached', path: binaryPath(spec, env), seconds: elapsed() }
  }
  out.step(`${label}: building from ${spec.vendored ? 'its vendored sources' : 'the Go module proxy'}…`)
  const heartbeat = setInterval(
    () => out.info(`  … ${label} still building (${formatSeconds(elapsed())})`),
    30_000,
  )
  try {
    await buildTool(spec, go(), options)
  } finally {
    clearInterval(heartbeat)
  }
  out.success(`${label}: built in ${formatSeconds(elapsed())}`)
  return { ...base, state: 'built', path: binaryPath(spec, env), seconds: elapsed() }
}

/**
 * Build the unlock agent unless the binary of these sources, built by this Go, is cached. Without Go on
 * the machine a binary of these sources counts as cached (its Go version cannot be compared).
 */
async function installAgent(options: InstallOptions, findGoOnce: () => string): Promise<ToolResult> {
  const env = options.env ?? process.env
  const base = { name: AGENT_NAME, version: agentSourceHash() }
  const label = `${AGENT_NAME} (sources ${base.version})`
  const started = performance.now()
  const elapsed = () => (performance.now() - started) / 1000
  const cached = (): ToolResult => {
    options.out.success(`${label}: cached (${formatSeconds(elapsed())})`)
    return { ...base, state: 'cached', path: agentBinaryPath(env), seconds: elapsed() }
  }
  let go: string
  try {
    go = findGoOnce()
  } catch (error) {
    if (isAgentBuilt(env) && isUnreplaced(() => verifyAgentBinary(env), options.out)) return cached()
    throw error
  }
  const goEnv = buildGoEnv(go, env)
  const goVersion = await readGoVersion(options.proc, go, goEnv)
  if (isAgentBuilt(env, goVersion) && isUnreplaced(() => verifyAgentBinary(env), options.out)) return cached()
  options.out.step(`${label}: building with ${goVersion}…`)
  mkdirSync(agentDir(env), { recursive: true })
  const partial = `${agentBinaryPath(env)}.${process.pid}.partial`
  await runGo(options.proc, AGENT_NAME, buildAgentArgv(go, partial), AGENT_SOURCE_DIR, goEnv)
  await rename(partial, agentBinaryPath(env))
  writeAgentStamp(goVersion, env)
  options.out.success(`${label}: built in ${formatSeconds(elapsed())}`)
  return { ...base, state: 'built', path: agentBinaryPath(env), seconds: elapsed() }
}

/** Write the CLI config if it is missing or different. */
async function writeCliConfig(env: NodeJS.ProcessEnv): Promise<void> {
  const sources = listTools().flatMap((t) => (t.provider ? [t.provider.source] : []))
  const text = buildCliConfig(providerMirrorDir(env), sources)
  const path = cliConfigPath(env)
  const current = await readFile(path, 'utf8').catch(() => undefined)
  if (current === text) return
  await mkdir(dirname(path), { recursive: true })
  // Atomic: a tofu init running now reads the old config or the new one, never half of it.
  await writeFileAtomic(path, text, 0o644)
}

/** Build every missing pinned tool and the agent (sequentially: builds are CPU-heavy), then write the CLI config. */
export async function installTools(options: InstallOptions): Promise<ToolResult[]> {
  const env = options.env ?? process.env
  let go: string | undefined
  const findGoOnce = () => {
    go ??= findGo(env)
    return go
  }
  const results: ToolResult[] = []
  for (const spec of listTools()) results.push(await installOne(spec, options, findGoOnce))
  results.push(await installAgent(options, findGoOnce))
  await writeCliConfig(env)
  return results
}

/** True when every tool that can be built is built, the agent too (what `npm test` checks before running). */
export function areToolsInstalled(env: NodeJS.ProcessEnv = process.env): boolean {
  const built = listTools().every((t) => unavailableReason(t, env) !== undefined || isToolInstalled(t, env))
  return built && isAgentBuilt(env) && existsSync(cliConfigPath(env))
}

/**
 * Build whatever pinned tool is missing (with progress), then check that every built binary, the agent's too,
 * is the one its stamp recorded (ToolReplacedError otherwise): they run with secrets in their environment.
 */
export async function ensureTools(options: InstallOptions): Promise<void> {
  const env = options.env ?? process.env
  if (!areToolsInstalled(env)) {
    options.out.step('Some pinned tools are missing: building them once (see `npm run tools`).')
    await installTools(options)
  }
  for (const spec of listTools()) if (unavailableReason(spec, env) === undefined) verifyToolBinary(spec, env)
  verifyAgentBinary(env)
}
