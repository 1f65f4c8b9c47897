/**
 * npm run infra:check — fmt, offline init + validate, HCL policy and cloud-init schema checks for every
 * Terraform module, example and stack. Exit 1 when any check fails; skips are listed with their reason.
 */
import { runMain } from '../lib/cli/main.ts'
import type { CheckResult } from '../lib/infra/check.ts'

const spec = {
  name: 'npm run infra:check --',
  summary:
    'Check the Terraform modules and stacks (fmt, init, validate, policy) and the rendered cloud-init.',
  flags: {},
  exitCodes: [['ok', 'every check passed'], ['failure', 'a check failed'], 'toolMissing'],
} as const

await runMain(spec, async ({ out }) => {
  const { runInfraCheck } = await import('../lib/infra/check.ts')
  const { realProc } = await import('../lib/proc.ts')
  const line = (r: CheckResult) => {
    const label = {
      pass: out.color.green('PASS'),
      fail: out.color.red('FAIL'),
      skip: out.color.yellow('SKIP'),
    }[r.status]
    out.info(`${label} ${r.check.padEnd(10)} ${r.target}${r.detail ? `  ${out.color.dim(r.detail)}` : ''}`)
  }
  const results = await runInfraCheck(realProc, out.json ? undefined : line)
  const count = (status: CheckResult['status']) => results.filter((r) => r.status === status).length
  if (out.json) out.emitJson({ ok: count('fail') === 0, results })
  else out.info(`${count('pass')} passed, ${count('fail')} failed, ${count('skip')} skipped`)
  return count('fail') === 0 ? 0 : 1
})
