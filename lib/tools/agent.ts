/**
 * The unlock agent's binary (lib/gate/agent, Go): built from the repository's own sources into the tool
 * cache, one directory per source hash (`<cache>/debug-cloud-agent/<hash>/`), so worktrees with
 * different sources never overwrite each other's binary. Its stamp records the source hash, the Go version
 * and the binary itself (binary-record.ts); `npm run tools` rebuilds when either changes, running it only
 * needs the source hash to match and the binary to be the one recorded.
 */
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ToolMissingError } from '../errors.ts'
import { isBinaryRecord, recordBinary, verifyBinary } from './binary-record.ts'
import { toolCacheRoot } from './paths.ts'

export const AGENT_NAME = 'debug-cloud-agent'

/** The Go module of the agent. */
export const AGENT_SOURCE_DIR = join(import.meta.dirname, '..', 'gate', 'agent')

interface AgentStamp {
  sourceHash: string
  goVersion: string
  builtAt: string
  binary: unknown
}

/** The files the binary is built from: the Go files except tests, go.mod and go.sum, sorted. */
export function listAgentSources(): string[] {
  return readdirSync(AGENT_SOURCE_DIR)
    .filter((f) => (f.endsWith('.go') && !f.endsWith('_test.go')) || f === 'go.mod' || f === 'go.sum')
    .sort()
}

/** SHA-256 over each source's name and content (first 16 hex digits): the binary's identity. */
export function agentSourceHash(): string {
  const hash = createHash('sha256')
  for (const name of listAgentSources()) {
    hash.update(`${name}\0`)
    hash.update(readFileSync(join(AGENT_SOURCE_DIR, name)))
    hash.update('\0')
  }
  return hash.digest('hex').slice(0, 16)
}

/** The directory of the binary built from the current sources. */
export function agentDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(toolCacheRoot(env), AGENT_NAME, agentSourceHash())
}

/** Where the binary built from the current sources goes (it may not be built yet). */
export function agentBinaryPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(agentDir(env), AGENT_NAME)
}

function stampPath(env: NodeJS.ProcessEnv): string {
  return join(agentDir(env), '.stamp.json')
}

function readAgentStamp(env: NodeJS.ProcessEnv): Partial<AgentStamp> | undefined {
  try {
    return JSON.parse(readFileSync(stampPath(env), 'utf8')) as Partial<AgentStamp>
  } catch {
    return undefined
  }
}

/** True when the recorded binary of the current sources exists (and was built by `goVersion`, when given). */
export function isAgentBuilt(env: NodeJS.ProcessEnv = process.env, goVersion?: string): boolean {
  if (!existsSync(agentBinaryPath(env))) return false
  const stamp = readAgentStamp(env)
  return (
    stamp?.sourceHash === agentSourceHash() &&
    (goVersion === undefined || stamp.goVersion === goVersion) &&
    isBinaryRecord(stamp.binary)
  )
}

/** Record that the binary was just built from the current sources by `goVersion`. */
export function writeAgentStamp(goVersion: string, env: NodeJS.ProcessEnv = process.env): void {
  const stamp: AgentStamp = {
    sourceHash: agentSourceHash(),
    goVersion,
    builtAt: new Date().toISOString(),
    binary: recordBinary(agentBinaryPath(env)),
  }
  writeFileSync(stampPath(env), `${JSON.stringify(stamp, null, 2)}\n`)
}

/** Throw ToolReplacedError unless the agent's binary is the one its stamp recorded. */
export function verifyAgentBinary(env: NodeJS.ProcessEnv = process.env): void {
  verifyBinary(AGENT_NAME, agentBinaryPath(env), readAgentStamp(env)?.binary)
}

/** `go build` argv writing the agent to `output` (run in AGENT_SOURCE_DIR; go.sum must already agree). */
export function buildAgentArgv(go: string, output: string): string[] {
  return [go, 'build', '-trimpath', '-buildvcs=false', '-mod=readonly', '-o', output, '.']
}

/** The path of the built, unreplaced agent; throws ToolMissingError or ToolReplacedError saying what to do. */
export function agentBinary(env: NodeJS.ProcessEnv = process.env): string {
  if (!isAgentBuilt(env))
    throw new ToolMissingError(
      AGENT_NAME,
      `The unlock agent (${AGENT_NAME}) is not built for these sources yet.`,
    )
  verifyAgentBinary(env)
  return agentBinaryPath(env)
}
