/**
 * Finding age identities where sops looks for them, in sops's order: SSH keys
 * (SOPS_AGE_SSH_PRIVATE_KEY_FILE, ~/.ssh/id_ed25519, ~/.ssh/id_rsa), SOPS_AGE_KEY, SOPS_AGE_KEY_FILE,
 * SOPS_AGE_KEY_CMD, then $XDG_CONFIG_HOME/sops/age/keys.txt (default ~/.config/sops/age/keys.txt).
 * Identity files readable by group or others are refused, as ssh refuses such private keys.
 */
import { readFileSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { buildChildEnv, type Proc, realProc } from '../proc.ts'
import { x25519Recipient } from './age-file.ts'
import { SopsKeyFileInvalidError, SopsKeyFileUnsafeError } from './errors.ts'
import { isSealedKeysFile } from './sealed-keys.ts'
import type { AgeIdentities } from './types.ts'

const IDENTITY = /^AGE-SECRET-KEY-(?:PQ-)?1[0-9A-Z]+$/

/** Parse an age identity file's text: one identity per line, `#` comments and blank lines ignored. */
export async function parseIdentityText(text: string, source: string): Promise<string[]> {
  const identities: string[] = []
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    if (line.startsWith('AGE-PLUGIN-'))
      throw new SopsKeyFileInvalidError(
        source,
        `line ${index + 1} is an age plugin identity, which this tool cannot use`,
      )
    if (!IDENTITY.test(line))
      throw new SopsKeyFileInvalidError(source, `line ${index + 1} is not an AGE-SECRET-KEY-1… identity`)
    try {
      x25519Recipient(line)
    } catch {
      throw new SopsKeyFileInvalidError(source, `line ${index + 1} has a bad checksum or length`)
    }
    identities.push(line)
  }
  return identities
}

/** Split a command line like google/shlex (what sops uses for SOPS_AGE_KEY_CMD): quotes and backslashes, no shell. */
export function splitCommandLine(line: string): string[] {
  const words: string[] = []
  let word: string | undefined
  let quote: '"' | "'" | undefined
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string
    if (quote === "'") {
      if (ch === "'") quote = undefined
      else word += ch
    } else if (ch === '\\' && i + 1 < line.length && quote !== '"') {
      word = (word ?? '') + line[++i]
    } else if (ch === '\\' && quote === '"' && ['"', '\\', '$', '`'].includes(line[i + 1] ?? '')) {
      word += line[++i] as string
    } else if (quote === '"') {
      if (ch === '"') quote = undefined
      else word += ch
    } else if (ch === '"' || ch === "'") {
      quote = ch
      word = word ?? ''
    } else if (/\s/.test(ch)) {
      if (word !== undefined) words.push(word)
      word = undefined
    } else word = (word ?? '') + ch
  }
  if (quote) throw new SopsKeyFileInvalidError('SOPS_AGE_KEY_CMD', 'it has an unclosed quote')
  if (word !== undefined) words.push(word)
  return words
}

/** Throw unless only the owner may access the identity file (mode & 077 == 0). */
export function verifyPrivateFile(path: string): void {
  const info = statSync(path)
  if ((info.mode & 0o077) !== 0) throw new SopsKeyFileUnsafeError(path, info.mode)
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT'
}

function describeCount(n: number): string {
  return `${n} identit${n === 1 ? 'y' : 'ies'}`
}

async function readIdentityFile(path: string, label: string, found: AgeIdentities): Promise<void> {
  try {
    verifyPrivateFile(path)
    const text = readFileSync(path, 'utf8')
    if (isSealedKeysFile(text)) {
      found.sealedFiles.push(path)
      found.searched.push(`${label}${path} (sealed with a passphrase)`)
      return
    }
    const ids = await parseIdentityText(text, `${label}${path}`)
    found.identities.push(...ids)
    found.searched.push(`${label}${path} (${describeCount(ids.length)})`)
  } catch (error) {
    if (!isMissing(error)) throw error
    found.searched.push(`${label}${path} (missing)`)
  }
}

/**
 * An SSH private key. One named in SOPS_AGE_SSH_PRIVATE_KEY_FILE must be private (else an error);
 * the ~/.ssh defaults are only probed, so an unsafe one is skipped and reported in `searched`.
 */
async function readSshKey(
  path: string,
  label: string,
  found: AgeIdentities,
  explicit: boolean,
): Promise<void> {
  let text: string
  try {
    verifyPrivateFile(path)
    text = readFileSync(path, 'utf8')
  } catch (error) {
    if (error instanceof SopsKeyFileUnsafeError && !explicit) {
      found.searched.push(`${label}${path} (accessible by group or others: skipped, chmod 600 it to use it)`)
      return
    }
    if (!isMissing(error)) throw error
    found.searched.push(`${label}${path} (missing)`)
    return
  }
  try {
    // sops-age (and its SSH key parser) is loaded only when an SSH key file is actually there.
    const { sshKeyToAge } = await import('sops-age')
    const identity = sshKeyToAge(text, path)
    if (identity) found.identities.push(identity)
    found.searched.push(
      `${label}${path} (${identity ? '1 identity, converted like ssh-to-age' : 'unsupported key type'})`,
    )
  } catch {
    found.searched.push(`${label}${path} (passphrase-protected or unreadable SSH key, skipped)`)
  }
}

