/**
 * A real stack for the day-two tests: one bench host, a throw-away operator (real age identity sealed with a
 * passphrase, profile and secrets dir), and the REAL `cloud:up --provider local` onto the host over pinned SSH,
 * approved by typing the passphrase and the stack name in a pseudo-terminal with a clean environment.
 */
import type { StateStore } from '../../lib/state/store.ts'
import { Sandbox } from '../gate/sandbox.ts'
import { startBench } from '../harness/hosts.ts'
import type { TestBench, TestHost } from '../harness/types.ts'
import { answerPassphrase, openSealedTestStore } from '../helpers/operator.ts'
import { type PtySession, spawnTsxPty } from '../helpers/pty.ts'

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
  /** A script of the product in a pty with that environment; the passphrase is typed when it is asked. */
  spawn(script: string, args: readonly string[], extra?: Record<string, string>): PtySession
  /** The operator's store, opened in this process with the sealed identity. */
  store(): Promise<StateStore>
  stop(): Promise<void>
}

/** `cloud:up`'s flags for the stack on `host`: no --image, so the default, the reference server the host has. */
export function upArgs(host: TestHost): string[] {
  return [
    '--provider', 'local',
    '--stack-name', STACK,
    '--operator', OPERATOR,
    '--docker-host', host.dockerHost,
    '--known-hosts', host.knownHostsPath,
    '--ssh-key', host.clientKeyPath,
    '--ports', `127.0.0.1:${APP_PORT}:${APP_INTERNAL_PORT}`,
  ] // biome-ignore format: flag/value pairs
}

/** Start a bench host and run `cloud:up` onto it; throws with the transcript when up fails. */
export async function bringUp(): Promise<LiveStack> {
  await ensureTestTools()
  const bench = await startBench(1)
  const box = new Sandbox()
  await box.ready
  const host = bench.hosts[0]!
  const env = box.env()
  const spawn = (script: string, args: readonly string[], extra: Record<string, string> = {}) =>
    answerPassphrase(spawnTsxPty(script, args, { env: { ...env, ...extra } }), box.passphrase)
  const store = () => openSealedTestStore(OPERATOR, { ...process.env, ...env }, box.passphrase)
  const stop = async () => {
    box.cleanup()
    await bench.stop()
  }
  try {
    const up = spawn('scripts/up.ts', upArgs(host))
    await up.expect(`Type ${STACK} to continue`, 120_000)
    up.type(`${STACK}\r`)
    const code = await up.exitCode(180_000)
    if (code !== 0) throw new Error(`cloud:up failed (${code}):\n${up.transcript}`)
    return { bench, host, box, env, spawn, store, stop }
  } catch (error) {
    await stop()
    throw error
  }
}
