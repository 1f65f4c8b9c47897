/**
 * Operators: which one a command acts for, the public profile (id, recipients, retention), the `.sops.yaml`
 * that makes a plain `sops` run in the operator directory encrypt to the same recipients, and the check that
 * the operator's directory really lies inside the secrets tree.
 */
import { lstatSync, realpathSync, type Stats } from 'node:fs'
import { mkdir, readdir } from 'node:fs/promises'
import { join, relative, sep } from 'node:path'
import { UsageError } from '../errors.ts'
import { parsePlainYaml, stringifyPlainYaml } from '../sops/plain-yaml.ts'
import { readTextIfExists, realpathOrSelf, writeFileAtomic } from './atomic.ts'
import { Checker } from './check.ts'
import { OperatorNotFoundError, StateSchemaError, StateUnsafeError } from './errors.ts'
import { type OperatorPaths, operatorPaths, projectRoot, secretsRoot, verifyOperatorName } from './paths.ts'

export interface OperatorProfile {
  id: string
  /** The operator's own age recipients (`age1…`). */
  recipients: string[]
  /** Extra recipients every state file is also encrypted to (a recovery key kept offline). */
  recoveryRecipients: string[]
  /** How many previous versions of the state to keep in history/. */
  historyRetention: number
}

export const DEFAULT_HISTORY_RETENTION = 20
/** An X25519 age recipient: bech32 `age1` + 58 data characters. */
export const AGE_RECIPIENT = /^age1[02-9ac-hj-np-z]{58}$/

const INIT_HINT = 'Create one with `npm run operator:init -- --operator <name>`.'

/** Throw a UsageError unless `value` is an X25519 age recipient. */
export function verifyRecipient(value: string, what: string): string {
  if (!AGE_RECIPIENT.test(value))
    throw new UsageError(
      `${what} "${value}" is not an age recipient.`,
      'Give an age1… public key (62 characters).',
    )
  return value
}

/** The operator to act for: --operator, else DEBUG_CLOUD_OPERATOR, else the only operator that exists. */
export async function resolveOperator(options: {
  flag?: string | undefined
  env?: NodeJS.ProcessEnv
}): Promise<string> {
  const env = options.env ?? process.env
  if (options.flag !== undefined) return verifyOperatorName(options.flag)
  if (env.DEBUG_CLOUD_OPERATOR) return verifyOperatorName(env.DEBUG_CLOUD_OPERATOR)
  const root = join(secretsRoot(env), 'operators')
  const names = (await readdir(root).catch(() => [] as string[])).sort()
  const operators: string[] = []
  for (const name of names) if (lstatIfAny(join(root, name, 'profile.yaml'))) operators.push(name)
  if (operators.length === 1) return operators[0]!
  if (operators.length === 0) throw new OperatorNotFoundError(`No operator exists under ${root}.`, INIT_HINT)
  throw new OperatorNotFoundError(
    `Several operators exist (${operators.join(', ')}); which one is meant?`,
    'Pass --operator <name>, or set DEBUG_CLOUD_OPERATOR.',
  )
}

/** lstat, or undefined for a path that cannot be examined (gone, or a parent not a directory). */
function lstatIfAny(path: string): Stats | undefined {
  try {
    return lstatSync(path)
  } catch {
    return undefined
  }
}

function isInside(child: string, parent: string): boolean {
  const rel = relative(parent, child)
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !rel.startsWith(sep))
}

/**
 * Refuse an operator directory (or anything in it) that resolves outside the secrets tree, a default secrets
 * tree that resolves outside the repository, and a symlink in place of anything the tool writes or trusts in
 * the operator directory: the state file, `stacks/`, `audit.jsonl` and `.sops.yaml`. Synchronous calls: each
 * of these sixteen checks handed to libuv's thread pool and back left the thread idle (docs/testing.md).
 */
