/** `cloud:status` as a whole: one module, so that a plain status loads its code in one chunk (scripts/build.mjs). */
import type { Output } from '../cli/output.ts'
import { ExitCode, type ExitCodeValue } from '../errors.ts'
import { realProc } from '../proc.ts'
import { openStackState } from './stack.ts'
import { buildStatusRow, formatStatus } from './status.ts'

/**
 * The whole command: the rows from the record, with `refresh` also observed (refresh.ts, loaded only then), as a
 * table or JSON. Exit 1 when a refresh found drift.
 */
export async function runStatus(
  operator: string | undefined,
  out: Output,
  refresh?: { sshKey: string | undefined; tfBin: string | undefined },
): Promise<ExitCodeValue> {
  const { store, doc } = await openStackState(operator, 'cloud:status', out)
  const now = new Date()
  let rows = await Promise.all(
    Object.keys(doc.stacks)
      .sort()
      .map((name) => buildStatusRow(realProc, store.paths, doc, name, now)),
  )
  if (refresh) {
    const { createRuntime } = await import('../flows/runtime.ts')
    const { refreshStatusRow } = await import('./refresh.ts')
    const rt = await createRuntime(out, refresh.tfBin)
    try {
      await rt.prepareTools()
      rows = await Promise.all(
        rows.map((row) => refreshStatusRow(rt, store.paths, row, doc.stacks[row.stack]!, refresh.sshKey)),
      )
    } finally {
      await rt.dispose()
    }
  }
  const drifted = rows.some((r) => (r.drift ?? []).length > 0)
  if (out.json)
    out.emitJson({ ok: true, operator: store.operator, refreshed: refresh !== undefined, stacks: rows })
  else if (rows.length === 0)
    out.info(`${store.operator} has no stacks yet. Create one with \`npm run cloud:up\`.`)
  else out.data(formatStatus(rows))
  return drifted ? ExitCode.failure : ExitCode.ok
}
