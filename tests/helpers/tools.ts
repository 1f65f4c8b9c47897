/**
 * Makes sure the pinned tools the suite needs are built before any test runs: when one is missing (or
 * built from other inputs than versions.json), the real installer runs, with its progress on stderr.
 */
import { Output } from '../../lib/cli/output.ts'
import { realProc } from '../../lib/proc.ts'
import { areToolsInstalled, installTools } from '../../lib/tools/install.ts'

/** Build any missing pinned tool; quick (no process started) when everything is cached. */
export async function ensureTestTools(): Promise<void> {
  if (areToolsInstalled()) return
  await installTools({ proc: realProc, out: new Output({ json: false, verbose: false }) })
}