export async function verifyOperatorDir(
  paths: OperatorPaths,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const root = realpathOrSelf(paths.root)
  if (!env.DEBUG_CLOUD_SECRETS_DIR && !isInside(root, realpathSync.native(projectRoot)))
    throw unsafe(paths.root, root, 'the repository')
  // Before anything resolves links: a dangling one would otherwise be a bare ENOENT.
  for (const path of [paths.state, join(paths.dir, 'stacks'), paths.audit, paths.sopsConfig])
    if (lstatIfAny(path)?.isSymbolicLink())
      throw new StateUnsafeError(
        `${path} is a symlink.`,
        "Replace it with the real file or directory; an operator's state is never followed through links.",
      )
  for (const path of [join(paths.root, 'operators'), paths.dir, paths.history, paths.state, paths.profile]) {
    if (lstatIfAny(path) === undefined) continue
    const real = realpathSync.native(path)
    if (!isInside(real, root)) throw unsafe(path, real, root)
  }
}

function unsafe(path: string, real: string, boundary: string): StateUnsafeError {
  return new StateUnsafeError(
    `${path} leads to ${real}, outside ${boundary}; refusing to read or write state there.`,
    `Replace the symlink with a real directory inside ${boundary}, or point DEBUG_CLOUD_SECRETS_DIR at the intended place.`,
  )
}

/** Read and validate profile.yaml. */
export async function readProfile(paths: OperatorPaths): Promise<OperatorProfile> {
  const text = readTextIfExists(paths.profile)
  if (text === undefined)
    throw new OperatorNotFoundError(
      `Operator "${relative(paths.root, paths.dir)}" has no profile at ${paths.profile}.`,
      INIT_HINT,
    )
  const c = new Checker()
  const raw = c.record(await parsePlainYaml(text), '(top level)', [
    'id',
    'recipients',
    'recoveryRecipients',
    'historyRetention',
  ])
  const profile: OperatorProfile = {
    id: c.string(raw.id, 'id'),
    recipients: c.stringList(raw.recipients, 'recipients'),
    recoveryRecipients: c.stringList(raw.recoveryRecipients, 'recoveryRecipients'),
    historyRetention: c.integer(raw.historyRetention, 'historyRetention', 1, 10_000),
  }
  for (const [i, r] of [...profile.recipients, ...profile.recoveryRecipients].entries())
    if (!AGE_RECIPIENT.test(r)) c.fail(`recipient #${i + 1}`, 'an age1… recipient', r)
  if (profile.recipients.length === 0) c.problems.push('recipients: at least one is needed')
  if (c.problems.length > 0)
    throw new StateSchemaError(
      paths.profile,
      c.problems,
      `Fix ${paths.profile} by hand (it is plain YAML, not secret).`,
    )
  return profile
}

/** The recipients every state file of this operator is encrypted to. */
export function stateRecipients(profile: OperatorProfile): string[] {
  return [...new Set([...profile.recipients, ...profile.recoveryRecipients])]
}

/** The `.sops.yaml` text: one creation rule for every file in the directory, to the state recipients. */
export function buildSopsConfig(profile: OperatorProfile): string {
  return stringifyPlainYaml({ creation_rules: [{ age: stateRecipients(profile).join(',') }] }, [
    'Written by debug-cloud: a plain `sops` run in this directory encrypts to these recipients.',
  ])
}

/** Write profile.yaml and .sops.yaml (creating the operator directory 0700). */
export async function writeProfile(paths: OperatorPaths, profile: OperatorProfile): Promise<void> {
  await mkdir(paths.dir, { recursive: true, mode: 0o700 })
  await writeFileAtomic(paths.profile, stringifyPlainYaml({ ...profile }), 0o644)
  await writeFileAtomic(paths.sopsConfig, buildSopsConfig(profile), 0o644)
}

/** Paths of `operator`, checked to lie inside the secrets tree. */
export async function openOperatorPaths(
  operator: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<OperatorPaths> {
  const paths = operatorPaths(operator, env)
  await verifyOperatorDir(paths, env)
  return paths
}
