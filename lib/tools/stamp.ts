/**
 * Build stamps: a tool counts as installed only when its binary exists and the stamp beside it records
 * the same build inputs as versions.json. `whichTool` is the checked way to get a pinned binary's path.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ToolMissingError } from '../errors.ts'
import type { ToolName } from './paths.ts'
import { toolDir } from './paths.ts'
import { binaryPath, buildFingerprint, displayVersion, getTool, type ToolSpec } from './spec.ts'

interface Stamp {
  fingerprint: string
  builtAt: string
  goVersion: string
}

function stampPath(spec: ToolSpec, env: NodeJS.ProcessEnv): string {
  return join(toolDir(spec.name, env), '.stamp.json')
}

/** True when the tool's binary exists and was built from exactly the inputs in versions.json. */
export function isToolInstalled(spec: ToolSpec, env: NodeJS.ProcessEnv = process.env): boolean {
  if (!existsSync(binaryPath(spec, env))) return false
  try {
    const stamp = JSON.parse(readFileSync(stampPath(spec, env), 'utf8')) as Partial<Stamp>
    return stamp.fingerprint === buildFingerprint(spec)
  } catch {
    return false
  }
}

/** Record that the tool was just built from the inputs in versions.json. */
export function writeStamp(spec: ToolSpec, goVersion: string, env: NodeJS.ProcessEnv = process.env): void {
  const stamp: Stamp = { fingerprint: buildFingerprint(spec), builtAt: new Date().toISOString(), goVersion }
  writeFileSync(stampPath(spec, env), `${JSON.stringify(stamp, null, 2)}\n`)
}

/** The path of a pinned, built binary; throws ToolMissingError saying how to get it. */
export function whichTool(name: ToolName, env: NodeJS.ProcessEnv = process.env): string {
  const spec = getTool(name)
  const label = `${name} ${displayVersion(spec)}`
  if (spec.refusedByProxy)
    throw new ToolMissingError(
      name,
      `${label} is not available: ${spec.refusedByProxy}.`,
      'Nothing to install: this tool cannot be built from the Go module proxy. Tests that need it skip loudly.',
    )
  if (!isToolInstalled(spec, env)) throw new ToolMissingError(name, `${label} is not built yet.`)
  return binaryPath(spec, env)
}
