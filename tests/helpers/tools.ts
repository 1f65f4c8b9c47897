/**
 * Makes sure the pinned tools the suite needs are built before any test runs: when one is missing (or
 * built from other inputs than versions.json), the real installer runs, with its progress on stderr.
 */
import { Output } from '../../lib/cli/output.ts'
import { realProc } from '../../lib/proc.ts'
import { ensureTools } from '../../lib/tools/install.ts'

/** Build any missing pinned tool; quick (no process started) when everything is cached. */
export function ensureTestTools(): Promise<void> {
  return ensureTools({ proc: realProc, out: new Output({ json: false, verbose: false }) })
}
