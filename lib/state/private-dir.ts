/**
 * Private run directories: the 0700 directories the tool makes for itself (plaintext Terraform state, tunnel
 * sockets) and later removes. A path to one is often read back from a file a person could edit (sealing.json,
 * connect.json), so it is trusted only when it is a direct child of the tool's own prefix, a real directory
 * (not a symlink), owned by this user and mode 0700: anything else is never read from nor deleted.
 */
import { lstat } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { StateUnsafeError } from './errors.ts'

/** Why `path` is not a private directory made under `prefix`, or undefined when it is one (or is gone). */
export async function findPrivateDirProblem(path: string, prefix: string): Promise<string | undefined> {
  const name = path.slice(prefix.length)
  if (resolve(path) !== path || !path.startsWith(prefix) || name === '' || name.includes('/'))
    return `it is not a directory ${prefix}… this tool makes`
  const info = await lstat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined
    throw error
  })
  if (info === undefined) return undefined
  if (info.isSymbolicLink()) return 'it is a symlink'
  if (!info.isDirectory()) return 'it is not a directory'
  const uid = process.getuid?.()
  if (uid !== undefined && info.uid !== uid) return `it is owned by uid ${info.uid}, not by you (uid ${uid})`
  if ((info.mode & 0o777) !== 0o700) return `its mode is ${(info.mode & 0o777).toString(8)}, not 700`
  return undefined
}

/** Throw StateUnsafeError unless `path`, named by the file `source`, is a private directory under `prefix` (or gone). */
export async function verifyPrivateDir(path: string, prefix: string, source: string): Promise<void> {
  const problem = await findPrivateDirProblem(path, prefix)
  if (problem !== undefined)
    throw new StateUnsafeError(
      `${source} names ${path}, which is not a private run directory of this tool (${problem}); nothing was read from it or removed.`,
      `A run killed before it finished leaves its directory as ${prefix}… in ${dirname(prefix)}. If ${source} was edited by hand or by another program, check what it points at, then remove ${source} and run again.`,
    )
}
