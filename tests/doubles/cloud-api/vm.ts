/**
 * The "VM" of the double is a bench test host. What cloud-init does on a real first boot with our user data
 * that matters to the launcher is installing the pre-generated sshd host key; the double does the same on
 * the test host (key files, then sshd reloads) and returns only once sshd serves the new key, as a real VM
 * never serves another one. For the mismatch fault it installs a different, freshly generated key instead.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildChildEnv, realProc } from '../../../lib/proc.ts'
import { buildHostLayout, parseSlot } from '../../harness/layout.ts'
import { readHostRecord } from '../../harness/record.ts'
import type { DoubleConfig } from './config.ts'
import type { HostKeyPair } from './contract.ts'

const env = buildChildEnv({ PATH: '/usr/sbin:/usr/bin:/sbin:/bin' })

async function run(argv: string[]): Promise<string> {
  const done = await realProc.run(argv, { env })
  if (done.exitCode !== 0) throw new Error(`${argv[0]} failed (${done.exitCode}): ${done.stderr.trim()}`)
  return done.stdout
}

async function generateForeignKey(): Promise<HostKeyPair> {
  const dir = mkdtempSync(join(tmpdir(), 'cloud-api-double-'))
  try {
    const file = join(dir, 'key')
    await run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'not-the-pinned-key', '-f', file])
    return { privateKey: readFileSync(file, 'utf8'), publicKey: readFileSync(`${file}.pub`, 'utf8').trim() }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function waitForServedKey(address: string, publicKey: string): Promise<void> {
  const blob = publicKey.split(/\s+/)[1]
  const deadline = Date.now() + 15_000
  while (Date.now() < deadline) {
    const scan = await realProc.run(['ssh-keyscan', '-T', '2', '-t', 'ed25519', address], { env })
    if (blob !== undefined && scan.stdout.includes(blob)) return
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  throw new Error(`sshd on ${address} did not serve the installed host key within 15 s.`)
}

/** Boot the "VM": install the host key (from the user data, or a foreign one) on the test host's sshd. */
export async function bootVm(config: DoubleConfig, fromUserData: HostKeyPair): Promise<void> {
  const slot = parseSlot(config.host.name)
  const layout = slot === undefined ? undefined : buildHostLayout(slot)
  const initPid = layout === undefined ? undefined : readHostRecord(layout)?.initPid
  if (layout === undefined || initPid === undefined)
    throw new Error(`${config.host.name} is not a running bench host.`)
  const key = config.hostKey === 'user-data' ? fromUserData : await generateForeignKey()
  const file = join(layout.sshDir, 'ssh_host_ed25519_key')
  writeFileSync(file, key.privateKey.endsWith('\n') ? key.privateKey : `${key.privateKey}\n`, { mode: 0o600 })
  writeFileSync(`${file}.pub`, `${key.publicKey.trim()}\n`, { mode: 0o644 })
  // sshd re-executes itself on SIGHUP and reads its host keys again; its pid file is inside the host.
  const signal = ['sh', '-c', 'kill -HUP "$(cat /run/sshd.pid)"']
  await run(['nsenter', '--target', String(initPid), '--mount', '--pid', '--', ...signal])
  await waitForServedKey(config.host.address, key.publicKey)
}
