import { spawn, spawnSync } from 'node:child_process'
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readProcStat } from '../../lib/gate/proc.ts'
import { LockHeldError } from '../../lib/state/errors.ts'
import { acquireLock, buildHolder, isProcessDead } from '../../lib/state/lock.ts'
import { rejection } from './env.ts'

const dir = mkdtempSync(join(tmpdir(), 'dc-lock-'))
test.after(() => rmSync(dir, { recursive: true, force: true }))

/** The pid of a process that has certainly exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'])
  return Number(child.stdout.toString())
}

test('a lock is exclusive while held and free after release', async () => {
  const path = join(dir, 'a.lock')
  const release = await acquireLock(path, buildHolder('cloud:up --stack lab'))
  const holder = JSON.parse(readFileSync(join(path, 'holder.json'), 'utf8'))
  assert.is(holder.pid, process.pid)
  assert.is(holder.host, hostname())
  try {
    await acquireLock(path, buildHolder('state edit'))
    assert.unreachable()
  } catch (error) {
    assert.instance(error, LockHeldError)
    assert.is((error as LockHeldError).exitCode, 75)
    assert.match(
      (error as LockHeldError).message,
      `pid ${process.pid} on ${hostname()} ("cloud:up --stack lab"`,
    )
  }
  await release()
  assert.not.ok(existsSync(path))
  await (await acquireLock(path, buildHolder('again')))()
})

test('a lock whose holder died on this host is taken over', async () => {
  const path = join(dir, 'stale.lock')
  const pid = deadPid()
  assert.ok(isProcessDead(pid))
  mkdirSync(path)
  const stale = { pid, host: hostname(), command: 'crashed', startedAt: '2020-01-01T00:00:00Z' }
  writeFileSync(join(path, 'holder.json'), JSON.stringify(stale))
  const release = await acquireLock(path, buildHolder('taker'))
  assert.is(JSON.parse(readFileSync(join(path, 'holder.json'), 'utf8')).command, 'taker')
  await release()
})

test('a lock whose pid now belongs to another process, or is from before a reboot, is taken over', async () => {
  const path = join(dir, 'reused.lock')
  const live = buildHolder('still running')
  assert.ok(live.boot && live.pidNs && live.startTicks !== undefined, 'this Linux host records all three')
  for (const before of [
    { ...live, startTicks: (live.startTicks ?? 0) - 1 }, // an earlier process that had this pid
    { ...live, boot: '00000000-0000-4000-8000-000000000000' }, // a process of an earlier boot
  ]) {
    mkdirSync(path)
    writeFileSync(join(path, 'holder.json'), JSON.stringify({ ...before, command: 'crashed' }))
    const release = await acquireLock(path, buildHolder('taker'))
    assert.is(JSON.parse(readFileSync(join(path, 'holder.json'), 'utf8')).command, 'taker')
    await release()
  }
  // Held (and named): the record of this live process; one written before these fields existed; one from
  // another pid namespace, whose pids and start ticks this /proc cannot judge; one whose ticks are not a number.
  for (const holder of [
    live,
    { pid: live.pid, host: live.host, command: live.command, startedAt: live.startedAt },
    { ...live, pidNs: 'pid:[1]', startTicks: (live.startTicks ?? 0) - 1 },
    { ...live, startTicks: null },
  ]) {
    mkdirSync(path)
    writeFileSync(join(path, 'holder.json'), JSON.stringify(holder))
    assert.match((await rejection(acquireLock(path, buildHolder('x')))).message, '"still running"')
    rmSync(path, { recursive: true })
  }
})

test('a start tick is read past a command name with spaces and parentheses, and is the start', async () => {
  const odd = join(dir, 'x) (y z')
  copyFileSync('/bin/sleep', odd)
  chmodSync(odd, 0o755)
  const child = spawn(odd, ['5'])
  try {
    await new Promise((resolve) => child.once('spawn', resolve))
    assert.match(readFileSync(`/proc/${child.pid}/stat`, 'utf8'), `(x) (y z)`)
    const ticks = readProcStat(child.pid!)?.startTime
    const uptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0])
    // Clock ticks are 1/100 s to user space on Linux: the child started within the last few seconds, after us.
    assert.ok(
      ticks !== undefined && ticks / 100 > uptime - 5 && ticks / 100 <= uptime + 0.01,
      `${ticks} vs ${uptime}`,
    )
    assert.ok(ticks > (buildHolder('x').startTicks ?? Infinity), 'later than this test process')
  } finally {
    child.kill()
  }
})

test('a dead pid on another host is not assumed stale', async () => {
  const path = join(dir, 'remote.lock')
  mkdirSync(path)
  const other = {
    pid: deadPid(),
    host: 'other-host',
    command: 'cloud:destroy',
    startedAt: '2020-01-01T00:00:00Z',
  }
  writeFileSync(join(path, 'holder.json'), JSON.stringify(other))
  try {
    await acquireLock(path, buildHolder('x'))
    assert.unreachable()
  } catch (error) {
    assert.instance(error, LockHeldError)
    assert.match((error as Error).message, 'on other-host ("cloud:destroy"')
  }
})

test('a lock directory without holder is stale only after a grace period', async () => {
  const path = join(dir, 'orphan.lock')
  mkdirSync(path)
  assert.match((await rejection(acquireLock(path, buildHolder('x')))).message, 'still starting')
  const old = new Date(Date.now() - 60_000)
  utimesSync(path, old, old)
  await (await acquireLock(path, buildHolder('x')))()
})

test('releasing twice, or after a takeover, leaves the new holder alone', async () => {
  const path = join(dir, 'b.lock')
  const release = await acquireLock(path, buildHolder('first'))
  await release()
  const second = await acquireLock(path, buildHolder('second'))
  await release()
  assert.ok(existsSync(join(path, 'holder.json')))
  await second()
})

test.run()
