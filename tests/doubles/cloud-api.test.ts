/**
 * The cloud-API contract double itself (no root needed): its -json lines have exactly the keys of the
 * pinned OpenTofu's recorded lines; its resources, outputs, defaults and required variables are those of
 * the stacks' HCL; run as a process with the launcher's real argv/env builders it plans (exit 2, then a
 * show document the launcher summarises) and refuses every broken contract with exit 1 and a diagnostic.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { generateHostKey, type HostKey } from '../../lib/infra/host-key.ts'
import { parseHcl } from '../../lib/infra/policy.ts'
import type { StackInputs } from '../../lib/infra/stack-inputs.ts'
import { stackDir as stackDirOf } from '../../lib/infra/stacks.ts'
import { type Env, realProc } from '../../lib/proc.ts'
import { providerModule } from '../../lib/providers/index.ts'
import { buildPlanArgs, buildShowPlanArgs } from '../../lib/terraform/args.ts'
import { buildEncryptionEnv } from '../../lib/terraform/encryption.ts'
import { buildTfEnv } from '../../lib/terraform/env.ts'
import { buildPlanSummary } from '../../lib/terraform/plan-summary.ts'
import { cliConfigPath, tofuBinary } from '../../lib/tools/paths.ts'
import { installDouble } from './cloud-api/config.ts'
import { REQUIRED_VARIABLES } from './cloud-api/contract.ts'
import {
  buildDesired,
  buildOutputs,
  HOST_STACK_DIRS,
  type StackKind,
  type StateResource,
  VARIABLE_DEFAULTS,
} from './cloud-api/providers.ts'
import * as stream from './cloud-api/stream.ts'

const recorded = (file: string) => join(import.meta.dirname, 'recorded', file)
const KINDS: StackKind[] = ['hetzner', 'contabo']

/** Every key path of a JSON value (array items collapsed), e.g. `hook.resource.addr`. */
function keyPaths(value: unknown, prefix = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((v) => keyPaths(v, `${prefix}[]`))
  if (value === null || typeof value !== 'object') return []
  return Object.entries(value).flatMap(([k, v]) => {
    const path = prefix === '' ? k : `${prefix}.${k}`
    return [path, ...(k === 'outputs' ? [] : keyPaths(v, path))]
  })
}

function recordedLines(): Record<string, unknown>[] {
  const files = [
    'init',
    'plan-create',
    'apply-create',
    'plan-nochange',
    'plan-destroy',
    'apply-destroy',
    'apply-stale',
  ]
  return files.flatMap((f) =>
    readFileSync(recorded(`tofu-1.12.6-${f}.jsonl`), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>),
  )
}

test('every line type the double prints has exactly the keys of the recorded OpenTofu 1.12.6 line', () => {
  const r = { type: 'hcloud_server', name: 'node', provider: 'hcloud' }
  const ours = [
    stream.versionLine(),
    ...stream.initLines(['hetznercloud/hcloud']),
    stream.plannedChangeLine(r, 'create'),
    ...stream.refreshLines(r, '42'),
    stream.changeSummaryLine({ add: 1, change: 0, remove: 0 }, 'plan'),
    stream.applyStartLine(r, 'create'),
    stream.applyCompleteLine(r, 'create', 0, '42'),
    stream.applyStartLine(r, 'delete', '42'),
    stream.applyCompleteLine(r, 'delete', 0),
    stream.outputsLine({ o: { sensitive: false, type: 'string', value: 'x' } }),
    stream.diagnosticLine('Saved plan is stale', 'detail'),
  ].map((l) => JSON.parse(l) as Record<string, unknown>)
  const real = recordedLines()
  const shape = (line: Record<string, unknown>) => keyPaths(line).sort().join(',')
  const label = (line: Record<string, unknown>) =>
    `${line.type ?? 'untyped'}/${JSON.stringify((line.hook as { action?: string })?.action)}`
  for (const line of ours) {
    const same = real.filter((x) => label(x) === label(line))
    assert.ok(same.length > 0, `no recorded line of kind ${label(line)}`)
    assert.ok(
      same.some((x) => shape(x) === shape(line)),
      `${label(line)}: ours ${shape(line)}\nreal ${same.map(shape).join('\n or ')}`,
    )
  }
  assert.is(
    JSON.stringify(Object.keys(ours[0]!).slice(0, 4)),
    JSON.stringify(['@level', '@message', '@module', '@timestamp']),
  )
})

