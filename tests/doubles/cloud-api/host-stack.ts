/**
 * The double's answer to each subcommand in a host stack: init, plan (exit 0 no changes / 2 changes /
 * 1 error), show -json of the saved plan, apply of exactly that plan (refused when stale), output -json,
 * version -json. Every call that carries the stack's inputs is checked against the contract first.
 */
import { writeSync } from 'node:fs'
import { type Command, parseArgv } from './argv.ts'
import type { DoubleConfig } from './config.ts'
import {
  ContractViolation,
  type Env,
  readVarFile,
  secretValues,
  verifyEnv,
  verifySecretsAbsent,
  verifyUserData,
  verifyVariables,
} from './contract.ts'
import {
  buildComputed,
  buildDesired,
  buildOutputs,
  digestUserData,
  PROVIDER_SOURCES,
  type StackKind,
} from './providers.ts'
import { buildShowDocument } from './show.ts'
import { buildChanges, readPlan, readState, type StoredResource, writePlan, writeState } from './state.ts'
import {
  applyCompleteLine,
  applyStartLine,
  changeSummaryLine,
  diagnosticLine,
  initLines,
  outputsLine,
  plannedChangeLine,
  refreshLines,
  TOFU_VERSION,
  versionLine,
} from './stream.ts'
import { bootVm } from './vm.ts'

function print(...lines: string[]): void {
  // Synchronous, so a following process.exitCode never races buffered output.
  for (const line of lines) writeSync(1, `${line}\n`)
}

/** The contract checks of a run that carries the stack's inputs; `planned` are the saved plan's variables. */
function checkInputs(
  kind: StackKind,
  argv: readonly string[],
  env: Env,
  varFiles: readonly string[],
  planned: Record<string, unknown> = {},
) {
  verifyEnv(kind, env)
  const secrets = secretValues(kind, env)
  verifySecretsAbsent(secrets, argv, [])
  const files = varFiles.map(readVarFile)
  verifySecretsAbsent(
    secrets,
    [],
    files.map((f) => f.text),
  )
  const vars = Object.assign({ ...planned }, ...files.map((f) => f.values)) as Record<string, unknown>
  verifyVariables(kind, vars)
  if (kind === 'hetzner' && env.TF_VAR_hcloud_token?.length !== 64)
    throw new ContractViolation('hcloud_token must be 64 characters (the stack validates it).')
  const hostKey = verifyUserData(env.TF_VAR_user_data!, vars)
  return { vars, hostKey }
}

function plan(
  kind: StackKind,
  cmd: Extract<Command, { name: 'plan' }>,
  argv: readonly string[],
  env: Env,
): number {
  const { vars } = checkInputs(kind, argv, env, cmd.varFiles)
  const state = readState(cmd.statePath, kind)
  const userDataDigest = digestUserData(env.TF_VAR_user_data!)
  const changes = buildChanges(buildDesired(kind, vars, userDataDigest), state, cmd.destroy)
  print(versionLine())
  for (const r of state.resources) print(...refreshLines(r.address, r.id))
  for (const c of changes) print(plannedChangeLine(c.address, c.action))
  const count = (...actions: string[]) => changes.filter((c) => actions.includes(c.action)).length
  const counts = {
    add: count('create', 'replace'),
    change: count('update'),
    remove: count('delete', 'replace'),
  }
  print(changeSummaryLine(counts, 'plan'))
  writePlan(cmd.planFile, {
    double: 'tofu-cloud-api-double',
    kind,
    lineage: state.lineage,
    priorSerial: state.serial,
    destroy: cmd.destroy,
    vars,
    userDataDigest,
    changes,
  })
  return changes.length > 0 ? 2 : 0
}

async function apply(
  kind: StackKind,
  config: DoubleConfig,
  cmd: Extract<Command, { name: 'apply' }>,
  argv: readonly string[],
  env: Env,
): Promise<number> {
  const saved = readPlan(cmd.planFile, kind)
  const state = readState(cmd.statePath, kind)
  if (state.serial === 0) state.lineage = saved.lineage
  const { hostKey } = checkInputs(kind, argv, env, [], saved.vars)
  if (digestUserData(env.TF_VAR_user_data!) !== saved.userDataDigest)
    throw new ContractViolation('the user data at apply differs from the planned one.')
  print(versionLine())
  if (state.lineage !== saved.lineage || state.serial !== saved.priorSerial) {
    print(
      diagnosticLine(
        'Saved plan is stale',
        'The given plan file can no longer be applied because the state was changed by another operation after the plan was created.',
      ),
    )
    return 1
  }
  for (const c of saved.changes) print(plannedChangeLine(c.address, c.action))
  let resources = [...state.resources]
  const counts = { add: 0, change: 0, remove: 0 }
  for (const change of saved.changes) {
    const { address, before, after } = change
    if (before && (change.action === 'delete' || change.action === 'replace')) {
      print(applyStartLine(address, 'delete', before.id), applyCompleteLine(address, 'delete', 0))
      resources = resources.filter((r) => r !== before && r.id !== before.id)
      counts.remove++
    }
    if (!after) continue
    if (before && change.action === 'update') {
      print(applyStartLine(address, 'update', before.id), applyCompleteLine(address, 'update', 0, before.id))
      resources = resources.map((r) => (r.id === before.id ? { ...r, config: after } : r))
      counts.change++
      continue
    }
    print(applyStartLine(address, 'create'))
    const started = Date.now()
    const created: StoredResource = { address, config: after, ...buildComputed(address, config.host) }
    if (address.type === 'hcloud_server' || address.type === 'contabo_instance') await bootVm(config, hostKey)
    print(applyCompleteLine(address, 'create', Math.round((Date.now() - started) / 1000), created.id))
    resources.push(created)
    counts.add++
  }
  const outputs = saved.destroy ? {} : buildOutputs(kind, resources, saved.vars)
  writeState(cmd.statePath, { ...state, resources, outputs })
  print(changeSummaryLine(counts, 'apply'))
  print(outputsLine(outputs))
  return 0
}

/** Run one subcommand in a host stack; returns the exit code. Throws ContractViolation. */
export async function runHostCommand(
  kind: StackKind,
  config: DoubleConfig,
  argv: readonly string[],
  env: Env,
): Promise<number> {
  const cmd = parseArgv(argv)
  switch (cmd.name) {
    case 'init':
      verifyEnv(kind, env)
      print(...initLines([PROVIDER_SOURCES[kind]]))
      return 0
    case 'plan':
      return plan(kind, cmd, argv, env)
    case 'apply':
      return apply(kind, config, cmd, argv, env)
    case 'show':
      print(JSON.stringify(buildShowDocument(readPlan(cmd.planFile, kind))))
      return 0
    case 'output':
      print(JSON.stringify(readState(cmd.statePath, kind).outputs, null, 2))
      return 0
    case 'version':
      print(
        JSON.stringify(
          { terraform_version: TOFU_VERSION, platform: 'linux_amd64', provider_selections: {} },
          null,
          2,
        ),
      )
      return 0
  }
}
