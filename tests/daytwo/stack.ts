/**
 * A real stack for the day-two tests: one bench host, a throw-away operator (real age identity, profile and
 * secrets dir), and the REAL `cloud:up --provider local` onto the host over pinned SSH, approved by typing the
 * stack name in a pseudo-terminal with a clean environment.
 */
import { resolve } from 'node:path'
import { toolCacheRoot } from '../../lib/tools/paths.ts'
import { Sandbox } from '../gate/sandbox.ts'
import { startBench } from '../harness/hosts.ts'
import type { TestBench, TestHost } from '../harness/types.ts'
import { spawnTsxPty } from '../helpers/pty.ts'
import { ensureTestTools } from '../helpers/tools.ts'

export const STACK = 'lab-1'
export const OPERATOR = 'alice'
/** Port the app publishes on the host's loopback, and the reference server's port inside the container. */
export const APP_PORT = 18080
export const APP_INTERNAL_PORT = 8080

export interface LiveStack {
  bench: TestBench
  host: TestHost
  box: Sandbox
  /** Clean environment of a CLI child acting for the operator. */
  env: Record<string, string>
  stop(): Promise<void>
}

/** Start a bench host and run `cloud:up` onto it; throws with the transcript when up fails. */
export async function bringUp(): Promise<LiveStack> {
  await ensureTestTools()
  const bench = await startBench(1)
  const box = new Sandbox()
  const host = bench.hosts[0]!
  // The pinned tools live in this machine's cache, not in the sandbox HOME.
  const env = box.env({ XDG_CACHE_HOME: resolve(toolCacheRoot(), '..', '..') })
  const stop = async () => {
    box.cleanup()
    await bench.stop()
  }
  try {
    const up = spawnTsxPty(
      'scripts/up.ts',
      [
        '--provider',
        'local',
        '--stack-name',
        STACK,
        '--operator',
        OPERATOR,
        '--docker-host',
        host.dockerHost,
        '--known-hosts',
        host.knownHostsPath,
        '--ssh-key',
        host.clientKeyPath,
        '--image',
        host.image,
        '--ports',
        `127.0.0.1:${APP_PORT}:${APP_INTERNAL_PORT}`,
      ],
      { env },
    )
    await up.expect(`Type ${STACK} to continue`, 120_000)
    up.type(`${STACK}\r`)
    const code = await up.exitCode(180_000)
    if (code !== 0) throw new Error(`cloud:up failed (${code}):\n${up.transcript}`)
    return { bench, host, box, env, stop }
  } catch (error) {
    await stop()
    throw error
  }
}
