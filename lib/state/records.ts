/**
 * Reading and changing one stack's record in the operator's state: the record or a clear "no such stack", and a
 * status change persisted under the state lock (an unchanged record is not rewritten).
 */
import { isDeepStrictEqual } from 'node:util'
import { CliError, ExitCode } from '../errors.ts'
import type { StackRecord, StackStatus, StateDocument } from './schema.ts'
import type { StateStore } from './store.ts'

/** The record of `stack`, or an error saying it is unknown. */
export function requireStack(doc: StateDocument, stack: string): StackRecord {
  const record = doc.stacks[stack]
  if (!record) {
    const known = Object.keys(doc.stacks)
    throw new CliError(`No stack named "${stack}" in ${doc.operator}'s state.`, {
      hint: known.length > 0 ? `Known stacks: ${known.join(', ')}.` : 'Create one with `npm run cloud:up`.',
      exitCode: ExitCode.notFound,
    })
  }
  return record
}

/** Persist a status change (and any other fields) of one stack. */
export async function updateStack(
  store: StateStore,
  stack: string,
  status: StackStatus,
  patch: Partial<StackRecord> = {},
): Promise<StackRecord> {
  const doc = await store.update((d) => {
    const current = requireStack(d, stack)
    const next = { ...current, ...patch, status }
    // updatedAt moves only when something else did (an unchanged record is then not rewritten at all).
    if (!isDeepStrictEqual(next, current)) d.stacks[stack] = { ...next, updatedAt: new Date().toISOString() }
    return d
  })
  return requireStack(doc, stack)
}
