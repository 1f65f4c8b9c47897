/**
 * Inventory writes go through `store.update` (the state lock). A pin is a short command that someone may run
 * while another one holds the lock, so it waits a bounded time for the lock, and re-applies its change on top
 * of a file that a hand edit changed in between, instead of failing at once.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { LockHeldError, StateConflictError } from '../state/errors.ts'
import type { StateDocument } from '../state/schema.ts'
import type { StateStore } from '../state/store.ts'

/** How long a sessions command waits for a state lock that another live command holds. */
export const LOCK_WAIT_MS = 15_000

/** True for the errors that go away when the same change is applied again a little later. */
export function isRetryable(error: unknown): boolean {
  return error instanceof LockHeldError || error instanceof StateConflictError
}

/**
 * Apply `change` under the state lock and write its document; waits up to `waitMs` for a held lock or a
 * concurrent hand edit, then gives up with that error. Returns what `change` returned.
 */
export async function updateInventory<C extends { doc: StateDocument }>(
  store: StateStore,
  change: (doc: StateDocument) => C,
  waitMs = LOCK_WAIT_MS,
): Promise<C> {
  const deadline = Date.now() + waitMs
  for (let attempt = 0; ; attempt++) {
    let result: C | undefined
    try {
      await store.update((doc) => {
        result = change(doc)
        return result.doc
      })
      return result!
    } catch (error) {
      if (!isRetryable(error) || Date.now() >= deadline) throw error
      // Jittered backoff, so several waiting commands do not retry in lockstep.
      await sleep(Math.min(250, 10 * 2 ** attempt) * (0.5 + Math.random()))
    }
  }
}
