/**
 * `npm run infra:check`: for every module, example and stack under infra/terraform, `tofu fmt -check`,
 * `tofu init` from the offline mirror plus `tofu validate` (real provider schemas), the HCL policy checks,
 * and `cloud-init schema` on rendered user data. init/validate run in a throwaway copy of the tree so no
 * `.terraform` directory or lock file lands in the repository.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildChildEnv, type Proc } from '../proc.ts'
import { PROVIDERS, providerModule } from '../providers/index.ts'
import { buildTfEnv } from '../terraform/env.ts'
import { cliConfigPath } from '../tools/paths.ts'
import { getTool, isToolName } from '../tools/spec.ts'
import { whichTool, whyUnavailable } from '../tools/stamp.ts'
import { renderCloudInit } from './cloud-init.ts'
import { generateHostKey } from './host-key.ts'
import { checkPolicyDir, parseHcl } from './policy.ts'
import { buildCloudInitSamples } from './samples.ts'
import { APP_STACK, TERRAFORM_ROOT } from './stacks.ts'

export type CheckName = 'fmt' | 'init' | 'validate' | 'policy' | 'cloud-init'

export interface CheckResult {
  target: string
  check: CheckName
  status: 'pass' | 'fail' | 'skip'
  detail: string
}

/** Every configuration directory checked, relative to infra/terraform. */
export const CHECK_TARGETS: readonly string[] = [
  'modules/docker_node',
  'modules/docker_node/examples/basic',
  ...PROVIDERS.flatMap((p) => providerModule(p).host?.stack ?? []),
  APP_STACK,
]

/** Why a configuration cannot be initialised here (a required provider that cannot be built here), if so. */
export async function whyNoInit(dir: string): Promise<string | undefined> {
  const hcl = await parseHcl('versions.tf', await readFile(join(dir, 'versions.tf'), 'utf8'))
  const terraform = (hcl.terraform as { required_providers?: Record<string, unknown>[] }[] | undefined) ?? []
  const names = terraform.flatMap((t) => (t.required_providers ?? []).flatMap((p) => Object.keys(p)))
  for (const name of names) {
    const tool = `provider-${name}`
    const refused = isToolName(tool) ? whyUnavailable(getTool(tool)) : undefined
    if (refused !== undefined) return `provider ${name} cannot be built here: ${refused}`
  }
  return undefined
}

interface Runner {
  proc: Proc
  tofu: string
  env: Record<string, string>
}

async function runTofu(r: Runner, dir: string, args: string[]) {
  return r.proc.run([r.tofu, `-chdir=${dir}`, ...args], { env: r.env })
}

async function checkTarget(r: Runner, target: string, copyRoot: string): Promise<CheckResult[]> {
  const dir = join(TERRAFORM_ROOT, target)
  const copy = join(copyRoot, target)
  const fmt = await r.proc.run([r.tofu, 'fmt', '-check', '-list=true', '-no-color', dir], { env: r.env })
  const results: CheckResult[] = [
    {
      target,
      check: 'fmt',
      status: fmt.exitCode === 0 ? 'pass' : 'fail',
      detail: fmt.exitCode === 0 ? '' : `not formatted (run tofu fmt): ${(fmt.stdout + fmt.stderr).trim()}`,
    },
  ]
  const findings = await checkPolicyDir(dir)
  results.push({
    target,
    check: 'policy',
    status: findings.length === 0 ? 'pass' : 'fail',
    detail: findings.map((f) => `${f.rule}: ${f.message}`).join('; '),
  })
  const skip = await whyNoInit(dir)
  if (skip !== undefined) {
    for (const check of ['init', 'validate'] as const)
      results.push({ target, check, status: 'skip', detail: skip })
    return results
  }
  const init = await runTofu(r, copy, ['init', '-backend=false', '-input=false', '-no-color'])
  results.push({
    target,
    check: 'init',
    status: init.exitCode === 0 ? 'pass' : 'fail',
    detail: init.exitCode === 0 ? '' : init.stderr.trim(),
  })
  if (init.exitCode !== 0) {
    results.push({ target, check: 'validate', status: 'fail', detail: 'not run: init failed' })
    return results
  }
  const validate = await runTofu(r, copy, ['validate', '-json', '-no-color'])
  const report = JSON.parse(validate.stdout || '{}') as {
    valid?: boolean
    diagnostics?: { severity: string; summary: string; detail: string }[]
  }
  const problems = (report.diagnostics ?? [])
    .map((d) => `${d.severity}: ${d.summary}: ${d.detail}`)
    .join('; ')
  results.push({
    target,
    check: 'validate',
    status: report.valid === true && validate.exitCode === 0 ? 'pass' : 'fail',
    detail: problems || validate.stderr.trim(),
  })
  return results
}

async function checkCloudInit(proc: Proc, workDir: string): Promise<CheckResult[]> {
  const hostKey = generateHostKey('infra-check-host')
  const results: CheckResult[] = []
  for (const sample of buildCloudInitSamples(hostKey, hostKey.publicKey)) {
    const file = join(workDir, `${sample.name}.yaml`)
    await writeFile(file, renderCloudInit(sample.input), { mode: 0o600 })
    const run = await proc.run(['cloud-init', 'schema', '--config-file', file], { env: buildChildEnv() })
    const target = `user-data/${sample.name}`
    results.push({
      target,
      check: 'cloud-init',
      status: run.exitCode === 0 ? 'pass' : 'fail',
      detail: run.exitCode === 0 ? '' : (run.stdout + run.stderr).trim(),
    })
  }
  return results
}

/** Run every check; `onResult` sees each result as it is known. Throws ToolMissingError without tofu. */
export async function runInfraCheck(
  proc: Proc,
  onResult: (r: CheckResult) => void = () => {},
): Promise<CheckResult[]> {
  const tofu = whichTool('tofu')
  const runner: Runner = { proc, tofu, env: buildTfEnv({ cliConfigFile: cliConfigPath() }) }
  const work = await mkdtemp(join(tmpdir(), 'debug-cloud-infra-check-'))
  const results: CheckResult[] = []
  const record = (list: CheckResult[]) => {
    for (const r of list) onResult(r)
    results.push(...list)
  }
  try {
    const copyRoot = join(work, 'terraform')
    await cp(TERRAFORM_ROOT, copyRoot, {
      recursive: true,
      filter: (src) => !/(\.terraform|\.tfstate|\.auto\.tfvars\.json)/.test(src),
    })
    for (const target of CHECK_TARGETS) record(await checkTarget(runner, target, copyRoot))
    record(await checkCloudInit(proc, work))
    return results
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}
