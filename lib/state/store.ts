/**
 * The state store of one operator: reads verify the MAC and the schema; writes are atomic, keep the previous
 * version in history/, encrypt only to the operator's (and recovery) recipients, and refuse to overwrite a file
 * that changed on disk since it was read. `update(fn)` = lock + read + fn + write.
 */
import { createHash } from 'node:crypto'
import { access, readFile } from 'node:fs/promises'
import { isDeepStrictEqual } from 'node:util'
import { CliError } from '../errors.ts'
import {
  type AgeIdentities,
  type DecryptedSops,
  decryptSops,
  encryptSopsYaml,
  findAgeIdentities,
} from '../sops/index.ts'
import { writeFileAtomic } from './atomic.ts'
import { StateConflictError, StateIoError, StateReadError } from './errors.ts'
import { historyEntry, listHistory, pushHistory } from './history.ts'
import { acquireLock, buildHolder, type ReleaseLock } from './lock.ts'
import { type OperatorProfile, openOperatorPaths, readProfile, stateRecipients } from './operator.ts'
import type { OperatorPaths } from './paths.ts'
import { buildEmptyState, parseState, type StateDocument, serializeState } from './schema.ts'

export interface LoadedState {
  doc: StateDocument
  /** SHA-256 of the bytes that were read, or null when there was no state file yet. */
  hash: string | null
  /** The decryption, so unchanged values keep their ENC[...] strings on rewrite. */
  decrypted: DecryptedSops | null
}

export interface DecryptedFile {
  text: string
  hash: string
  decrypted: DecryptedSops
}

/** SHA-256 hex of a file's text, the basis of optimistic concurrency. */
export function hashText(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}

/** The file's text, or undefined when it does not exist. */
export async function readTextIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new StateIoError(`Cannot read ${path}.`, 'Check its permissions.', error)
  }
}

export class StateStore {
  private constructor(
    readonly operator: string,
    readonly paths: OperatorPaths,
    private currentProfile: OperatorProfile,
    readonly keys: AgeIdentities,
    private readonly command: string,
  ) {}

  /** Open the store of `operator`: safe paths, valid profile, keys found (the codec refuses a key file others can read). */
  static async open(
    operator: string,
    env: NodeJS.ProcessEnv = process.env,
    command = 'state',
  ): Promise<StateStore> {
    const paths = await openOperatorPaths(operator, env)
    const profile = await readProfile(paths)
    return new StateStore(operator, paths, profile, await findAgeIdentities(env), command)
  }

  /** The operator's profile as last read (re-read under the lock by every write). */
  get profile(): OperatorProfile {
    return this.currentProfile
  }

  /** Every recipient a state file is encrypted to. */
  get recipients(): string[] {
    return stateRecipients(this.profile)
  }

  /** Decrypt any SOPS YAML/JSON file with the operator's keys, MAC verified. */
  async decryptFile(file: string, format?: 'yaml' | 'json'): Promise<DecryptedFile> {
    const text = await readTextIfExists(file)
    if (text === undefined) throw new StateIoError(`${file} does not exist.`, 'Check the path.', undefined)
    try {
      return { text, hash: hashText(text), decrypted: await decryptSops(text, this.keys, format) }
    } catch (error) {
      throw error instanceof CliError ? new StateReadError(file, error) : error
    }
  }

  /** Decrypt and validate one state file (the current one or a history entry). */
  async readStateFile(file: string): Promise<LoadedState> {
    const { hash, decrypted } = await this.decryptFile(file, 'yaml')
    return { doc: parseState(decrypted.data, file, this.operator), hash, decrypted }
  }

  /** The current state (an empty document when none was written yet). */
  async read(): Promise<LoadedState> {
    if ((await readTextIfExists(this.paths.state)) === undefined)
      return { doc: buildEmptyState(this.operator), hash: null, decrypted: null }
    return this.readStateFile(this.paths.state)
  }

  /**
   * Write `doc` if the file on disk is still the one `basis` was read from; the previous version goes to
   * history/. Call with the lock held. Returns the hash of the new file.
   */
  async write(doc: StateDocument, basis: Pick<LoadedState, 'hash' | 'decrypted'>): Promise<string> {
    const valid = parseState(doc, this.paths.state, this.operator)
    // A rotate-key since this store was opened changed the recipients: never write to the old ones.
    this.currentProfile = await readProfile(this.paths)
    const current = await readTextIfExists(this.paths.state)
    if ((current === undefined ? null : hashText(current)) !== basis.hash)
      throw new StateConflictError(this.paths.state)
    // The codec keeps the data key (and unchanged ENC strings) only when the recipients are the same.
    const previous = basis.decrypted ?? undefined
    const text = await encryptSopsYaml(serializeState(valid), { recipients: this.recipients, previous })
    if (current !== undefined) await pushHistory(this.paths.history, current, this.profile.historyRetention)
    await writeFileAtomic(this.paths.state, text)
    return hashText(text)
  }

  /** Run `fn` holding the operator's state lock. */
  async withLock<T>(fn: () => Promise<T>): Promise<T> {
    const release: ReleaseLock = await acquireLock(this.paths.lock, buildHolder(this.command))
    try {
      return await fn()
    } finally {
      await release()
    }
  }

  /** Lock, read, apply `fn` to a copy, write (unless nothing changed). Returns the resulting document. */
  async update(fn: (doc: StateDocument) => StateDocument | Promise<StateDocument>): Promise<StateDocument> {
    return this.withLock(async () => {
      const basis = await this.read()
      const next = await fn(structuredClone(basis.doc))
      // Nothing changed: no rewrite, and no history entry that would push a useful one out.
      if (basis.hash !== null && isDeepStrictEqual(next, basis.doc)) return next
      await this.write(next, basis)
      return next
    })
  }

  /** Make history entry `n` the current state; the replaced file (even an unreadable one) goes to history. */
  async restore(n: number): Promise<LoadedState> {
    return this.withLock(async () => {
      const restored = await this.readStateFile((await historyEntry(this.paths.history, n)).file)
      const current = await readTextIfExists(this.paths.state)
      await this.write(restored.doc, {
        hash: current === undefined ? null : hashText(current),
        decrypted: null,
      })
      return restored
    })
  }

  /** The current state file (when present) and every history entry, newest first. */
  async allFiles(): Promise<string[]> {
    const history = (await listHistory(this.paths.history)).map((entry) => entry.file)
    const hasState = await access(this.paths.state).then(
      () => true,
      () => false,
    )
    return hasState ? [this.paths.state, ...history] : history
  }
}