test('resources, outputs, defaults and required variables are those of the stacks’ HCL', async () => {
  for (const kind of KINDS) {
    const dir = stackDir(kind)
    assert.is(HOST_STACK_DIRS[dir.split('/').at(-1)!], kind)
    const hcl = async (file: string) =>
      (await parseHcl(file, readFileSync(join(dir, file), 'utf8'))) as Record<string, Record<string, unknown>>
    const main = await hcl('main.tf')
    const resources = Object.entries(main.resource!).flatMap(([type, byName]) =>
      Object.keys(byName as object).map((n) => `${type}.${n}`),
    )
    const desired = buildDesired(kind, { name: 'x' }, 'digest')
    assert.equal(desired.map((d) => `${d.address.type}.${d.address.name}`).sort(), resources.sort())
    const state: StateResource[] = desired.map((d, i) => ({
      address: d.address,
      id: String(i + 1),
      attributes: {
        ipv4_address: '192.0.2.1',
        ip_config: [{ v4: [{ ip: '192.0.2.1' }], v6: [] }],
        status: 'running',
      },
    }))
    const outputs = buildOutputs(kind, state, { host_key_fingerprint: 'SHA256:x' })
    assert.equal(Object.keys(outputs).sort(), Object.keys((await hcl('outputs.tf')).output!).sort())
    assert.is(outputs.docker_host!.value, 'ssh://deploy@192.0.2.1:22')
    const variables = (await hcl('variables.tf')).variable as Record<string, [{ default?: unknown }]>
    for (const [name, value] of Object.entries(VARIABLE_DEFAULTS[kind]))
      assert.is(variables[name]![0].default, value, name)
    const required = Object.entries(variables)
      .filter(([, [v]]) => !('default' in v))
      .map(([n]) => n)
    const secret = kind === 'hetzner' ? ['hcloud_token', 'user_data'] : ['contabo_credentials', 'user_data']
    assert.equal([...REQUIRED_VARIABLES[kind], ...secret].sort(), required.sort())
  }
})

interface Run {
  dir: string
  bin: string
  varFile: string
  env: Env
  inputs: StackInputs
  argv(extra?: string[]): string[]
}

let keys: { host: HostKey; operator: HostKey } | undefined

/** A double in a temp dir and a host-stack run built with the launcher's own builders (as phase.ts does). */
async function prepare(kind: StackKind, mutate: (inputs: StackInputs) => void = () => {}): Promise<Run> {
  keys ??= { host: generateHostKey(), operator: generateHostKey('operator') }
  const dir = mkdtempSync(join(tmpdir(), 'cloud-api-double-test-'))
  const bin = installDouble(dir, {
    tofu: tofuBinary(),
    host: { name: 'dcbench250', address: '192.0.2.1' },
    hostKey: 'user-data',
  })
  const credentials: Record<string, string> =
    kind === 'hetzner'
      ? { HCLOUD_TOKEN: 'h'.repeat(64) }
      : {
          CNTB_OAUTH2_CLIENT_ID: 'client-id-123',
          CNTB_OAUTH2_CLIENT_SECRET: 'client-secret-123',
          CNTB_OAUTH2_USER: 'user@example.test',
          CNTB_OAUTH2_PASS: 'password-123',
          CNTB_IMAGE_ID: 'd64d5c6c-9dda-4e38-8174-0ee282474d8a',
        }
  const inputs = hostOf(kind).buildInputs({
    stackName: 'lab',
    env: 'dev',
    size: null,
    location: null,
    operatorPublicKey: keys.operator.publicKey,
    hostKey: keys.host,
    sshSourceRanges: ['0.0.0.0/0'],
    credentials,
  })
  mutate(inputs)
  const varFile = join(dir, 'inputs.tfvars.json')
  writeFileSync(varFile, JSON.stringify(inputs.tfvars), { mode: 0o600 })
  const variables = Object.fromEntries(
    Object.entries(inputs.secretEnv).map(([k, v]) => [k.replace(/^TF_VAR_/, ''), v]),
  )
  const env = {
    ...buildTfEnv({
      cliConfigFile: cliConfigPath(),
      variables,
      encryption: buildEncryptionEnv('p'.repeat(32)),
      // A throw-away HOME as in the end-to-end tests: bash would run the machine user's ~/.bashrc otherwise.
      source: { PATH: process.env.PATH, HOME: dir },
    }),
    TF_DATA_DIR: join(dir, '.terraform'),
  }
  const argv = (extra: string[] = []) => [
    bin,
    ...buildPlanArgs({ planFile: join(dir, 'plan'), statePath: join(dir, 'state'), varFiles: [varFile] }),
    ...extra,
  ]
  return { dir, bin, varFile, env, inputs, argv }
}

function hostOf(kind: StackKind) {
  const host = providerModule(kind).host
  if (!host) throw new Error(`${kind} has a host phase`)
  return host
}

const stackDir = (kind: StackKind) => stackDirOf(hostOf(kind).stack)

