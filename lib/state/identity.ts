/**
 * The operator's age identity on disk: the keys file sops reads, sealed with the person's passphrase (the
 * `age -p` format, which sops ≥ 3.10 and the unlock agent open), importing an identity from a key file (refused,
 * like ssh, when others can read it), and adding identities to the keys file without ever losing one.
 */
import { readFileSync } from 'node:fs'
import { mkdir, readFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { ExitCode } from '../errors.ts'
import { isSealedKeysFile, sealKeysFile } from '../sops/index.ts'
import { defaultAgeKeyFile, parseIdentityText, verifyPrivateFile } from '../sops/keys.ts'
import { realpathOrSelf, writeFileAtomic } from './atomic.ts'
import { StateUnsafeError } from './errors.ts'

/** A passphrase shorter than this is refused: the sealed file is an offline guessing target. */
export const MIN_PASSPHRASE_LENGTH = 12

/** The keys file sops reads: SOPS_AGE_KEY_FILE, else $XDG_CONFIG_HOME/sops/age/keys.txt, else ~/.config/…. */
export function identityFilePath(env: NodeJS.ProcessEnv = process.env): string {
  return env.SOPS_AGE_KEY_FILE ? env.SOPS_AGE_KEY_FILE : defaultAgeKeyFile(env)
}

/** The one age identity in a key file (an `age-keygen` output or a keys.txt with a single key). */
export async function readIdentityFile(path: string): Promise<string> {
  verifyPrivateFile(path)
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
  return found[0] as string
}

export type KeysFile =
  | { kind: 'missing'; path: string }
  | { kind: 'plaintext'; path: string; identities: string[] }
  | { kind: 'sealed'; path: string; bytes: Uint8Array }

/** What the keys file at `path` (through a symlink to where it really is) holds. */
export async function readKeysFile(path: string): Promise<KeysFile> {
  const target = realpathOrSelf(path)
  let bytes: Buffer | undefined
  try {
    // Synchronous, as every read on a command's way to its state (lib/state/atomic.ts, readTextIfExists).
    bytes = readFileSync(target)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  if (bytes === undefined) return { kind: 'missing', path: target }
  verifyPrivateFile(target)
  if (isSealedKeysFile(bytes)) return { kind: 'sealed', path: target, bytes: new Uint8Array(bytes) }
  return {
    kind: 'plaintext',
    path: target,
    identities: await parseIdentityText(bytes.toString('utf8'), target),
  }
}

/** The identities of a sealed keys file (armored or binary); undefined when the passphrase does not open it. */
export async function openSealedKeys(
  bytes: Uint8Array,
  passphrase: string,
  path: string,
): Promise<string[] | undefined> {
  // age's scrypt recipient: loaded when a passphrase is typed, not at start-up.
  const { armor, Decrypter } = await import('age-encryption')
  const decrypter = new Decrypter()
  decrypter.addPassphrase(passphrase)
  const text = Buffer.from(bytes).toString('latin1')
  const file = text.startsWith('-----BEGIN') ? armor.decode(text) : bytes
  const plain = await decrypter.decrypt(file, 'text').catch(() => undefined)
  return plain === undefined ? undefined : parseIdentityText(plain, path)
}

/** Write `identities` sealed with `passphrase` to `path` (0600, in a 0700 directory), replacing it atomically. */
export async function writeSealedKeys(
  path: string,
  identities: readonly string[],
  passphrase: string,
): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 })
  await writeFileAtomic(path, await sealKeysFile([...new Set(identities)], passphrase), 0o600)
}
