/**
 * The real thing: OpenTofu applies the app stack (app_docker_node → modules/docker_node) onto a test host's
 * dockerd over ssh:// with the pinned host key, the container answers /healthz with its env and ports, a
 * second plan is empty, destroy removes it, and a wrong host key fails naming the host.
 */
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { buildKnownHostsLine, generateHostKey } from '../../lib/infra/host-key.ts'
import { buildAppStackInputs, writeVarFile } from '../../lib/infra/stack-inputs.ts'
import { APP_STACK, TERRAFORM_ROOT } from '../../lib/infra/stacks.ts'
import { buildChildEnv, realProc } from '../../lib/proc.ts'
import { buildTfEnv } from '../../lib/terraform/env.ts'
import { cliConfigPath, tofuBinary } from '../../lib/tools/paths.ts'
import { startBench } from '../harness/hosts.ts'
import type { TestHost } from '../harness/types.ts'
import { testUnless, whyNotRoot } from '../helpers/skip.ts'
import { ensureTestTools } from '../helpers/tools.ts'

const APP = 'debug-server-apply-test'
const TOKEN = 'debug-token-7f3a'

function appInputs(host: TestHost, sshOpts: readonly string[]) {
  return buildAppStackInputs({
    dockerHost: host.dockerHost,
    sshOpts,
    appName: APP,
    appImage: host.image,
    // The reference server listens on $PORT, so answering on 9090 proves the env reached the container.
    env: { PORT: '9090', DEBUG_TOKEN: TOKEN },
    ports: [{ internal: 9090, external: 18080 }],
    healthcheck: {
      test: ['CMD', 'wget', '-qO-', 'http://127.0.0.1:9090/healthz'],
      interval: '1s',
      startPeriod: '1s',
      waitTimeout: 30,
    },
    labels: { 'debug-cloud.test': 'apply' },
  })
}

async function tofu(dir: string, secretEnv: Record<string, string>, args: string[]) {
  const env = { ...buildTfEnv({ cliConfigFile: cliConfigPath() }), ...secretEnv }
  return realProc.run([tofuBinary(), `-chdir=${dir}`, ...args], { env })
}

async function docker(host: TestHost, args: string[]) {
  return realProc.run(['docker', '-H', `unix://${host.dockerSocket}`, ...args], { env: buildChildEnv() })
}

testUnless(
  test,
  whyNotRoot(),
  'apply over ssh:// starts the container, plan is then empty, destroy removes it; a wrong host key fails naming the host',
  async () => {
    await ensureTestTools()
    const bench = await startBench(1)
    const work = await mkdtemp(join(tmpdir(), 'infra-apply-'))
    try {
      const host = bench.hosts[0]
      assert.ok(host, 'bench host')
      await cp(TERRAFORM_ROOT, join(work, 'terraform'), { recursive: true })
      const dir = join(work, 'terraform', APP_STACK)
      const inputs = appInputs(host, host.sshOpts)
      await writeVarFile(join(dir, 'debug-cloud.auto.tfvars.json'), inputs.tfvars)

      const init = await tofu(dir, {}, ['init', '-input=false', '-no-color'])
      assert.is(init.exitCode, 0, init.stderr)
      const apply = await tofu(dir, inputs.secretEnv, ['apply', '-auto-approve', '-input=false', '-no-color'])
      assert.is(apply.exitCode, 0, apply.stdout + apply.stderr)
      assert.not.match(apply.stdout, TOKEN, 'the token is sensitive and never printed')

      const inspect = JSON.parse((await docker(host, ['inspect', APP])).stdout)[0]
      assert.is(inspect.State.Running, true)
      assert.ok(inspect.Config.Env.includes(`DEBUG_TOKEN=${TOKEN}`))
      assert.equal(inspect.HostConfig.PortBindings['9090/tcp'], [{ HostIp: '127.0.0.1', HostPort: '18080' }])
      assert.is(inspect.Config.Labels['debug-cloud.managed'], 'true')
      const health = await host.exec(['busybox', 'wget', '-qO-', 'http://127.0.0.1:18080/healthz'])
      assert.is(health.stdout, 'ok', health.stderr)

      const outputs = JSON.parse((await tofu(dir, {}, ['output', '-json'])).stdout)
      assert.equal(outputs.endpoint_urls.value, { '9090/tcp': 'http://127.0.0.1:18080' })
      assert.is(outputs.docker_host.value, host.dockerHost)
      assert.is(outputs.container_name.value, APP)

      const plan = await tofu(dir, inputs.secretEnv, [
        'plan',
        '-detailed-exitcode',
        '-input=false',
        '-no-color',
      ])
      assert.is(plan.exitCode, 0, `second plan must be empty:\n${plan.stdout}${plan.stderr}`)

      const destroy = await tofu(dir, inputs.secretEnv, [
        'destroy',
        '-auto-approve',
        '-input=false',
        '-no-color',
      ])
      assert.is(destroy.exitCode, 0, destroy.stdout + destroy.stderr)
      assert.is((await docker(host, ['ps', '-aq', '--filter', `name=^${APP}$`])).stdout.trim(), '')
      assert.ok(
        (await docker(host, ['image', 'inspect', host.image])).exitCode === 0,
        'the image is kept (keep_image_locally)',
      )

      const impostor = generateHostKey('impostor')
      const wrongKnownHosts = join(work, 'wrong_known_hosts')
      await writeFile(wrongKnownHosts, `${buildKnownHostsLine(host.address, 22, impostor.publicKey)}\n`, {
        mode: 0o600,
      })
      const wrongOpts = host.sshOpts.map((o) =>
        o.startsWith('UserKnownHostsFile=') ? `UserKnownHostsFile=${wrongKnownHosts}` : o,
      )
      const wrong = appInputs(host, wrongOpts)
      await writeVarFile(join(dir, 'debug-cloud.auto.tfvars.json'), wrong.tfvars)
      const refused = await tofu(dir, wrong.secretEnv, [
        'apply',
        '-auto-approve',
        '-input=false',
        '-no-color',
      ])
      assert.is.not(refused.exitCode, 0)
      const text = refused.stdout + refused.stderr
      assert.match(text, host.address)
      assert.match(text, /host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/i)
      assert.is(
        (await docker(host, ['ps', '-aq', '--filter', `name=^${APP}$`])).stdout.trim(),
        '',
        'nothing was created',
      )
    } finally {
      await bench.stop()
      await rm(work, { recursive: true, force: true })
    }
  },
)

test.run()
