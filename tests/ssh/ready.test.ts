import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Proc, RunResult } from '../../lib/proc.ts'
import { HostKeyMismatchError, HostNotReadyError, WaitInterruptedError } from '../../lib/ssh/errors.ts'
import { waitForHost } from '../../lib/ssh/ready.ts'
import { buildSshArgs, type SshTarget } from '../../lib/ssh/target.ts'

const target: SshTarget = {
  host: '10.0.0.5',
  port: 2222,
  user: 'deploy',
  identityFile: '/k/id',
  knownHostsFile: '/k/kh',
}

/** A recording Proc double that answers each `ssh … <remote>` from a script keyed by the remote command. */
function scriptedProc(answers: Record<string, Partial<RunResult>[]>): Proc & { calls: string[][] } {
  const calls: string[][] = []
  return {
    calls,
    async run(argv) {
      calls.push([...argv])
      const remote = argv.slice(argv.indexOf('--') + 2).join(' ')
      const next = answers[remote]?.shift() ?? { exitCode: 0 }
      return { exitCode: 0, signal: null, stdout: '', stderr: '', ...next }
    },
    start() {
      throw new Error('not used')
    },
  }
}

function fakeClock() {
  let t = 0
  return {
    now: () => t,
    sleep: async (ms: number) => {
      t += ms
    },
  }
}

test('ssh argv pins the host key and our identity, with nothing from ssh_config', () => {
  // biome-ignore format: argv reads best as written
  assert.equal(buildSshArgs(target, ['docker', 'ps']), [
    'ssh', '-F', '/dev/null',
    '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', '-o', 'UserKnownHostsFile=/k/kh',
    '-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'IdentitiesOnly=yes', '-o', 'PasswordAuthentication=no',
    '-o', 'KbdInteractiveAuthentication=no', '-o', 'ConnectTimeout=5', '-o', 'ServerAliveInterval=15',
    '-i', '/k/id', '-p', '2222', '-l', 'deploy', '--', '10.0.0.5', 'docker', 'ps',
  ])
})

test('retries until ssh answers, accepts cloud-init exit 2, then checks docker', async () => {
  const proc = scriptedProc({
    true: [
      { exitCode: 255, stderr: 'ssh: connect to host 10.0.0.5 port 2222: Connection refused' },
      { exitCode: 0 },
    ],
    'cloud-init status --wait': [{ exitCode: 2 }],
    'docker info --format {{.ServerVersion}}': [{ exitCode: 0, stdout: '26.1.5' }],
  })
  const stages: string[] = []
  await waitForHost(proc, target, {
    timeoutMs: 60_000,
    ...fakeClock(),
    onProgress: (s, p) => stages.push(p ? `${s}!` : s),
  })
  assert.equal(stages, ['ssh', 'ssh!', 'cloud-init', 'docker'])
  assert.is(proc.calls.length, 4)
})

test('a host key mismatch is named at once, not retried', async () => {
  const proc = scriptedProc({ true: [{ exitCode: 255, stderr: 'Host key verification failed.' }] })
  try {
    await waitForHost(proc, target, { timeoutMs: 60_000, ...fakeClock() })
    assert.unreachable()
  } catch (error) {
    assert.instance(error, HostKeyMismatchError)
    assert.match((error as Error).message, '10.0.0.5')
    assert.is(proc.calls.length, 1)
  }
})

test('a host that never finishes cloud-init times out with the last problem', async () => {
  const failing = Array.from({ length: 100 }, () => ({ exitCode: 1, stdout: 'status: error' }))
  const proc = scriptedProc({ 'cloud-init status --wait': failing })
  try {
    await waitForHost(proc, target, { timeoutMs: 5_000, pollMs: 1000, ...fakeClock() })
    assert.unreachable()
  } catch (error) {
    assert.instance(error, HostNotReadyError)
    assert.match(
      (error as Error).message,
      '10.0.0.5 was not ready after 5s: cloud-init check failed (exit 1): status: error',
    )
  }
})

test('Ctrl-C (the abort signal) ends the wait at once with exit 130', async () => {
  const failing = Array.from({ length: 100 }, () => ({ exitCode: 255, stderr: 'Connection refused' }))
  const proc = scriptedProc({ true: failing })
  const controller = new AbortController()
  const clock = fakeClock()
  const sleep = async (ms: number) => {
    await clock.sleep(ms)
    if (proc.calls.length === 3) controller.abort()
  }
  try {
    await waitForHost(proc, target, { timeoutMs: 600_000, now: clock.now, sleep, signal: controller.signal })
    assert.unreachable()
  } catch (error) {
    assert.instance(error, WaitInterruptedError)
    assert.is((error as WaitInterruptedError).exitCode, 130)
    assert.is(proc.calls.length, 3)
  }
})

test.run()
