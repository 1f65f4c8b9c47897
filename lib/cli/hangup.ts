/**
 * Surviving a closed terminal (SIGHUP) long enough to clean up. A command that handles SIGHUP to seal or remove
 * plaintext (Terraform runs, `state edit`) keeps running after its terminal is gone, and then two things would
 * kill it badly: every write to the lost terminal fails with EIO, and an unhandled stream error crashes the
 * process before its cleanup ran; and at exit Node resets the terminal, which aborts on a hung-up one (SIGABRT,
 * and a core dump would hold the secrets in memory). So writes are made harmless once the terminal is gone,
 * and such a process ends by re-raising SIGHUP with its default action, which skips that reset.
 */

let hungUp = false

/** Record that the terminal is gone and make further writes to it harmless (call from a SIGHUP listener). */
export function noteHangup(): void {
  if (hungUp) return
  hungUp = true
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined)
}

/** Once the work after a hangup is done, end the process as an unhandled SIGHUP would; a no-op otherwise. */
export function endAfterHangup(): void {
  if (!hungUp) return
  process.removeAllListeners('SIGHUP')
  process.kill(process.pid, 'SIGHUP')
}

/** End the process after cleaning up for `signal`: by the signal itself for SIGHUP, else with `code`. */
export function exitAfterSignal(signal: NodeJS.Signals, code: number): void {
  if (signal === 'SIGHUP') {
    noteHangup()
    endAfterHangup()
  } else process.exit(code)
}