async function runKeyCommand(
  command: string,
  env: NodeJS.ProcessEnv,
  proc: Proc,
  found: AgeIdentities,
): Promise<void> {
  const argv = splitCommandLine(command)
  if (argv.length === 0) throw new SopsKeyFileInvalidError('SOPS_AGE_KEY_CMD', 'it is empty')
  const result = await proc.run(argv, { env: buildChildEnv({}, env) })
  if (result.exitCode !== 0)
    throw new SopsKeyFileInvalidError(
      'SOPS_AGE_KEY_CMD',
      `\`${argv[0]}\` exited with ${result.exitCode ?? result.signal}`,
    )
  const ids = await parseIdentityText(result.stdout, 'the output of SOPS_AGE_KEY_CMD')
  found.identities.push(...ids)
  found.searched.push(`SOPS_AGE_KEY_CMD=${argv[0]} (${describeCount(ids.length)})`)
}

/** The user's home: $HOME when set and not empty, else the account's home directory. */
function homeOf(env: NodeJS.ProcessEnv): string {
  return env.HOME && env.HOME !== '' ? env.HOME : homedir()
}

/** sops's default keys file: $XDG_CONFIG_HOME/sops/age/keys.txt, else ~/.config/sops/age/keys.txt. */
export function defaultAgeKeyFile(env: NodeJS.ProcessEnv = process.env): string {
  const configHome =
    env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME !== '' ? env.XDG_CONFIG_HOME : join(homeOf(env), '.config')
  return join(configHome, 'sops', 'age', 'keys.txt')
}

const KEY_VARIABLES = [
  'HOME',
  'XDG_CONFIG_HOME',
  'SOPS_AGE_KEY',
  'SOPS_AGE_KEY_FILE',
  'SOPS_AGE_KEY_CMD',
  'SOPS_AGE_SSH_PRIVATE_KEY_FILE',
]
const searches = new Map<string, Promise<AgeIdentities>>()

/** What the search depends on: the variables, and when each key file last changed, content or mode (a rotation adds a key; a chmod may make one unsafe). */
async function searchKey(env: NodeJS.ProcessEnv): Promise<string> {
  const home = homeOf(env)
  const files = [
    env.SOPS_AGE_KEY_FILE,
    defaultAgeKeyFile(env),
    join(home, '.ssh', 'id_ed25519'),
    join(home, '.ssh', 'id_rsa'),
  ]
  // Synchronous, as every read on a command's way to its state (lib/state/atomic.ts, readTextIfExists).
  const times = files.map((f) => {
    try {
      const info = f ? statSync(f) : undefined
      return info ? [info.ctimeMs, info.mode] : null
    } catch {
      return null
    }
  })
  return JSON.stringify([KEY_VARIABLES.map((n) => env[n] ?? null), times])
}

/**
 * Find age identities the way sops does; `searched` lists every place looked at, for error messages. One search
 * per process and key set: the gate and the store both ask, and SOPS_AGE_KEY_CMD may need a hardware-key touch.
 */
export async function findAgeIdentities(
  env: NodeJS.ProcessEnv = process.env,
  proc: Proc = realProc,
): Promise<AgeIdentities> {
  if (proc !== realProc) return searchAgeIdentities(env, proc)
  const key = await searchKey(env)
  let search = searches.get(key)
  if (!search) {
    search = searchAgeIdentities(env, proc)
    searches.set(key, search)
    search.catch(() => searches.delete(key))
  }
  const found = await search
  return {
    identities: [...found.identities],
    sealedFiles: [...found.sealedFiles],
    searched: [...found.searched],
  }
}

async function searchAgeIdentities(env: NodeJS.ProcessEnv, proc: Proc): Promise<AgeIdentities> {
  const found: AgeIdentities = { identities: [], sealedFiles: [], searched: [] }
  const home = homeOf(env)
  if (env.SOPS_AGE_SSH_PRIVATE_KEY_FILE)
    await readSshKey(env.SOPS_AGE_SSH_PRIVATE_KEY_FILE, 'SOPS_AGE_SSH_PRIVATE_KEY_FILE=', found, true)
  else found.searched.push('SOPS_AGE_SSH_PRIVATE_KEY_FILE (not set)')
  await readSshKey(join(home, '.ssh', 'id_ed25519'), 'SSH key ', found, false)
  await readSshKey(join(home, '.ssh', 'id_rsa'), 'SSH key ', found, false)
  if (env.SOPS_AGE_KEY !== undefined) {
    const ids = await parseIdentityText(env.SOPS_AGE_KEY, 'SOPS_AGE_KEY')
    found.identities.push(...ids)
    found.searched.push(`SOPS_AGE_KEY (${describeCount(ids.length)})`)
  } else found.searched.push('SOPS_AGE_KEY (not set)')
  if (env.SOPS_AGE_KEY_FILE) await readIdentityFile(env.SOPS_AGE_KEY_FILE, 'SOPS_AGE_KEY_FILE=', found)
  else found.searched.push('SOPS_AGE_KEY_FILE (not set)')
  if (env.SOPS_AGE_KEY_CMD) await runKeyCommand(env.SOPS_AGE_KEY_CMD, env, proc, found)
  else found.searched.push('SOPS_AGE_KEY_CMD (not set)')
  await readIdentityFile(defaultAgeKeyFile(env), 'default key file ', found)
  return found
}
