/**
 * `state edit`: through the real `sops edit` when sops is installed (the terminal handed over), otherwise our
 * own flow: the plaintext in a 0600 file inside a private 0700 directory `edit-XXXXXX` in the operator's own
 * (0700) directory, $EDITOR, the directory removed on every exit path (Ctrl-C, SIGTERM, a closed terminal).
 * sops's own temp file goes into such a directory too (its TMPDIR). A SIGKILL leaves the plaintext where only
 * the operator can read it, and the next edit (under the same state lock) removes it first. Either way the
 * result is validated; an invalid edit is rolled back.
 */
import { rmSync } from 'node:fs'
import { access, constants, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import YAML from 'yaml'
import { exitAfterSignal } from '../cli/hangup.ts'
import { CliError, ExitCode } from '../errors.ts'
import { buildChildEnv, type Env, type Proc } from '../proc.ts'
import { readTextIfExists, writeFileAtomic } from './atomic.ts'
import { identityFilePath } from './identity.ts'
import { parseState } from './schema.ts'
import type { LoadedState, StateStore } from './store.ts'

export interface EditContext {
  store: StateStore
  proc: Proc
  env: NodeJS.ProcessEnv
  /** The sops binary; when it is not executable, the temp-file flow is used. */
  sopsPath: string
}

export type EditOutcome = 'unchanged' | 'changed'

/** The private directories of the temp-file flow: `<operator dir>/edit-XXXXXX`. */
const EDIT_PREFIX = 'edit-'

/** sops exits 200 when the edited file has not changed. */
const SOPS_UNCHANGED = 200

/** True when `path` is an executable file. */
export async function isExecutable(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(
    () => true,
    () => false,
  )
}

/** The editor command line, as sops and git pick it: $VISUAL, $EDITOR, else vi. */
export function buildEditorArgv(env: NodeJS.ProcessEnv, file: string): string[] {
  const editor = (env.VISUAL || env.EDITOR || 'vi').trim().split(/\s+/)
  return [...editor, file]
}

/**
 * The editor's environment. For `sops edit` (`withKeys`) only where sops finds the identity FILE — never an
 * identity itself (SOPS_AGE_KEY) or a command that prints one (SOPS_AGE_KEY_CMD), which the editor would inherit —
 * and no gpg-agent, so sops asks the passphrase of a sealed keys file on the terminal instead of caching it for
 * any process running as you.
 */
function editorEnv(env: NodeJS.ProcessEnv, withKeys: boolean): Env {
  const names = withKeys ? ['EDITOR', 'VISUAL', 'XDG_CONFIG_HOME'] : ['EDITOR', 'VISUAL']
  const extra: Env = {}
  for (const name of names) if (env[name]) extra[name] = env[name]
  if (!withKeys) return buildChildEnv(extra, env)
  return buildChildEnv(
    { ...extra, SOPS_AGE_KEY_FILE: identityFilePath(env), GPG_AGENT_INFO: '/nonexistent' },
    env,
  )
}

/**
 * Edit the operator's state with the real sops (when it is built and a keys file is where sops looks) or with
 * $EDITOR on a private temp file. Either way the result is validated and sealed by the store.
 */
export async function editState(ctx: EditContext): Promise<EditOutcome> {
  return ctx.store.withLock(async () => {
    let basis = await ctx.store.read()
    if (basis.text === null) {
      await ctx.store.write(basis.doc, basis)
      basis = await ctx.store.read()
    }
    const sopsCanOpen = (await isExecutable(ctx.sopsPath)) && (await isReadable(identityFilePath(ctx.env)))
    return sopsCanOpen ? editWithSops(ctx, basis) : editWithTempFile(ctx, basis)
  })
}

async function isReadable(path: string): Promise<boolean> {
  return access(path, constants.R_OK).then(
    () => true,
    () => false,
  )
}

/** sops edits the file in place; the edit is then read back, the sealed original put back, and the edit written sealed. */
async function editWithSops(ctx: EditContext, basis: LoadedState): Promise<EditOutcome> {
  const { state } = ctx.store.paths
  const before = readTextIfExists(state) ?? ''
  // sops puts the plaintext in a temp file of its own (in TMPDIR): make that a private directory of ours too.
  const dir = await makeEditDir(ctx.store.paths.dir)
  const result = await ctx.proc
    .run([ctx.sopsPath, 'edit', state], {
      env: { ...editorEnv(ctx.env, true), TMPDIR: dir },
      stdio: 'inherit',
    })
    .finally(() => rm(dir, { recursive: true, force: true }))
  const after = readTextIfExists(state)
  if (after === before) return 'unchanged'
  let edited: LoadedState
  try {
    if (result.exitCode !== 0 && result.exitCode !== SOPS_UNCHANGED)
      throw new CliError(`sops edit exited with ${result.exitCode ?? result.signal}.`)
    // sops's own MAC and the schema are checked; the seal cannot match an edit made outside the store.
    edited = await ctx.store.readStateFile(state, false)
  } catch (error) {
    await writeFileAtomic(state, before)
    throw new CliError(`Your edit was not kept, ${state} is back as it was: ${(error as Error).message}`, {
      hint: 'Run `npm run state -- edit` again and fix what the message names.',
      exitCode: error instanceof CliError ? error.exitCode : ExitCode.failure,
      cause: error,
    })
  }
  await writeFileAtomic(state, before)
  if (isDeepStrictEqual(edited.doc, basis.doc)) return 'unchanged'
  await ctx.store.write(edited.doc, basis)
  return 'changed'
}

/** A fresh private `edit-XXXXXX` in the operator directory; leftovers of killed edits (the lock is held) go first. */
async function makeEditDir(operatorDir: string): Promise<string> {
  for (const entry of await readdir(operatorDir))
    if (entry.startsWith(EDIT_PREFIX)) await rm(join(operatorDir, entry), { recursive: true, force: true })
  return mkdtemp(join(operatorDir, EDIT_PREFIX))
}

async function editWithTempFile(ctx: EditContext, basis: LoadedState): Promise<EditOutcome> {
  const dir = await makeEditDir(ctx.store.paths.dir)
  const cleanup = () => rmSync(dir, { recursive: true, force: true })
  const onSignal = (signal: NodeJS.Signals) => {
    cleanup()
    exitAfterSignal(signal, ExitCode.interrupted)
  }
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal).once('SIGHUP', onSignal)
  try {
    const file = join(dir, 'state.yaml')
    await writeFile(file, YAML.stringify(basis.doc), { mode: 0o600, flag: 'wx' })
    const argv = buildEditorArgv(ctx.env, file)
    const result = await ctx.proc.run(argv, { env: editorEnv(ctx.env, false), stdio: 'inherit' })
    if (result.exitCode !== 0)
      throw new CliError(
        `The editor (${argv[0]}) exited with ${result.exitCode ?? result.signal}; nothing was changed.`,
      )
    let edited: unknown
    try {
      edited = YAML.parse(await readFile(file, 'utf8'))
    } catch (error) {
      throw new CliError(`Your edit is not valid YAML (${(error as Error).message}); nothing was changed.`, {
        hint: 'Run `npm run state -- edit` again.',
        exitCode: ExitCode.badInput,
      })
    }
    const doc = parseState(edited, 'your edit', ctx.store.operator)
    if (isDeepStrictEqual(doc, basis.doc)) return 'unchanged'
    await ctx.store.write(doc, basis)
    return 'changed'
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal).off('SIGHUP', onSignal)
    cleanup()
  }
}
