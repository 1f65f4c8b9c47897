/**
 * Providers built from vendored sources instead of the Go module proxy (which refuses Contabo's): a
 * `shared/vendor/<dir>` directory beside the project (the test bench, CI) or `$DEBUG_CLOUD_VENDOR_DIR/<dir>`
 * holds an archive of unmodified upstream trees. Real users get such a provider from the registry; a
 * machine without the directory reports the provider unavailable, with this reason.
 */
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { CliError, ExitCode } from '../errors.ts'
import { projectRoot } from '../state/paths.ts'
import type { ToolSpec, VendoredSource } from './spec.ts'

/** The vendor directories searched, in order: DEBUG_CLOUD_VENDOR_DIR, then `shared/vendor` in each ancestor. */
export function vendorDirs(env: NodeJS.ProcessEnv = process.env, root: string = projectRoot): string[] {
  const dirs: string[] = []
  if (env.DEBUG_CLOUD_VENDOR_DIR) dirs.push(resolve(env.DEBUG_CLOUD_VENDOR_DIR))
  for (let dir = dirname(root); ; dir = dirname(dir)) {
    dirs.push(join(dir, 'shared', 'vendor'))
    if (dirname(dir) === dir) break
  }
  return dirs
}

/** The directory holding the source's archive, or undefined when no vendor directory has it. */
export function findVendored(
  source: VendoredSource,
  env: NodeJS.ProcessEnv = process.env,
  root: string = projectRoot,
): string | undefined {
  return vendorDirs(env, root)
    .map((d) => join(d, source.dir))
    .find((d) => existsSync(join(d, source.archive)))
}

/** Why the source cannot be built here (no vendor directory has it), or undefined when it can. */
export function whyNotVendored(
  source: VendoredSource,
  env: NodeJS.ProcessEnv = process.env,
  root: string = projectRoot,
): string | undefined {
  if (findVendored(source, env, root) !== undefined) return undefined
  const where = env.DEBUG_CLOUD_VENDOR_DIR
    ? `, nor in DEBUG_CLOUD_VENDOR_DIR=${env.DEBUG_CLOUD_VENDOR_DIR}`
    : ''
  return `its vendored sources (${join(source.dir, source.archive)}) are in no shared/vendor directory above ${root}${where}, and the Go module proxy refuses this provider`
}

/** The archive's SHA-256, refused when it is not the pinned one (the sources were replaced). */
export function verifyArchive(source: VendoredSource, dir: string): string {
  const path = join(dir, source.archive)
  const actual = createHash('sha256').update(readFileSync(path)).digest('hex')
  if (actual !== source.sha256)
    throw new CliError(
      `${path} has SHA-256 ${actual}, not the pinned ${source.sha256}; refusing to build it.`,
      {
        hint: 'Restore the vendored archive (its SHA256SUMS file names the expected hash) and run `npm run tools` again.',
        exitCode: ExitCode.toolMissing,
      },
    )
  return path
}

/** Why the tool cannot be built on this machine (refused by the proxy, vendored sources absent), if so. */
export function unavailableReason(spec: ToolSpec, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (spec.refusedByProxy) return spec.refusedByProxy
  return spec.vendored && whyNotVendored(spec.vendored, env)
}
