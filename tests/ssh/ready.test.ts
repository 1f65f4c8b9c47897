import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  buildChildEnv,
  type Child,
  type Proc,
  type RunOptions,
  type RunResult,
  realProc,
} from '../../lib/proc.ts'
import {
  CloudInitError,
  HostKeyMismatchError,
  HostNotReadyError,
  WaitInterruptedError,
} from '../../lib/ssh/errors.ts'
import { buildReadinessScript, READY_MARK, waitForHost } from '../../lib/ssh/ready.ts'
import { buildSshArgs, type SshTarget } from '../../lib/ssh/target.ts'

const target: SshTarget = {
  host: '10.0.0.5',
  port: 2222,
  user: 'deploy',
  identityFile: '/k/id',
  knownHostsFile: '/k/kh',
}

/** One connection's answer: the stdout lines, then ssh's exit; `hang` keeps it open until aborted. */
interface Answer {
  lines?: string[]
  exitCode?: number
  stderr?: string
  hang?: boolean
}

/** A recording Proc double: each `ssh … <script>` connection gets the next scripted answer. */
function scriptedProc(answers: Answer[]): Proc & { scripts: string[] } {
  const scripts: string[] = []
  return {
    scripts,
    run() {
      throw new Error('not used')
    },
    start(argv: readonly string[], options: RunOptions): Child {
      scripts.push(argv[argv.length - 1] ?? '')
      const answer = answers.shift() ?? { exitCode: 255, stderr: 'no more answers' }
      const lines = answer.lines ?? []
      const done = new Promise<RunResult>((resolve) => {
        const finish = (exitCode: number | null) =>
          resolve({
            exitCode,
            signal: exitCode === null ? 'SIGTERM' : null,
            stdout: lines.join('\n'),
            stderr: answer.stderr ?? '',
          })
        if (!answer.hang) finish(answer.exitCode ?? 0)
        else options.signal?.addEventListener('abort', () => finish(null), { once: true })
      })
      return {
        pid: 1,
        async *lines() {
          yield* lines
          await done
        },
        onStderr() {},
        kill() {},
        done,
      }
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

const mark = (stage: string, code: number) => `${READY_MARK} ${stage} ${code}`

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

test('one connection: ssh refused is retried, then cloud-init (exit 2 counts as done) and docker', async () => {
  const proc = scriptedProc([
    { exitCode: 255, stderr: 'ssh: connect to host 10.0.0.5 port 2222: Connection refused' },
    { lines: [mark('ssh', 0), '......', 'status: done', mark('cloud-init', 2), '26.1.5', mark('docker', 0)] },
  ])
  const stages: string[] = []
  await waitForHost(proc, target, {
    timeoutMs: 60_000,
    ...fakeClock(),
    onProgress: (s, p) => stages.push(p ? `${s}!` : s),
  })
  assert.equal(stages, ['ssh', 'ssh!', 'cloud-init', 'docker'])
  assert.equal(proc.scripts, [
    buildReadinessScript(['ssh', 'cloud-init', 'docker']),
    buildReadinessScript(['ssh', 'cloud-init', 'docker']),
  ])
})

test('the remote script waits with cloud-init status --wait --long and result.json, then docker info', () => {
  const script = buildReadinessScript(['ssh', 'cloud-init', 'docker'])
  assert.ok(script.startsWith(`echo ${READY_MARK} ssh 0\n`), script)
  assert.match(script, 'cloud-init status --wait --long & waiter=$! r=/run/cloud-init/result.json')
  assert.match(script, 'while kill -0 $waiter 2>/dev/null && [ ! -e $r ]; do sleep 0.02; done')
  assert.match(script, `sg docker -c "docker info --format '{{.ServerVersion}}'"`)
  assert.not.match(buildReadinessScript(['ssh', 'docker']), 'cloud-init')
  assert.not.match(buildReadinessScript(['ssh', 'cloud-init']), 'docker')
})

test('the remote script against stand-in cloud-init and docker commands in a real shell', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ready-script-'))
  try {
    // A cloud-init that is not installed (PATH holds only the stand-ins and the shell's tools): its
    // absence is the stage's answer, in the shell's words.
    const tools = join(dir, 'bin')
    mkdirSync(tools)
    for (const tool of ['sleep', 'tr', 'grep', 'id'])
      symlinkSync(
        (await realProc.run(['sh', '-c', `command -v ${tool}`], { env: buildChildEnv() })).stdout.trim(),
        join(tools, tool),
      )
    const path = `${dir}:${tools}`
    const missing = await realProc.run(['/bin/bash', '-c', buildReadinessScript(['ssh', 'cloud-init'])], {
      env: buildChildEnv({ PATH: path }),
    })
    assert.match(missing.stdout, `${READY_MARK} ssh 0`)
    assert.match(missing.stdout, new RegExp(`${READY_MARK} cloud-init 127$`, 'm'))
    writeFileSync(
      join(dir, 'cloud-init'),
      '#!/bin/sh\necho "status: error"\necho detail:\necho boom\nexit 1\n',
      {
        mode: 0o755,
      },
    )
    writeFileSync(join(dir, 'docker'), '#!/bin/sh\necho 26.1.5\n', { mode: 0o755 })
    const failed = await realProc.run(
      ['/bin/bash', '-c', buildReadinessScript(['ssh', 'cloud-init', 'docker'])],
      {
        env: buildChildEnv({ PATH: path }),
      },
    )
    assert.match(failed.stdout, `status: error\ndetail:\nboom\n\n${READY_MARK} cloud-init 1\n`)
    assert.match(failed.stdout, `26.1.5\n${READY_MARK} docker 0`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('Docker not answering yet: a fresh connection retries only Docker', async () => {
  const proc = scriptedProc([
    {
      lines: [
        mark('ssh', 0),
        'status: done',
        mark('cloud-init', 0),
        'Cannot connect to the Docker daemon',
        mark('docker', 1),
      ],
    },
    { lines: [mark('ssh', 0), '26.1.5', mark('docker', 0)] },
  ])
  const problems: string[] = []
  await waitForHost(proc, target, {
    timeoutMs: 60_000,
    ...fakeClock(),
    onProgress: (_s, p) => p && problems.push(p),
  })
  assert.equal(problems, ['docker check failed (exit 1): Cannot connect to the Docker daemon'])
  assert.is(proc.scripts[1], buildReadinessScript(['docker']))
})

test('a host key mismatch is named at once, not retried', async () => {
  const proc = scriptedProc([{ exitCode: 255, stderr: 'Host key verification failed.' }])
  try {
    await waitForHost(proc, target, { timeoutMs: 60_000, ...fakeClock() })
    assert.unreachable()
  } catch (error) {
    assert.instance(error, HostKeyMismatchError)
    assert.match((error as Error).message, '10.0.0.5')
    assert.is(proc.scripts.length, 1)
  }
})

test("cloud-init's error (exit 1) is reported at once with its own detail lines", async () => {
  const proc = scriptedProc([
    {
      lines: [
        mark('ssh', 0),
        '.....',
        'status: error',
        'boot_status_code: enabled-by-generator',
        'last_update: Wed, 02 Dec 2026 03:17:25 +0000',
        'detail:',
        "('scripts-user', RuntimeError('Runparts: 1 failures (runcmd) in 1 attempted commands'))",
        mark('cloud-init', 1),
      ],
    },
  ])
  try {
    await waitForHost(proc, target, { timeoutMs: 60_000, ...fakeClock() })
    assert.unreachable()
  } catch (error) {
    assert.instance(error, CloudInitError)
    assert.is((error as CloudInitError).exitCode, 52)
    assert.is(
      (error as Error).message,
      "cloud-init on 10.0.0.5 reported an error:\n  ('scripts-user', RuntimeError('Runparts: 1 failures (runcmd) in 1 attempted commands'))",
    )
    assert.is(proc.scripts.length, 1)
  }
})

test('a host whose SSH never answers times out with the last problem', async () => {
  const refused = Array.from({ length: 100 }, () => ({
    exitCode: 255,
    stderr: 'ssh: connect to host 10.0.0.5 port 2222: Connection refused',
  }))
  const proc = scriptedProc(refused)
  try {
    await waitForHost(proc, target, { timeoutMs: 5_000, pollMs: 1000, ...fakeClock() })
    assert.unreachable()
  } catch (error) {
    assert.instance(error, HostNotReadyError)
    assert.is(
      (error as Error).message,
      '10.0.0.5 was not ready after 5s: ssh check failed (exit 255): ssh: connect to host 10.0.0.5 port 2222: Connection refused',
    )
  }
})

test('a cloud-init that never finishes: the waiting connection is cut at the deadline', async () => {
  const proc = scriptedProc([{ lines: [mark('ssh', 0), '....'], hang: true }])
  const started = Date.now()
  try {
    await waitForHost(proc, target, { timeoutMs: 300, pollMs: 1000 })
    assert.unreachable()
  } catch (error) {
    assert.instance(error, HostNotReadyError)
    assert.match(
      (error as Error).message,
      '10.0.0.5 was not ready after 0s: cloud-init check did not finish in time',
    )
    assert.ok(Date.now() - started < 2000, 'no pause after the deadline')
  }
})

test('Ctrl-C (the abort signal) ends the wait at once with exit 130', async () => {
  const proc = scriptedProc([{ lines: [mark('ssh', 0)], hang: true }])
  const controller = new AbortController()
  setTimeout(() => controller.abort(), 50)
  try {
    await waitForHost(proc, target, { timeoutMs: 600_000, signal: controller.signal })
    assert.unreachable()
  } catch (error) {
    assert.instance(error, WaitInterruptedError)
    assert.is((error as WaitInterruptedError).exitCode, 130)
    assert.is(proc.scripts.length, 1)
  }
})

test.run()
