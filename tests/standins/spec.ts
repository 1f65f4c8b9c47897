/**
 * Checks responses the stand-ins sent against the clouds' own OpenAPI descriptions (hcloud.openapi.json,
 * Contabo's openapi.yaml) with python3-jsonschema (spec_check.py): ajv is not among the project's packages.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { buildChildEnv, realProc } from '../../lib/proc.ts'
import { projectRoot } from '../../lib/state/paths.ts'
import { vendorDirs } from '../../lib/tools/vendor.ts'
import type { Exchange } from './http.ts'

export type Api = 'hcloud' | 'contabo'

/** The reference directory beside the vendor directory (shared/reference), or undefined when absent. */
function referenceFile(relative: string): string | undefined {
  return vendorDirs()
    .map((d) => join(d, '..', 'reference', relative))
    .find((p) => existsSync(p))
}

export const SPEC_FILES = {
  hcloud: referenceFile(join('hcloud-api', 'hcloud.openapi.json')),
  contabo: referenceFile(join('contabo-api', 'openapi.yaml')),
}

/** Why the spec check cannot run here (the OpenAPI descriptions are not found), if so. */
export function whyNoSpecs(): string | undefined {
  if (SPEC_FILES.hcloud && SPEC_FILES.contabo) return undefined
  return `the clouds' OpenAPI descriptions (shared/reference/hcloud-api, contabo-api) are in no directory above ${projectRoot}`
}

/** Every problem found (empty when each response validates against its operation's response schema). */
export async function checkAgainstSpec(exchanges: readonly (Exchange & { api: Api })[]): Promise<string[]> {
  const input = JSON.stringify({
    hcloud: SPEC_FILES.hcloud,
    contabo: SPEC_FILES.contabo,
    // Contabo's paths in its description start with /v1; the stand-in's templates are relative to it.
    exchanges: exchanges.map((e) => ({
      ...e,
      template: e.api === 'contabo' ? `/v1${e.template}` : e.template,
    })),
  })
  const run = await realProc.run(['python3', join(import.meta.dirname, 'spec_check.py')], {
    env: buildChildEnv(),
    input,
  })
  if (run.exitCode !== 0) throw new Error(`spec_check.py failed (${run.exitCode}): ${run.stderr}`)
  return JSON.parse(run.stdout) as string[]
}

/** The API exchanges of a stand-in, labelled with its API (the token endpoint's are checked by shape). */
export function labelled(api: Api, exchanges: readonly Exchange[]): (Exchange & { api: Api })[] {
  return exchanges.filter((e) => !e.outside).map((e) => ({ ...e, api }))
}
