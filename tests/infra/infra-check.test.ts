import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { CHECK_TARGETS, type CheckResult, runInfraCheck, whyNoInit } from '../../lib/infra/check.ts'
import { stackDir } from '../../lib/infra/stacks.ts'
import { realProc } from '../../lib/proc.ts'
import { testUnless } from '../helpers/skip.ts'
import { ensureTestTools } from '../helpers/tools.ts'

let results: CheckResult[] = []
/** Set only on a machine without the vendored Contabo sources (lib/tools/vendor.ts). */
const contaboUnavailable = await whyNoInit(stackDir('contabo_docker_node'))

test('infra:check is green on the real tree; init/validate skip only where a provider cannot be built', async () => {
  await ensureTestTools()
  results = await runInfraCheck(realProc)
  const failed = results.filter((r) => r.status === 'fail')
  assert.equal(failed, [], JSON.stringify(failed, null, 2))
  const skipped = results.filter((r) => r.status === 'skip')
  assert.equal(
    skipped.map((r) => `${r.target} ${r.check}`),
    contaboUnavailable ? ['contabo_docker_node init', 'contabo_docker_node validate'] : [],
  )
  assert.ok(skipped.every((r) => r.detail.includes('vendored sources')))
  for (const target of CHECK_TARGETS) {
    const checks = results.filter((r) => r.target === target).map((r) => r.check)
    assert.equal(checks, ['fmt', 'policy', 'init', 'validate'], target)
  }
  assert.is(results.filter((r) => r.check === 'cloud-init' && r.status === 'pass').length, 4)
})

// Without the vendored sources the contabo provider cannot be built: a loud, counted skip.
testUnless(
  test,
  contaboUnavailable,
  'contabo_docker_node: init + validate with the real provider schema',
  () => {
    const contabo = results.filter(
      (r) => r.target === 'contabo_docker_node' && (r.check === 'init' || r.check === 'validate'),
    )
    assert.equal(
      contabo.map((r) => r.status),
      ['pass', 'pass'],
    )
  },
)

test.run()
