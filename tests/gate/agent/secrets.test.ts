/**
 * The opened identity lives only in the agent's memory: after a run (start, decrypt, mac, lock) neither it
 * nor the passphrase is in any file written under HOME, the secrets dir or /tmp, nor in the agent's argv
 * or environment; and another process of the same (non-root) uid cannot read the agent's memory.
 */
import { execFileSync } from 'node:child_process'
import { chownSync, cpSync, mkdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { agentSocketDir } from '../../../lib/gate/agent/paths.ts'
import { agentDir } from '../../../lib/tools/agent.ts'
import { toolCacheRoot } from '../../../lib/tools/paths.ts'
import { testUnless, whyNotRoot } from '../../helpers/skip.ts'
import { AgentBox, OPERATOR } from './box.ts'

const READ_MEM = join(import.meta.dirname, 'fixtures', 'read-mem.mjs')
const DEPLOY = 'deploy'

test('neither the identity nor the passphrase reaches a file, the agent’s argv or its environment', async () => {
  const box = await new AgentBox().setUp()
  try {
    const a = box.shell(
      `$TSX $CLI start $KEYS ${OPERATOR} 120000; $TSX $CLI decrypt $SECRET; ` +
        `$TSX $CLI mac ${box.recipient} hello; echo RAN; read -r; $TSX $CLI lock; echo DONE`,
    )
    const agent = await box.answerStart(a)
    await a.expect(`PLAINTEXT ${box.message}`)
    await a.expect(/MAC [0-9a-f]{64}/)
    await a.expect('RAN')
    const cmdline = readFileSync(`/proc/${agent.pid}/cmdline`, 'utf8')
    assert.ok(cmdline.includes(`--keys-file=${box.keysFile}`), 'this is the agent')
    const environ = readFileSync(`/proc/${agent.pid}/environ`, 'utf8')
    assert.is(environ, '', 'the agent runs with an empty environment')
    for (const secret of [box.identity, box.passphrase]) assert.not.ok(cmdline.includes(secret))
    a.type('\r')
    await a.expect('LOCKED')
    await a.expect('DONE')
    const roots = [box.home, box.secrets, '/tmp', agentSocketDir(process.getuid?.() ?? 0)]
    assert.equal(box.filesContaining(box.identity, roots), [], 'the identity string is in no file')
    assert.equal(box.filesContaining(box.passphrase, roots), [], 'the passphrase is in no file')
    assert.ok(
      box.filesContaining('BEGIN AGE ENCRYPTED FILE', [box.home]).includes(box.keysFile),
      'the scan reads files',
    )
  } finally {
    box.cleanup()
  }
})

/** Run the memory reader as `deploy` against `pid`. */
function readMemoryAs(pid: number): string {
  return execFileSync(
    'setpriv',
    [
      `--reuid=${DEPLOY}`,
      `--regid=${DEPLOY}`,
      '--init-groups',
      '--',
      process.execPath,
      READ_MEM,
      String(pid),
    ],
    { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } },
  ).trim()
}

testUnless(test, whyNotRoot(), 'a same-uid process (non-root) cannot read the agent’s memory', async () => {
  const box = await new AgentBox().setUp()
  try {
    // The deploy user's own workstation: its HOME, its sealed keys file and a copy of the agent binary
    // in its own tool cache (root's cache is not readable by it).
    const home = join(box.dir, 'deploy-home')
    const cache = join(box.dir, 'deploy-cache')
    const keysFile = join(home, '.config', 'sops', 'age', 'keys.txt')
    mkdirSync(dirname(keysFile), { recursive: true, mode: 0o700 })
    cpSync(box.keysFile, keysFile)
    const cacheHome = resolve(toolCacheRoot(), '..', '..')
    cpSync(agentDir(), join(cache, relative(cacheHome, agentDir())), { recursive: true })
    const uid = Number(execFileSync('id', ['-u', DEPLOY], { encoding: 'utf8' }))
    const gid = Number(execFileSync('id', ['-g', DEPLOY], { encoding: 'utf8' }))
    for (const path of execFileSync('find', [box.dir], { encoding: 'utf8' }).trim().split('\n'))
      chownSync(path, uid, gid)
    const a = box.shell(
      `$TSX $CLI start ${keysFile} ${OPERATOR} 120000; echo STARTED; sleep 60`,
      { HOME: home, XDG_CACHE_HOME: cache },
      ['setpriv', `--reuid=${DEPLOY}`, `--regid=${DEPLOY}`, '--init-groups', '--'],
    )
    const agent = await box.answerStart(a)
    await a.expect('STARTED')
    const status = readFileSync(`/proc/${agent.pid}/status`, 'utf8')
    assert.match(status, new RegExp(`^Uid:\\s+${uid}\\s`, 'm'), 'the agent runs as deploy')
    assert.is(readMemoryAs(a.pid), 'READ 16', 'deploy can read the memory of its own ordinary process')
    assert.match(readMemoryAs(agent.pid), /^DENIED (maps|mem) EACCES$/, 'but not the agent’s')
  } finally {
    box.cleanup()
  }
})

test.run()
