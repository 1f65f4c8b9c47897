/**
 * Waiting for a new host: SSH with the pinned host key answers, cloud-init has finished (exit 0, or 2 =
 * "done with recoverable errors" since cloud-init 23.4), and Docker answers — all under one overall timeout.
 * A host key mismatch is not retried: it is named at once.
 */
import type { Proc } from '../proc.ts'
import { buildChildEnv } from '../proc.ts'
import { HostKeyMismatchError, HostNotReadyError, WaitInterruptedError } from './errors.ts'
import { buildSshArgs, type SshTarget } from './target.ts'

export type ReadinessStage = 'ssh' | 'cloud-init' | 'docker'

export interface WaitOptions {
  timeoutMs: number
  pollMs?: number
  /** Called once per stage when it is reached, and with each problem while retrying. */
  onProgress?: (stage: ReadinessStage, problem?: string) => void
  /** Aborted by Ctrl-C: stop waiting at once. */
  signal?: AbortSignal
  /** Stages to check, in order (default all three; an existing server without cloud-init skips it). */
  stages?: readonly ReadinessStage[]
  now?: () => number
  sleep?: (ms: number) => Promise<void>
}

/** True when ssh's stderr says the pinned key did not match. */
export function isHostKeyFailure(stderr: string): boolean {
  return /Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|No (?:ED25519|RSA|ECDSA) host key is known/i.test(
    stderr,
  )
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n')
  return lines[lines.length - 1] ?? ''
}

const STAGES: readonly { stage: ReadinessStage; remote: string[]; accept: number[] }[] = [
  { stage: 'ssh', remote: ['true'], accept: [0] },
  { stage: 'cloud-init', remote: ['cloud-init', 'status', '--wait'], accept: [0, 2] },
  { stage: 'docker', remote: ['docker', 'info', '--format', '{{.ServerVersion}}'], accept: [0] },
]

/** Block until the host passes every stage, or throw HostKeyMismatchError / HostNotReadyError. */
export async function waitForHost(proc: Proc, target: SshTarget, options: WaitOptions): Promise<void> {
  const now = options.now ?? Date.now
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)))
  const deadline = now() + options.timeoutMs
  const env = buildChildEnv()
  const wanted = options.stages ?? ['ssh', 'cloud-init', 'docker']
  const stages = STAGES.filter((s) => wanted.includes(s.stage))
  let problem = 'no attempt made'
  for (const { stage, remote, accept } of stages) {
    options.onProgress?.(stage)
    for (;;) {
      if (options.signal?.aborted) throw new WaitInterruptedError(target.host)
      const remaining = deadline - now()
      if (remaining <= 0)
        throw new HostNotReadyError(target.host, Math.round(options.timeoutMs / 1000), problem)
      const controller = new AbortController()
      const timer = setTimeout(() => controller.abort(), remaining)
      const stop = () => controller.abort()
      options.signal?.addEventListener('abort', stop, { once: true })
      const result = await proc.run(buildSshArgs(target, remote), { env, signal: controller.signal })
      clearTimeout(timer)
      options.signal?.removeEventListener('abort', stop)
      if (options.signal?.aborted) throw new WaitInterruptedError(target.host)
      if (result.exitCode !== null && accept.includes(result.exitCode)) break
      if (isHostKeyFailure(result.stderr)) throw new HostKeyMismatchError(target.host)
      problem =
        result.exitCode === null
          ? `${stage} check did not finish in time`
          : `${stage} check failed (exit ${result.exitCode}): ${lastLine(result.stderr || result.stdout) || 'no output'}`
      options.onProgress?.(stage, problem)
      await sleep(options.pollMs ?? 1000)
    }
  }
}
