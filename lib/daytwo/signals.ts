/**
 * Waiting in the foreground until the operator presses Ctrl-C (or the process is told to stop), with the
 * listeners removed again on every path so nothing outlives the wait.
 */

/** Resolve when SIGINT or SIGTERM arrives, or when `ended` resolves (then: 'ended'). */
export function waitForStop(ended: Promise<void>): Promise<'signal' | 'ended'> {
  return new Promise((done) => {
    const onSignal = () => finish('signal')
    const finish = (why: 'signal' | 'ended') => {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      done(why)
    }
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
    void ended.then(() => finish('ended'))
  })
}
