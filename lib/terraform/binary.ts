/**
 * Which Terraform-compatible binary runs a stack: `--tf-bin terraform|tofu`, else the pinned OpenTofu, else
 * `tofu` on PATH, else `terraform` on PATH. The flavour decides how state is kept encrypted at rest.
 */
import { accessSync, constants, statSync } from 'node:fs'
import { basename, delimiter, join } from 'node:path'
import { ToolMissingError, UsageError } from '../errors.ts'
import { tofuBinary } from '../tools/paths.ts'

export type TfFlavor = 'tofu' | 'terraform'

export interface TfBinary {
  path: string
  flavor: TfFlavor
}

const FLAVORS: readonly TfFlavor[] = ['tofu', 'terraform']

/** True when `path` is an executable regular file. */
export function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return statSync(path).isFile()
  } catch {
    return false
  }
}

/** The first `name` on the PATH of `env`, or undefined. */
export function findOnPath(
  name: string,
  env: NodeJS.ProcessEnv = process.env,
  isExecutable: (path: string) => boolean = isExecutableFile,
): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue
    const candidate = join(dir, name)
    if (isExecutable(candidate)) return candidate
  }
  return undefined
}

function verifyFlavor(requested: string): TfFlavor {
  if ((FLAVORS as readonly string[]).includes(requested)) return requested as TfFlavor
  throw new UsageError(
    `--tf-bin must be "tofu" or "terraform", not "${requested}".`,
    'Leave --tf-bin out to use the pinned OpenTofu (built by `npm run tools`).',
  )
}

function locate(flavor: TfFlavor, env: NodeJS.ProcessEnv, isExecutable: (p: string) => boolean) {
  if (flavor === 'tofu') {
    const pinned = tofuBinary(env)
    if (isExecutable(pinned)) return pinned
  }
  return findOnPath(flavor, env, isExecutable)
}

/** `--tf-bin /path/to/tofu`: an explicit binary, its flavor taken from its name. */
function resolveTfPath(path: string, isExecutable: (path: string) => boolean): TfBinary {
  const name = basename(path)
  const flavor = FLAVORS.find((f) => name.startsWith(f))
  if (flavor === undefined) {
    throw new UsageError(`--tf-bin ${path}: the file name must start with "tofu" or "terraform".`)
  }
  if (!isExecutable(path)) throw new ToolMissingError(flavor, `--tf-bin ${path} is not an executable file.`)
  return { path, flavor }
}

/** Resolve the binary from the `--tf-bin` value (or its absence); throws ToolMissingError with the fix. */
export function resolveTfBinary(
  requested: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  isExecutable: (path: string) => boolean = isExecutableFile,
): TfBinary {
  if (requested?.includes('/')) return resolveTfPath(requested, isExecutable)
  const order = requested === undefined || requested === '' ? FLAVORS : [verifyFlavor(requested)]
  for (const flavor of order) {
    const path = locate(flavor, env, isExecutable)
    if (path !== undefined) return { path, flavor }
  }
  throw new ToolMissingError(
    order.join('/'),
    `No ${order.join(' or ')} binary found (looked at ${tofuBinary(env)} and on PATH).`,
  )
}
