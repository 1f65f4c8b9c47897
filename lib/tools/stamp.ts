/**
 * Build stamps: a tool counts as installed only when its binary exists and the stamp beside it records the
 * same build inputs as versions.json and the binary itself (binary-record.ts). `whichTool` is the checked way
 * to get a pinned binary's path: it refuses a binary that is not the one built.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ToolMissingError } from '../errors.ts'
import { isBinaryRecord, recordBinary, verifyBinary } from './binary-record.ts'
import type { ToolName } from './paths.ts'
import { toolDir } from './paths.ts'
import { binaryPath, buildFingerprint, displayVersion, getTool, type ToolSpec } from './spec.ts'
import { unavailableReason } from './vendor.ts'

interface Stamp {
  fingerprint: string
  builtAt: string
  goVersion: string
  binary: unknown
}

/**
 * `current`: built from versions.json and recorded; `unrecorded`: built from versions.json by a launcher that
 * did not record binaries yet (the installer records it); `outdated`/`missing`: to be built.
 */
export type StampStatus = 'current' | 'unrecorded' | 'outdated' | 'missing'

function stampPath(spec: ToolSpec, env: NodeJS.ProcessEnv): string {
  return join(toolDir(spec.name, env), '.stamp.json')
}

function readStamp(spec: ToolSpec, env: NodeJS.ProcessEnv): Partial<Stamp> | undefined {
  try {
    return JSON.parse(readFileSync(stampPath(spec, env), 'utf8')) as Partial<Stamp>
  } catch {
    return undefined
  }
}

/** How the tool's binary and stamp relate to versions.json (see StampStatus). */
export function stampStatus(spec: ToolSpec, env: NodeJS.ProcessEnv = process.env): StampStatus {
  const stamp = existsSync(binaryPath(spec, env)) ? readStamp(spec, env) : undefined
  if (stamp === undefined) return 'missing'
  if (stamp.fingerprint !== buildFingerprint(spec)) return 'outdated'
  return isBinaryRecord(stamp.binary) ? 'current' : 'unrecorded'
}

/** True when the tool's binary exists and was built, and recorded, from exactly the inputs in versions.json. */
export function isToolInstalled(spec: ToolSpec, env: NodeJS.ProcessEnv = process.env): boolean {
  return stampStatus(spec, env) === 'current'
}

/**
 * Why the tool cannot be used here, or undefined: a built, stamped binary in the cache is usable even where its
 * vendored sources are not (a checkout elsewhere, a child with a clean environment).
 */
export function whyUnavailable(spec: ToolSpec, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return isToolInstalled(spec, env) ? undefined : unavailableReason(spec, env)
}

/** Record that the tool's binary was just built (or, for an unrecorded stamp, found) from versions.json. */
export function writeStamp(spec: ToolSpec, goVersion: string, env: NodeJS.ProcessEnv = process.env): void {
  const stamp: Stamp = {
    fingerprint: buildFingerprint(spec),
    builtAt: new Date().toISOString(),
    goVersion,
    binary: recordBinary(binaryPath(spec, env)),
  }
  writeFileSync(stampPath(spec, env), `${JSON.stringify(stamp, null, 2)}\n`)
}

/** Record the binary of an `unrecorded` stamp as it is now (a cache built before binaries were recorded). */
export function recordExistingBinary(spec: ToolSpec, env: NodeJS.ProcessEnv = process.env): void {
  const stamp = { ...readStamp(spec, env), binary: recordBinary(binaryPath(spec, env)) }
  writeFileSync(stampPath(spec, env), `${JSON.stringify(stamp, null, 2)}\n`)
}

/** Throw ToolReplacedError unless the tool's binary is the one its stamp recorded. */
export function verifyToolBinary(spec: ToolSpec, env: NodeJS.ProcessEnv = process.env): void {
  verifyBinary(spec.name, binaryPath(spec, env), readStamp(spec, env)?.binary)
}

/** The path of a pinned, built, unreplaced binary; throws ToolMissingError or ToolReplacedError saying what to do. */
export function whichTool(name: ToolName, env: NodeJS.ProcessEnv = process.env): string {
  const spec = getTool(name)
  const label = `${name} ${displayVersion(spec)}`
  const unavailable = whyUnavailable(spec, env)
  if (unavailable)
    throw new ToolMissingError(
      name,
      `${label} is not available: ${unavailable}.`,
      spec.vendored
        ? `Put its vendored sources in a shared/vendor directory above the project or point DEBUG_CLOUD_VENDOR_DIR at one, then run \`npm run tools\`.`
        : 'Nothing to install: this tool cannot be built from the Go module proxy. Tests that need it skip loudly.',
    )
  if (!isToolInstalled(spec, env)) throw new ToolMissingError(name, `${label} is not built yet.`)
  verifyToolBinary(spec, env)
  return binaryPath(spec, env)
}
