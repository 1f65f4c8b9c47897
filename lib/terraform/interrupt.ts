/**
 * Ctrl-C handling for Terraform runs. The launcher installs one `InterruptForwarder` on SIGINT. The first
 * Ctrl-C is forwarded once to the running child's process group so Terraform stops gracefully and saves its
 * state, and the run reports `interrupted`; steps not yet started do not start. A second Ctrl-C first says
 * what it risks, and only then forwards again (Terraform then exits at once).
 */
import type { Child } from '../proc.ts'

/** Printed on the first Ctrl-C. */
export const FIRST_INTERRUPT =
  'Interrupt received: asking Terraform to stop gracefully and save its state. Please wait.'
/** Printed on the second Ctrl-C, before it is forwarded. */
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

  /** The SIGINT listener (bound), for `process.on('SIGINT', forwarder.handleSigint)`. */
  readonly handleSigint = (): void => {
    this.count += 1
    if (this.count === 1) {
      this.warn(FIRST_INTERRUPT)
      this.controller.abort(new Error('interrupted'))
    } else {
      this.warn(SECOND_INTERRUPT)
    }
    this.child?.kill('SIGINT')
  }

  /** Install on `process` (or another emitter); returns the uninstaller. */
  install(target: Pick<NodeJS.Process, 'on' | 'off'> = process): () => void {
    target.on('SIGINT', this.handleSigint)
    return () => {
      target.off('SIGINT', this.handleSigint)
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
