/**
 * Waiting for a new host: SSH with the pinned host key answers, cloud-init has finished, and Docker answers —
 * all under one overall timeout. One SSH connection does all of it: it waits on the host for cloud-init
 * (`cloud-init status --wait --long`, see buildReadinessScript) and then runs `docker info`, printing a marker
 * line after each stage, so the launcher notices the end of cloud-init within a few tens of milliseconds
 * instead of polling over SSH.
 * Only a failed attempt (SSH not up yet, Docker still starting) is retried, with a fresh connection.
 *
 * cloud-init's verdict: exit 0 is done; 2 is "done with recoverable errors" (cloud-init 23.4 and later;
 * 22.4, Debian 12's, has no exit 2) and counts as done; 1 is an error, which no waiting repairs, so it is
 * reported at once with cloud-init's own detail lines. A host key mismatch is not retried either.
 */
import type { Proc, RunResult } from '../proc.ts'
import { buildChildEnv } from '../proc.ts'
import { CloudInitError, HostKeyMismatchError, HostNotReadyError, WaitInterruptedError } from './errors.ts'
import { buildSshArgs, type SshTarget } from './target.ts'

export type ReadinessStage = 'ssh' | 'cloud-init' | 'docker'

export interface WaitOptions {
  timeoutMs: number
  /** Pause between failed attempts. */
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

/** The marker the remote script prints after each stage: `<MARK> <stage> <exit code>`. */
export const READY_MARK = 'debug-cloud-ready'

const DOCKER_INFO = "docker info --format '{{.ServerVersion}}'"

/**
 * The remote script for the remaining stages (ssh is reached when it runs at all).
 *
 * cloud-init: `cloud-init status --wait --long` runs in the background, and it alone gives the verdict when
 * there is anything to say (an error, in its own words; "disabled"). It re-reads its status every 250 ms in
 * Python, which on a loaded 2-core machine meant 0.6 s after cloud-init's end, so the script also watches
 * for /run/cloud-init/result.json, the last file cloud-init writes when it finishes, every 20 ms with shell
 * builtins: when that file exists and lists no errors, cloud-init is done (exactly what `cloud-init status`
 * concludes from the same file) and the script moves on without waiting for the next poll.
 *
 * cloud-init's dots go straight to the connection: when the launcher gives up and the connection closes, the
 * next dot fails (EPIPE) and takes the waiter, then the script, down, as a plain `cloud-init status --wait`
 * would go; nothing is left waiting on the host.
 *
 * Docker runs under `sg docker` when the login predates the user's docker membership: cloud-init adds it at
 * the end of the first boot, while this connection may have logged in before, and a login's groups never
 * change. (`member` without an argument asks this login's groups, with one the group database.)
 */
export function buildReadinessScript(stages: readonly ReadinessStage[]): string {
  const lines = [`echo ${READY_MARK} ssh 0`]
  if (stages.includes('cloud-init'))
    lines.push(
      'cloud-init status --wait --long & waiter=$! r=/run/cloud-init/result.json',
      'while kill -0 $waiter 2>/dev/null && [ ! -e $r ]; do sleep 0.02; done',
      `if [ -e $r ] && tr -d ' \\n' <$r | grep -q '"errors":\\[\\]'; then kill $waiter; code=0; else wait $waiter; code=$?; fi`,
      `echo; echo "${READY_MARK} cloud-init $code"`,
    )
  if (stages.includes('docker'))
    lines.push(
      "member() { id -nG $1 | tr ' ' '\\n' | grep -qx docker; }",
      `if member || ! member "$(id -un)"; then ${DOCKER_INFO}; else sg docker -c "${DOCKER_INFO}"; fi`,
      `echo "${READY_MARK} docker $?"`,
    )
  return lines.join('\n')
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n')
  return lines[lines.length - 1] ?? ''
}

/**
 * What `cloud-init status --wait --long` printed, without the dots --wait prints while it waits.
 * From `detail:` on (22.4 puts the errors under it; 23.4 adds an `errors:` list) is cloud-init's own account
 * of a failure.
 */
export function cloudInitDetail(output: readonly string[]): string[] {
  const text = output.map((l) => l.replace(/^\.+/, '').trim()).filter((l) => l !== '')
  const start = text.findIndex((l) => l.startsWith('detail:'))
  const detail = (start < 0 ? text : text.slice(start))
    .map((l) => l.replace(/^detail:\s*/, ''))
    .filter((l) => l !== '' && l !== 'recoverable_errors: {}')
  return detail.length > 0 ? detail : ['(cloud-init printed no detail)']
}

interface Attempt {
  /** The stage the connection was in when it ended, with its exit code (null: cut off). */
  failed?: { stage: ReadinessStage; exitCode: number | null; output: string[] }
  result: RunResult
}

/** One connection running the script; returns as soon as the last wanted stage passes. */
async function attempt(
  proc: Proc,
  target: SshTarget,
  stages: readonly ReadinessStage[],
  signal: AbortSignal,
  onPassed: (stage: ReadinessStage) => void,
): Promise<Attempt> {
  const child = proc.start(buildSshArgs(target, [buildReadinessScript(stages)]), {
    env: buildChildEnv(),
    signal,
  })
  const passed: ReadinessStage[] = []
  let output: string[] = []
  let failed: Attempt['failed']
  for await (const line of child.lines()) {
    const mark = line.startsWith(`${READY_MARK} `) ? line.split(' ') : undefined
    if (!mark) {
      output.push(line)
      continue
    }
    const stage = mark[1] as ReadinessStage
    if (!stages.includes(stage)) continue
    const exitCode = Number(mark[2])
    const accepted = stage === 'cloud-init' ? exitCode === 0 || exitCode === 2 : exitCode === 0
    if (!accepted) {
      failed = { stage, exitCode, output }
      break
    }
    passed.push(stage)
    onPassed(stage)
    output = []
    if (stages.every((s) => passed.includes(s))) break
  }
  // The script has nothing left to say once a stage failed or the last one passed.
  child.kill('SIGTERM')
  const result = await child.done
  const next = stages.find((s) => !passed.includes(s))
  if (failed === undefined && next !== undefined) failed = { stage: next, exitCode: null, output }
  return { ...(failed ? { failed } : {}), result }
}

function describe(a: Attempt, failed: NonNullable<Attempt['failed']>, timedOut: boolean): string {
  const said = lastLine(a.result.stderr) || 'no output'
  if (failed.stage === 'ssh') return `ssh check failed (exit ${a.result.exitCode ?? 'none'}): ${said}`
  if (failed.exitCode !== null)
    return `${failed.stage} check failed (exit ${failed.exitCode}): ${lastLine(failed.output.join('\n')) || 'no output'}`
  return timedOut
    ? `${failed.stage} check did not finish in time`
    : `the connection ended during the ${failed.stage} check (ssh exit ${a.result.exitCode ?? 'none'}): ${said}`
}

/** Block until the host passes every stage, or throw HostKeyMismatchError / CloudInitError / HostNotReadyError. */
export async function waitForHost(proc: Proc, target: SshTarget, options: WaitOptions): Promise<void> {
  const now = options.now ?? Date.now
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)))
  const deadline = now() + options.timeoutMs
  const wanted = options.stages ?? ['ssh', 'cloud-init', 'docker']
  const remaining = (['ssh', 'cloud-init', 'docker'] as const).filter((s) => wanted.includes(s))
  let problem = 'no attempt made'
  const reached = new Set<ReadinessStage>()
  const reach = (stage: ReadinessStage | undefined) => {
    if (stage === undefined || reached.has(stage)) return
    reached.add(stage)
    options.onProgress?.(stage)
  }
  reach(remaining[0])
  for (;;) {
    if (options.signal?.aborted) throw new WaitInterruptedError(target.host)
    const left = deadline - now()
    if (left <= 0) throw new HostNotReadyError(target.host, Math.round(options.timeoutMs / 1000), problem)
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(), left)
    const stop = () => controller.abort()
    options.signal?.addEventListener('abort', stop, { once: true })
    const a = await attempt(proc, target, remaining, controller.signal, (stage) => {
      remaining.splice(remaining.indexOf(stage), 1)
      reach(remaining[0])
    })
    clearTimeout(timer)
    options.signal?.removeEventListener('abort', stop)
    if (options.signal?.aborted) throw new WaitInterruptedError(target.host)
    if (a.failed === undefined) return
    if (a.failed.stage === 'ssh' && isHostKeyFailure(a.result.stderr))
      throw new HostKeyMismatchError(target.host)
    if (a.failed.stage === 'cloud-init' && a.failed.exitCode === 1)
      throw new CloudInitError(target.host, cloudInitDetail(a.failed.output))
    problem = describe(a, a.failed, controller.signal.aborted)
    options.onProgress?.(a.failed.stage, problem)
    await sleep(options.pollMs ?? 1000)
  }
}
