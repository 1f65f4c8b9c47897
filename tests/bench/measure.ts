/** Shared by the benchmark parts: medians of samples and of timed runs. */

/** The median of `values` (the upper middle one for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN
}

/** Run `fn` `rounds` times (it gets the round number) and return the median duration in ms. */
export async function medianTime(fn: (round: number) => unknown, rounds: number): Promise<number> {
  const times: number[] = []
  for (let i = 0; i < rounds; i++) {
    const start = performance.now()
    await fn(i)
    times.push(performance.now() - start)
  }
  return median(times)
}
