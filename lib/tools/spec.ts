/**
 * A typed view of versions.json: which tools exist, how each is built, and where its binary goes.
 * Pure: no file system, no processes.
 */
import { join } from 'node:path'
import { type ToolName, toolDir, toolVersions } from './paths.ts'

/** Sources of a tool that the Go proxy refuses, vendored beside the project (lib/tools/vendor.ts builds them). */
export interface VendoredSource {
  /** Directory name under the vendor directory, e.g. `terraform-provider-contabo`. */
  dir: string
  /** The archive in it (tar.gz) and its SHA-256. */
  archive: string
  sha256: string
  /** The archive's top directory that `go build` runs in. */
  tree: string
  /** A second tree of the archive copied into `tree` (Contabo's generated API client), with its module path set. */
  overlay?: { from: string; to: string; module: string }
}

export interface ToolSpec {
  name: ToolName
  /** The Go module required by the throwaway build module. */
  module: string
  /** The module version required (for the docker provider a placeholder that `replace` redirects). */
  version: string
  /** The main package to build. */
  package: string
  /** `replace` lines repeated in the throwaway module, `old [v] => new v`. */
  replace: readonly string[]
  /** `go build -ldflags` (tofu: mark a release build, as its goreleaser config does). */
  ldflags?: string
  /** Providers only: the registry address (`host/namespace/type`) and the version tofu sees. */
  provider?: { source: string; version: string }
  /** Set when the Go module proxy refuses the module: the tool is reported unavailable, not built. */
  refusedByProxy?: string
  /** Built from vendored sources (vendor.ts) instead of the proxy; unavailable where they are absent. */
  vendored?: VendoredSource
}

interface RawSpec {
  module: string
  version: string
  package: string
  replace?: readonly string[]
  ldflags?: string
  source?: string
  providerVersion?: string
  refusedByProxy?: string
  vendored?: VendoredSource
}

/** Every pinned tool, in versions.json order. */
export function listTools(): ToolSpec[] {
  return (Object.keys(toolVersions) as ToolName[]).map(getTool)
}

/** The spec of one pinned tool. */
export function getTool(name: ToolName): ToolSpec {
  const raw: RawSpec = toolVersions[name]
  return {
    name,
    module: raw.module,
    version: raw.version,
    package: raw.package,
    replace: raw.replace ?? [],
    ...(raw.ldflags ? { ldflags: raw.ldflags } : {}),
    ...(raw.source && raw.providerVersion
      ? { provider: { source: raw.source, version: raw.providerVersion } }
      : {}),
    ...(raw.refusedByProxy ? { refusedByProxy: raw.refusedByProxy } : {}),
    ...(raw.vendored ? { vendored: raw.vendored } : {}),
  }
}

/** True when `name` is a key of versions.json. */
export function isToolName(name: string): name is ToolName {
  return Object.hasOwn(toolVersions, name)
}

/** The version a human sees: the provider version for providers, the module version otherwise. */
export function displayVersion(spec: ToolSpec): string {
  return spec.provider ? spec.provider.version : spec.version
}

/** File name of the built binary inside toolDir: `sops`, `tofu`, `terraform-provider-<type>`. */
export function binaryName(spec: ToolSpec): string {
  if (!spec.provider) return spec.package.split('/').at(-1) ?? spec.name
  return `terraform-provider-${providerType(spec.provider.source)}`
}

/** Path of the built binary in the tool cache. */
export function binaryPath(spec: ToolSpec, env: NodeJS.ProcessEnv = process.env): string {
  return join(toolDir(spec.name, env), binaryName(spec))
}

/** The last segment of a provider source address (`kreuzwerker/docker` → `docker`). */
export function providerType(source: string): string {
  return source.split('/').at(-1) ?? source
}

/**
 * What the stamp records: everything that changes the built binary. A stamp that differs means rebuild.
 */
export function buildFingerprint(spec: ToolSpec): string {
  return JSON.stringify({
    module: spec.module,
    version: spec.version,
    package: spec.package,
    replace: spec.replace,
    ldflags: spec.ldflags ?? '',
    ...(spec.vendored ? { vendored: spec.vendored } : {}),
  })
}

/** go.mod of the throwaway module that requires the tool (go mod tidy fills in the rest). */
export function buildGoMod(spec: ToolSpec): string {
  const lines = [
    'module debugcloud.local/toolbuild',
    '',
    'go 1.22',
    '',
    `require ${spec.module} ${spec.version}`,
  ]
  if (spec.replace.length > 0) lines.push('', ...spec.replace.map((r) => `replace ${r}`))
  return `${lines.join('\n')}\n`
}

/** `go build` argv writing the tool's binary to `output`. */
export function buildGoBuildArgv(go: string, spec: ToolSpec, output: string): string[] {
  const ldflags = spec.ldflags === undefined ? [] : [`-ldflags=${spec.ldflags}`]
  return [go, 'build', ...ldflags, '-o', output, spec.package]
}

/** tools.go of the throwaway module: a blank import so `go mod tidy` keeps the package's dependencies. */
export function buildToolsGo(spec: ToolSpec): string {
  return `//go:build tools\n\npackage tools\n\nimport _ "${spec.package}"\n`
}
