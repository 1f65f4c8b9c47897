/**
 * The pinned OpenTofu and providers, for real: `tofu init` + `tofu validate` of a tiny config per provider
 * with only the filesystem mirror (every proxy variable points at a closed port, so any download would
 * fail), and a `docker_container` applied through ssh:// onto a test host, then destroyed.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { REFERENCE_SERVER_PORT } from '../../lib/image/reference.ts'
import { buildChildEnv, realProc } from '../../lib/proc.ts'
import { toolEnv } from '../../lib/tools/mirror.ts'
import { listTools, providerType, type ToolSpec } from '../../lib/tools/spec.ts'
import { whichTool, whyUnavailable } from '../../lib/tools/stamp.ts'
import { startBench } from '../harness/hosts.ts'
import { testUnless, whyNotRoot } from '../helpers/skip.ts'

const scratch = mkdtempSync(join(tmpdir(), 'tofu-smoke-'))
test.after(() => rmSync(scratch, { recursive: true, force: true }))

const offline = 'http://127.0.0.1:9'
const tofuEnv = buildChildEnv({
  ...toolEnv(),
  TF_IN_AUTOMATION: '1',
  CHECKPOINT_DISABLE: '1',
  HTTP_PROXY: offline,
  HTTPS_PROXY: offline,
  http_proxy: offline,
  https_proxy: offline,
})

function tofu(dir: string, args: string[]) {
  return realProc.run([whichTool('tofu'), `-chdir=${dir}`, ...args], { env: tofuEnv })
}

function requiredProviders(spec: ToolSpec): object {
  if (!spec.provider) throw new Error(`${spec.name} is not a provider`)
  const [, namespace, type] = spec.provider.source.split('/')
  return {
    [providerType(spec.provider.source)]: { source: `${namespace}/${type}`, version: spec.provider.version },
  }
}

for (const spec of listTools().filter((t) => t.provider !== undefined)) {
  const unavailable = whyUnavailable(spec)
  const reason = unavailable && `${spec.name} was not built: ${unavailable}`
  testUnless(test, reason, `tofu init + validate offline with ${spec.provider?.source}`, async () => {
    const dir = join(scratch, spec.name)
    rmSync(dir, { recursive: true, force: true })
    mkdirSync(dir, { recursive: true })
    writeFileSync(
      join(dir, 'main.tf.json'),
      JSON.stringify({ terraform: { required_providers: requiredProviders(spec) } }),
    )
    const init = await tofu(dir, ['init', '-input=false', '-no-color'])
    assert.is(init.exitCode, 0, init.stderr + init.stdout)
    const lock = readFileSync(join(dir, '.terraform.lock.hcl'), 'utf8')
    assert.match(lock, `provider "${spec.provider?.source}"`)
    assert.match(lock, `version     = "${spec.provider?.version}"`)
    const validate = await tofu(dir, ['validate', '-json', '-no-color'])
    assert.is(validate.exitCode, 0, validate.stderr)
    assert.is((JSON.parse(validate.stdout) as { valid: boolean }).valid, true)
  })
}

testUnless(
  test,
  whyNotRoot(),
  'tofu apply of a docker_container through ssh:// starts it on a test host',
  async () => {
    const bench = await startBench(1)
    try {
      const host = bench.hosts[0]
      if (!host) throw new Error('no host')
      const docker = listTools().find((t) => t.name === 'provider-docker')
      if (!docker) throw new Error('provider-docker missing from versions.json')
      const dir = join(scratch, 'apply')
      mkdirSync(dir, { recursive: true })
      const config = {
        terraform: { required_providers: requiredProviders(docker) },
        provider: { docker: { host: host.dockerHost, ssh_opts: host.sshOpts } },
        resource: {
          docker_container: {
            app: {
              name: 'smoke-app',
              image: host.image,
              ports: [{ internal: REFERENCE_SERVER_PORT, external: REFERENCE_SERVER_PORT }],
            },
          },
        },
      }
      writeFileSync(join(dir, 'main.tf.json'), JSON.stringify(config, null, 2))
      const init = await tofu(dir, ['init', '-input=false', '-no-color'])
      assert.is(init.exitCode, 0, init.stderr)
      const apply = await tofu(dir, ['apply', '-auto-approve', '-input=false', '-no-color'])
      assert.is(apply.exitCode, 0, apply.stderr + apply.stdout)
      const ps = await host.exec([
        'docker',
        'ps',
        '--filter',
        'name=smoke-app',
        '--format',
        '{{.Names}} {{.Image}}',
      ])
      assert.is(ps.stdout.trim(), `smoke-app ${host.image}`)
      let body: string | undefined
      for (let i = 0; i < 50 && body === undefined; i++)
        body = await fetch(`http://${host.address}:${REFERENCE_SERVER_PORT}/healthz`)
          .then((r) => r.text())
          .catch(async () => void (await new Promise((r) => setTimeout(r, 100))))
      assert.is(body, 'ok')
      const destroy = await tofu(dir, ['destroy', '-auto-approve', '-input=false', '-no-color'])
      assert.is(destroy.exitCode, 0, destroy.stderr)
      const after = await host.exec([
        'docker',
        'ps',
        '-a',
        '--filter',
        'name=smoke-app',
        '--format',
        '{{.Names}}',
      ])
      assert.is(after.stdout.trim(), '')
    } finally {
      await bench.stop()
    }
  },
)

test.run()
