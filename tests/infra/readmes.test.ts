/**
 * Every module and stack README documents exactly its interface: each variable and output of the HCL is named
 * in the README, and every name in a README's input table is a variable (terraform-docs is not on npm; this is
 * the check it would give).
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { CHECK_TARGETS } from '../../lib/infra/check.ts'
import { parseHcl } from '../../lib/infra/policy.ts'
import { TERRAFORM_ROOT } from '../../lib/infra/stacks.ts'

async function blockNames(dir: string, file: string, block: 'variable' | 'output'): Promise<string[]> {
  const text = await readFile(join(dir, file), 'utf8').catch(() => '')
  const hcl = text === '' ? {} : await parseHcl(file, text)
  return Object.keys((hcl[block] as Record<string, unknown> | undefined) ?? {})
}

/** Names in the first column of markdown table rows under the "## Inputs" heading. */
function inputTableNames(readme: string): string[] {
  const start = readme.indexOf('## Inputs')
  if (start === -1) return []
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1) >>> 0)
  return [...section.matchAll(/^\| ([^|]+) \|/gm)].flatMap((m) =>
    [...(m[1] ?? '').matchAll(/`([a-z_]+)`/g)].map((n) => n[1] ?? ''),
  )
}

for (const target of CHECK_TARGETS.filter((t) => !t.includes('examples'))) {
  test(`${target}: the README names every variable and output, and its input table only real variables`, async () => {
    const dir = join(TERRAFORM_ROOT, target)
    const readme = await readFile(join(dir, 'README.md'), 'utf8')
    const variables = await blockNames(dir, 'variables.tf', 'variable')
    const outputs = await blockNames(dir, 'outputs.tf', 'output')
    assert.ok(variables.length > 0, 'variables.tf declares variables')
    const missing = [...variables, ...outputs].filter((name) => !readme.includes(`\`${name}\``))
    assert.equal(missing, [], `undocumented in ${target}/README.md`)
    const unknown = inputTableNames(readme).filter((name) => !variables.includes(name))
    assert.equal(unknown, [], `not variables of ${target}`)
  })
}

test.run()
