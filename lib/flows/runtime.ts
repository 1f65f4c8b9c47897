/**
 * What every infrastructure flow shares for one command run: output, the process runner, the redactor that
 * every secret is registered with, Ctrl-C (and SIGTERM, SIGHUP) forwarding, the progress renderer and the
 * Terraform binary.
 */
import { rm } from 'node:fs/promises'
import { noteHangup } from '../cli/hangup.ts'
import type { Output } from '../cli/output.ts'
import { type Proc, realProc } from '../proc.ts'
import type { StateStore } from '../state/store.ts'
import { resolveTfBinary, type TfBinary } from '../terraform/binary.ts'
import { InterruptForwarder } from '../terraform/interrupt.ts'
import { chooseRenderMode, createRenderer } from '../terraform/progress.ts'
import { processRedactor, type Redactor } from '../terraform/redact.ts'
import type { ProgressRenderer } from '../terraform/render.ts'
import { ensureTools } from '../tools/install.ts'
import { cliConfigPath } from '../tools/paths.ts'
import { StateSealer } from './sealed-state.ts'

export type TimingCategory = 'terraform' | 'wait' | 'human'

export interface FlowRuntime {
  out: Output
  proc: Proc
  redactor: Redactor
  interrupts: InterruptForwarder
  renderer: ProgressRenderer
  readonly binary: TfBinary
  cliConfigFile: string
  /** Milliseconds spent in Terraform, in waits (host readiness, health) and with the person at the gate. */
  timings: Record<TimingCategory, number>
  /** Run `fn` and add its duration to `category`. */
  time<T>(category: TimingCategory, fn: () => Promise<T>): Promise<T>
  /** Build any missing pinned tool and resolve the Terraform binary (after the gate's preflight). */
  prepareTools(): Promise<void>
  /** Use the operator's keys for Terraform state at rest when the binary cannot encrypt it (terraform). */
  useStore(store: Pick<StateStore, 'recipients' | 'decryptFile'>): void
  /** The sealer set by useStore (only needed with the terraform binary). */
  sealer(): StateSealer
  /** Remove this directory (a Terraform child's private HOME) when the run ends. */
  removeOnDispose(dir: string): void
  /**
   * Seal any plaintext Terraform state, remove the private HOMEs, undo process-level hooks (the stop signals)
   * and stop the renderer.
   */
  dispose(): Promise<void>
}

/**
 * Build the runtime; installs the forwarder of SIGINT, SIGTERM and SIGHUP until dispose() (a closed terminal
 * first makes writes to it harmless: lib/cli/hangup.ts). Tools are built by prepareTools(), which the flows
 * call only after the gate's preflight, so CI and agents are refused before any build starts.
 */
export async function createRuntime(
  out: Output,
  tfBin: string | undefined,
  proc: Proc = realProc,
): Promise<FlowRuntime> {
  // Everything Terraform writes (state, plans, lock files) is private to the operator, encrypted or not.
  process.umask(0o077)
  let binary: TfBinary | undefined
  const interrupts = new InterruptForwarder((line) => out.warn(line))
  // Before the forwarder, so that its warning to a terminal that is gone cannot crash the process.
  process.on('SIGHUP', noteHangup)
  const uninstallForwarder = interrupts.install()
  const uninstall = () => {
    uninstallForwarder()
    process.off('SIGHUP', noteHangup)
  }
  const mode = chooseRenderMode(out)
  let sealer: StateSealer | undefined
  const scratch = new Set<string>()
  const timings: Record<TimingCategory, number> = { terraform: 0, wait: 0, human: 0 }
  const renderer = createRenderer(mode, mode === 'json' ? process.stdout : process.stderr, out.color)
  return {
    out,
    proc,
    redactor: processRedactor,
    interrupts,
    renderer,
    get binary() {
      binary ??= resolveTfBinary(tfBin)
      return binary
    },
    async prepareTools() {
      await ensureTools({ proc, out })
      binary ??= resolveTfBinary(tfBin)
    },
    cliConfigFile: cliConfigPath(),
    timings,
    async time(category, fn) {
      const started = performance.now()
      try {
        return await fn()
      } finally {
        timings[category] += performance.now() - started
      }
    },
    useStore(store) {
      sealer = new StateSealer(store)
    },
    sealer() {
      if (!sealer) throw new Error('runtime: useStore() must come before a terraform-binary phase')
      return sealer
    },
    removeOnDispose(dir) {
      scratch.add(dir)
    },
    async dispose() {
      try {
        await sealer?.sealAll()
      } finally {
        await Promise.allSettled([...scratch].map((dir) => rm(dir, { recursive: true, force: true })))
        renderer.close()
        uninstall()
      }
    },
  }
}
