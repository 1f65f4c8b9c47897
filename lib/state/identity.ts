/**
 * The operator's age identity on disk: where sops looks for it, importing an identity from a key file
 * (refused, like ssh, when others can read it: the codec's `verifyPrivateFile`), and appending a new identity
 * to the keys file without ever clobbering it.
 */
import { mkdir, readFile, realpath } from 'node:fs/promises'
import { dirname } from 'node:path'
import { ExitCode } from '../errors.ts'
import { defaultAgeKeyFile, parseIdentityText, verifyPrivateFile } from '../sops/keys.ts'
import { writeFileAtomic } from './atomic.ts'
import { StateUnsafeError } from './errors.ts'

/** The keys file sops reads: SOPS_AGE_KEY_FILE, else $XDG_CONFIG_HOME/sops/age/keys.txt, else ~/.config/…. */
export function identityFilePath(env: NodeJS.ProcessEnv = process.env): string {
  return env.SOPS_AGE_KEY_FILE ? env.SOPS_AGE_KEY_FILE : defaultAgeKeyFile(env)
}

/** The one age identity in a key file (an `age-keygen` output or a keys.txt with a single key). */
export async function readIdentityFile(path: string): Promise<string> {
  await verifyPrivateFile(path)
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new StateUnsafeError(
      `Cannot read ${path} (${error.code}).`,
      'Give the path of an age key file.',
      ExitCode.notFound,
    )
  })
  const found = await parseIdentityText(text, path)
  if (found.length !== 1)
    throw new StateUnsafeError(
      `${path} holds ${found.length} age identities; import needs exactly one.`,
      'Write the one AGE-SECRET-KEY-1… line to import into its own file (mode 0600) and pass that file.',
      ExitCode.badInput,
    )
  return found[0]!
}

/**
 * Add `identity` to the keys file at `path` (created 0600 in a 0700 directory when missing; an existing file
 * is kept and extended, never replaced by other content). Returns false when the identity was already there.
 */
export async function addIdentityToKeysFile(
  path: string,
  identity: string,
  recipient: string,
  label: string,
): Promise<boolean> {
  const target = await realpath(path).catch(() => path)
  const existing = await readFile(target, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined
    throw error
  })
  if (existing === undefined) return writeNewKeysFile(target, identity, recipient, label)
  await verifyPrivateFile(target)
  if (existing.split(/\r?\n/).some((line) => line.trim() === identity)) return false
  const separator = existing === '' || existing.endsWith('\n') ? '' : '\n'
  await writeFileAtomic(target, `${existing}${separator}${buildKeyEntry(identity, recipient, label)}`, 0o600)
  return true
}

function buildKeyEntry(identity: string, recipient: string, label: string): string {
  return `# ${label}, created ${new Date().toISOString()}\n# public key: ${recipient}\n${identity}\n`
}

async function writeNewKeysFile(
  path: string,
  identity: string,
  recipient: string,
  label: string,
): Promise<true> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 })
  await writeFileAtomic(path, buildKeyEntry(identity, recipient, label), 0o600)
  return true
}
