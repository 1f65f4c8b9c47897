/** Reads the recorded Terraform streams in tests/fixtures/terraform (origins in its MANIFEST.txt). */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

export const fixtureDir = join(import.meta.dirname, '..', 'fixtures', 'terraform')

/** The text of one fixture file. */
export function readFixture(name: string): string {
  return readFileSync(join(fixtureDir, name), 'utf8')
}

/** The lines of a JSON-lines fixture (blank lines kept: the parser must skip them). */
export function fixtureLines(name: string): string[] {
  return readFixture(name).split('\n')
}
