/**
 * Ctrl-C handling for Terraform runs, and the same for SIGTERM (a `kill`, a shutdown) and SIGHUP (the terminal
 * closed): the launcher installs one `InterruptForwarder` on all three. The first signal is forwarded once, as
 * SIGINT, to the running child's process group so Terraform stops gracefully and saves its state, and the run
 * reports `interrupted`; steps not yet started do not start, and the runtime seals and removes its plaintext
 * on the way out. A second signal first says what it risks, and only then forwards again (Terraform then exits
 * at once).
 */
import type { Child } from '../proc.ts'

/** The signals that stop a run the way Ctrl-C does. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const
export type StopSignal = (typeof STOP_SIGNALS)[number]

/** Printed on the first signal. */
export function firstInterruptMessage(signal: StopSignal): string {
  const what = signal === 'SIGINT' ? 'Interrupt' : signal
  return `${what} received: asking Terraform to stop gracefully and save its state. Please wait.`
}

/** Printed on the first Ctrl-C. */
export const FIRST_INTERRUPT = firstInterruptMessage('SIGINT')
/** Printed on the second signal, before it is forwarded. */
export const SECOND_INTERRUPT =
  'Second interrupt: Terraform will exit immediately. Resources being created or destroyed right now may be left running but missing from the state (check the provider console, then run cloud:up or cloud:destroy again).'

export class InterruptForwarder {
  private child: Pick<Child, 'kill'> | undefined
  private count = 0
  private readonly controller = new AbortController()

  /** `warn` receives the messages for the person pressing Ctrl-C. */
  constructor(private readonly warn: (line: string) => void) {}

  /** Aborted on the first Ctrl-C; steps check it before they start. */
  get signal(): AbortSignal {
    return this.controller.signal
  }

  get interrupted(): boolean {
    return this.count > 0
  }

  /** The listener of every stop signal (bound), for `process.on('SIGTERM', forwarder.handleSignal)`. */
  readonly handleSignal = (signal: StopSignal = 'SIGINT'): void => {
    this.count += 1
    if (this.count === 1) {
      this.warn(firstInterruptMessage(signal))
      this.controller.abort(new Error('interrupted'))
    } else {
      this.warn(SECOND_INTERRUPT)
    }
    // Terraform stops gracefully on SIGINT; the child leads its own session, so no terminal signal reaches it.
    this.child?.kill('SIGINT')
  }

  /** Install on `process` (or another emitter) for every stop signal; returns the uninstaller. */
  install(target: Pick<NodeJS.Process, 'on' | 'off'> = process): () => void {
    for (const signal of STOP_SIGNALS) target.on(signal, this.handleSignal)
    return () => {
      for (const signal of STOP_SIGNALS) target.off(signal, this.handleSignal)
    }
  }

  /** The child that Ctrl-C is forwarded to while it runs; returns the detacher. */
  attach(child: Pick<Child, 'kill'>): () => void {
    this.child = child
    return () => {
      if (this.child === child) this.child = undefined
    }
  }
}