const runIn = (kind: StackKind, argv: string[], env: Env) => realProc.run(argv, { env, cwd: stackDir(kind) })

test('plan: exit 2 with the stack’s resources, a show document the launcher summarises, empty outputs', async () => {
  for (const kind of KINDS) {
    const run = await prepare(kind)
    try {
      const plan = await runIn(kind, run.argv(), run.env)
      assert.is(plan.exitCode, 2, plan.stderr + plan.stdout)
      assert.match(
        plan.stdout,
        kind === 'hetzner' ? 'Plan: 3 to add, 0 to change, 0 to destroy.' : 'Plan: 2 to add',
      )
      const show = await runIn(kind, [run.bin, ...buildShowPlanArgs(join(run.dir, 'plan'))], run.env)
      const summary = buildPlanSummary(JSON.parse(show.stdout))
      assert.is(summary.adds, kind === 'hetzner' ? 3 : 2)
      for (const secret of Object.values(run.inputs.secretEnv)) {
        assert.not.ok(plan.stdout.includes(secret) || show.stdout.includes(secret), 'a secret in the output')
        assert.not.ok(
          readFileSync(join(run.dir, 'plan'), 'utf8').includes(secret),
          'a secret in the saved plan',
        )
      }
      const output = await runIn(
        kind,
        [run.bin, 'output', '-no-color', '-json', `-state=${join(run.dir, 'state')}`],
        run.env,
      )
      assert.equal(JSON.parse(output.stdout), {})
    } finally {
      rmSync(run.dir, { recursive: true, force: true })
    }
  }
})

type Breach = (run: Run) => string[] | undefined

/** Each way of breaking the contract; a breach returns the argv to run when it is not the default one. */
const VIOLATIONS: { name: string; kind: StackKind; expect: string; breach: Breach }[] = [
  {
    name: 'var file readable by others',
    kind: 'hetzner',
    expect: 'has mode 644',
    breach: (run) => {
      chmodSync(run.varFile, 0o644)
      return undefined
    },
  },
  {
    name: 'a secret in the var file',
    kind: 'hetzner',
    expect: 'a secret value is in the var file',
    breach: (run) => {
      writeFileSync(
        run.varFile,
        JSON.stringify({ ...run.inputs.tfvars, note: run.env.TF_VAR_hcloud_token }),
        {
          mode: 0o600,
        },
      )
      return undefined
    },
  },
  {
    name: 'a secret on the command line',
    kind: 'contabo',
    expect: 'a secret value is on the command line',
    breach: (run) => run.argv([`-var-file=${run.env.TF_VAR_user_data}`]),
  },
  {
    name: 'password SSH left on',
    kind: 'hetzner',
    expect: 'ssh_pwauth: false',
    breach: (run) => {
      run.env.TF_VAR_user_data = run.env.TF_VAR_user_data!.replace('ssh_pwauth: false', 'ssh_pwauth: true')
      return undefined
    },
  },
  {
    name: 'no image id for contabo',
    kind: 'contabo',
    expect: 'no value for required variable(s): image_id',
    breach: (run) => {
      const { image_id: _, ...rest } = run.inputs.tfvars
      writeFileSync(run.varFile, JSON.stringify(rest), { mode: 0o600 })
      return undefined
    },
  },
  {
    name: 'a credential outside TF_VAR_*',
    kind: 'hetzner',
    expect: 'unexpected environment variables: HCLOUD_TOKEN',
    breach: (run) => {
      run.env.HCLOUD_TOKEN = 'h'.repeat(64)
      return undefined
    },
  },
  {
    name: 'an unexpected flag',
    kind: 'hetzner',
    expect: 'never passes: -auto-approve',
    breach: (run) => run.argv(['-auto-approve']),
  },
  {
    name: 'state encryption off',
    kind: 'contabo',
    expect: 'TF_ENCRYPTION is not set',
    breach: (run) => {
      delete run.env.TF_ENCRYPTION
      return undefined
    },
  },
]

for (const v of VIOLATIONS) {
  test(`contract: ${v.name} → exit 1 with a diagnostic`, async () => {
    const run = await prepare(v.kind)
    try {
      const argv = v.breach(run) ?? run.argv()
      const done = await runIn(v.kind, argv, run.env)
      assert.is(done.exitCode, 1, done.stdout)
      const diagnostic = done.stdout
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as { type: string; diagnostic?: { detail: string } })
        .find((l) => l.type === 'diagnostic')
      assert.ok(diagnostic?.diagnostic?.detail.includes(v.expect), `${v.expect} not in ${done.stdout}`)
    } finally {
      rmSync(run.dir, { recursive: true, force: true })
    }
  })
}

test.run()
