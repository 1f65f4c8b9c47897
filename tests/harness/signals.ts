/**
 * One SIGINT/SIGTERM handler for everything the harness started (benches, machines): it awaits every
 * registered stop before the process exits, so one kind of clean-up never cuts another short.
 */
const stoppers = new Set<() => Promise<void>>()

function installHandlers(): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    if (process.listeners(signal).some((l) => l.name === 'stopHarnessOnSignal')) continue
    process.once(signal, async function stopHarnessOnSignal() {
      await Promise.allSettled([...stoppers].map((stop) => stop()))
      process.exit(signal === 'SIGINT' ? 130 : 143)
    })
  }
}

/** Run `stop` if the process is interrupted; returns the function that takes it back (after a normal stop). */
export function stopOnSignal(stop: () => Promise<void>): () => void {
  installHandlers()
  stoppers.add(stop)
  return () => stoppers.delete(stop)
}
