/**
 * Where pinned tools live: `$XDG_CACHE_HOME/debug-cloud/tools/<name>/<version>/` (default ~/.cache),
 * outside the repository. The versions themselves are in versions.json beside this file.
 */
import { homedir } from 'node:os'
import { join } from 'node:path'
import versions from './versions.json' with { type: 'json' }

export type ToolName = keyof typeof versions

export const toolVersions = versions

/** Root of the tool cache, honouring XDG_CACHE_HOME. */
export function toolCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const base =
    env.XDG_CACHE_HOME && env.XDG_CACHE_HOME !== '' ? env.XDG_CACHE_HOME : join(homedir(), '.cache')
  return join(base, 'debug-cloud', 'tools')
}

/** The directory of one pinned tool version. */
export function toolDir(name: ToolName, env: NodeJS.ProcessEnv = process.env): string {
  return join(toolCacheRoot(env), name, versions[name].version)
}

/** Path of the pinned sops binary (it may not be built yet). */
export function sopsBinary(env: NodeJS.ProcessEnv = process.env): string {
  return join(toolDir('sops', env), 'sops')
}

/** Path of the pinned OpenTofu binary (it may not be built yet). */
export function tofuBinary(env: NodeJS.ProcessEnv = process.env): string {
  return join(toolDir('tofu', env), 'tofu')
}

/** The provider filesystem mirror (`<host>/<namespace>/<type>/<version>/<os>_<arch>/terraform-provider-<type>_v<version>`). */
export function providerMirrorDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(toolCacheRoot(env), 'providers-mirror')
}

/** The CLI config file (TF_CLI_CONFIG_FILE) that makes `tofu init` use only the mirror, offline. */
export function cliConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(toolCacheRoot(env), 'tofu.rc')
}
