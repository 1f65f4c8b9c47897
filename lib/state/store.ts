/**
 * The state store of one operator: reads verify sops's MAC, the seal (lib/state/seal.ts: written by the
 * operator's identity, to the sealed recipients, not rolled back) and the schema; writes are atomic, sealed,
 * keep the previous version in history/, encrypt only to the sealed recipients, and refuse to overwrite a file
 * that changed on disk since it was read. `update(fn)` = lock + read + fn + write.
 */
import { access } from 'node:fs/promises'
import { isDeepStrictEqual } from 'node:util'
import { CliError, ExitCode } from '../errors.ts'
import { type DecryptedSops, decryptSops, encryptSopsYaml } from '../sops/index.ts'
import { parsePlainYaml } from '../sops/plain-yaml.ts'
import { readTextIfExists, writeFileAtomic } from './atomic.ts'
import type { Plain } from './check.ts'
import { StateConflictError, StateIoError, StateReadError, StateSealError } from './errors.ts'
import {
  commitHistory,
  historyEntry,
  latestReplacingVersion,
  listHistory,
  pruneHistory,
  settlePending,
  stageHistory,
} from './history.ts'
import type { Keyring } from './keyring.ts'
import { acquireLock, buildHolder, type ReleaseLock } from './lock.ts'
import { type OperatorProfile, readProfile, stateRecipients, writeProfile } from './operator.ts'
import type { OperatorPaths } from './paths.ts'
import { buildEmptyState, copyState, parseState, type StateDocument, serializeState } from './schema.ts'
import { createSeal, fileDigest, readSeal, type StateSeal, verifySeal, withoutSeal } from './seal.ts'

export interface LoadedState {
  doc: StateDocument
  /**
   * The file's text as read, the basis of optimistic concurrency (a write refuses a file that changed since), or
   * null when there was no state file yet. Compared whole: a SHA-256 of it cost 8 ms per read at 10,000 sessions.
   */
  text: string | null
  /** The decryption, so unchanged values keep their ENC[...] strings on rewrite. */
  decrypted: DecryptedSops | null
  /** The verified seal; null for no file yet, or a file from before sealing (sealed on its next write). */
  seal: StateSeal | null
}

export interface VerifiedFile {
  file: string
  ok: boolean
  seal: StateSeal | null
  /** Its seal does not verify, but the person accepted it: the reseal that replaced it, in this file. */
  acceptedBy?: string
  error?: string
  exitCode?: number
}

/** What a write accepts beyond a normal update (restore and reseal, after a person approved them). */
interface WriteAcceptance {
  /** Recipients other than the ones the replaced version was sealed to (a profile change). */
  recipients?: boolean
  /** fileDigest() of the replaced file, whose seal did not verify. */
  replaced?: string
}

export interface DecryptedFile {
  text: string
  decrypted: DecryptedSops
}

/** Schema versions up to this one were written before the seal existed. */
const LAST_UNSEALED_VERSION = 2

export class StateStore {
  private constructor(
    readonly operator: string,
    readonly paths: OperatorPaths,
    private currentProfile: OperatorProfile,
    readonly keyring: Keyring,
    private readonly command: string,
  ) {}

  /** The store of `operator` at its checked `paths` (openOperatorPaths), with its profile and opened identity. */
  static open(
    operator: string,
    paths: OperatorPaths,
    profile: OperatorProfile,
    keyring: Keyring,
    command = 'state',
  ): StateStore {
    return new StateStore(operator, paths, profile, keyring, command)
  }

  /** The operator's profile as last read (re-read under the lock by every write). */
  get profile(): OperatorProfile {
    return this.currentProfile
  }

  /** Every recipient a state file is encrypted to. */
  get recipients(): string[] {
    return stateRecipients(this.profile)
  }

  /** Decrypt any SOPS YAML/JSON file with the operator's keys, MAC verified (its text `known` when already read). */
  async decryptFile(file: string, format?: 'yaml' | 'json', known?: string): Promise<DecryptedFile> {
    const text = known ?? readTextIfExists(file)
    if (text === undefined) throw new StateIoError(`${file} does not exist.`, 'Check the path.', undefined)
    try {
      return { text, decrypted: await decryptSops(text, this.keyring.keys, format) }
    } catch (error) {
      throw error instanceof CliError ? new StateReadError(file, error) : error
    }
  }

  /**
   * Decrypt, check the seal and validate one state file (the current one or a history entry). With `verify`
   * false the seal is read but not checked (`state reseal` shows and accepts what is there); `known` is its text
   * when the caller has read it already.
   */
  async readStateFile(file: string, verify = true, known?: string): Promise<LoadedState> {
    const { text, decrypted } = await this.decryptFile(file, 'yaml', known)
    const seal = readSeal(decrypted.data, file)
    const content = withoutSeal(decrypted.data)
    if (verify) await this.verifyContent(file, content, seal, file === this.paths.state)
    return { doc: parseState(content, file, this.operator), text, decrypted, seal: seal ?? null }
  }

  private async verifyContent(
    file: string,
    content: Plain,
    seal: StateSeal | undefined,
    current: boolean,
  ): Promise<void> {
    if (seal) {
      await verifySeal(this.keyring, file, content, seal, {
        operator: this.operator,
        ownRecipients: this.profile.recipients,
        ...(current ? { recipients: this.recipients } : {}),
      })
      return
    }
    // Files from before sealing have none; a current one is accepted only while no sealed version came before it,
    // and only opened by a plaintext identity: with a sealed identity any process could otherwise swap in an
    // unsealed file (and remove history/) that the next write would seal as the person's.
    const fromBefore = Number(content.schemaVersion) <= LAST_UNSEALED_VERSION
    if (!fromBefore || (current && (await latestReplacingVersion(this.paths.history)) > 0))
      throw new StateSealError(file, 'missing', 'it has no seal')
    if (current && this.keyring.kind !== 'plaintext')
      throw new StateSealError(file, 'unsealed', 'it has no seal, and your identity is sealed')
  }

  /** The current state (an empty document when none was written yet), its seal, history and .sops.yaml checked. */
  async read(): Promise<LoadedState> {
    // The floor before the file: a write that lands in between raises the file's version, then the floor.
    const newest = await latestReplacingVersion(this.paths.history)
    const text = readTextIfExists(this.paths.state)
    if (text === undefined)
      return { doc: buildEmptyState(this.operator), text: null, decrypted: null, seal: null }
    const loaded = await this.readStateFile(this.paths.state, true, text)
    if (loaded.seal && loaded.seal.version < newest)
      throw new StateSealError(
        this.paths.state,
        'rolled-back',
        `it is version ${loaded.seal.version}, but version ${newest} already replaced an older one`,
      )
    await this.verifySopsConfig(loaded.seal?.recipients ?? this.recipients)
    return loaded
  }

  /** .sops.yaml must encrypt to exactly the sealed recipients (a plain `sops` run there uses it). */
  private async verifySopsConfig(recipients: readonly string[]): Promise<void> {
    const text = readTextIfExists(this.paths.sopsConfig)
    const rules =
      text === undefined
        ? undefined
        : ((await parsePlainYaml(text)) as { creation_rules?: { age?: string }[] } | null)
    const listed = (rules?.creation_rules ?? []).flatMap((r) => (r.age ?? '').split(',').map((a) => a.trim()))
    const extra = listed.filter((r) => r !== '' && !recipients.includes(r))
    if (extra.length > 0)
      throw new StateSealError(
        this.paths.sopsConfig,
        'sops-config',
        `it encrypts to ${extra.join(', ')}, which is not sealed`,
      )
  }

  /**
   * Write `doc`, sealed as the next version, if the file on disk is still the one `basis` was read from; the
   * previous version goes to history/. Call with the lock held.
   */
  async write(
    doc: StateDocument,
    basis: Pick<LoadedState, 'text' | 'decrypted' | 'seal'>,
    accept: WriteAcceptance = {},
  ): Promise<void> {
    // What is written is validated as stored: an invalid document is never written.
    const content = serializeState(doc)
    parseState(content, this.paths.state, this.operator)
    // A rotate-key since this store was opened changed the recipients: never write to the old ones.
    this.currentProfile = await readProfile(this.paths)
    const recipients = this.recipients
    const sameRecipients = isDeepStrictEqual([...new Set(recipients)].sort(), basis.seal?.recipients)
    if (basis.seal && !sameRecipients && accept.recipients !== true)
      throw new StateSealError(
        this.paths.profile,
        'recipients',
        "profile.yaml's recipients changed since the state was read",
      )
    const current = readTextIfExists(this.paths.state)
    if ((current ?? null) !== basis.text) throw new StateConflictError(this.paths.state)
    const version = Math.max(basis.seal?.version ?? 0, await latestReplacingVersion(this.paths.history)) + 1
    const seal = await createSeal(this.keyring, this.operator, content, {
      by: this.sealingRecipient(),
      version,
      previous: basis.seal?.mac ?? null,
      recipients,
      accepts: accept.replaced ?? null,
    })
    // The codec keeps the data key (and unchanged ENC strings) only when the recipients are the same.
    const previous = basis.decrypted ?? undefined
    const text = await encryptSopsYaml({ ...content, seal: JSON.stringify(seal) }, { recipients, previous })
    const pending = current === undefined ? undefined : await stageHistory(this.paths, current, version)
    try {
      await writeFileAtomic(this.paths.state, text)
    } catch (error) {
      // Not replaced: the pending entry goes. Replaced, but the directory's fsync failed: it stays pending, and
      // so does anything this settling cannot do, for the next command to take the lock.
      await settlePending(this.paths, false).catch(() => undefined)
      throw error
    }
    if (pending !== undefined)
      await commitHistory(pending).catch((error: NodeJS.ErrnoException) => {
        throw new StateIoError(
          `Wrote ${this.paths.state}, but could not name its previous version in ${this.paths.history} (${error.code ?? error.message}).`,
          'The next command that changes the state names it; until then a read accepts the version before too.',
          error,
        )
      })
    await pruneHistory(this.paths.history, this.profile.historyRetention)
  }

  /** The operator's own recipient whose identity the keyring holds: the one that seals. */
  private sealingRecipient(): string {
    const by = this.profile.recipients.find((r) => this.keyring.recipients.includes(r))
    if (by === undefined)
      throw new StateSealError(
        this.paths.state,
        'foreign',
        `none of your identities (${this.keyring.recipients.join(', ')}) is one of operator ${this.operator}'s`,
      )
    return by
  }

  /** Run `fn` holding the operator's state lock (what an interrupted write left in history/ settled first). */
  async withLock<T>(fn: () => Promise<T>): Promise<T> {
    const release: ReleaseLock = await acquireLock(this.paths.lock, buildHolder(this.command))
    try {
      await settlePending(this.paths)
      return await fn()
    } finally {
      await release()
    }
  }

  /** Lock, read, apply `fn` to a copy, write (unless nothing changed). Returns the resulting document. */
  async update(fn: (doc: StateDocument) => StateDocument | Promise<StateDocument>): Promise<StateDocument> {
    return this.withLock(async () => {
      const basis = await this.read()
      const next = await fn(copyState(basis.doc))
      // Nothing changed: no rewrite, and no history entry that would push a useful one out.
      if (basis.text !== null && basis.seal !== null && isDeepStrictEqual(next, basis.doc)) return next
      await this.write(next, basis)
      return next
    })
  }

  /**
   * Make history entry `n` the current state, sealed as the next version; the replaced file goes to history.
   * `verify` false accepts an entry whose seal does not verify (the person approved it at the gate).
   */
  async restore(n: number, verify = true): Promise<LoadedState> {
    return this.withLock(async () => {
      const restored = await this.readStateFile((await historyEntry(this.paths.history, n)).file, verify)
      await this.write(restored.doc, await this.currentBasis(), { recipients: true })
      return restored
    })
  }

  /**
   * Seal the current file as it is (after a hand edit with the real sops, a recipient change, or from before
   * sealing), and write .sops.yaml from the recipients now sealed.
   */
  async reseal(): Promise<LoadedState> {
    return this.withLock(async () => {
      const loaded = await this.readStateFile(this.paths.state, false)
      const replaced = loaded.decrypted && fileDigest(loaded.decrypted.data)
      await this.write(loaded.doc, await this.currentBasis(), {
        recipients: true,
        ...(replaced ? { replaced } : {}),
      })
      await writeProfile(this.paths, this.profile)
      return loaded
    })
  }

  /** The current file (even an unreadable one) as the basis of a write that replaces it. */
  private async currentBasis(): Promise<Pick<LoadedState, 'text' | 'decrypted' | 'seal'>> {
    const current = readTextIfExists(this.paths.state)
    if (current === undefined) return { text: null, decrypted: null, seal: null }
    const seal = await this.decryptFile(this.paths.state, 'yaml', current).then(
      ({ decrypted }) => readSeal(decrypted.data, this.paths.state) ?? null,
      () => null,
    )
    return { text: current, decrypted: null, seal }
  }

  /**
   * Check every file: sops's MAC, the seal (the current one also against rollback and .sops.yaml) and the schema,
   * and that each sealed version names the seal of the version before it (newest first).
   */
  async verifyAll(): Promise<VerifiedFile[]> {
    const results: VerifiedFile[] = []
    for (const file of await this.allFiles()) {
      try {
        const { seal } = file === this.paths.state ? await this.read() : await this.readStateFile(file)
        results.push({ file, ok: true, seal })
      } catch (error) {
        if (!(error instanceof CliError)) throw error
        const accepted = await this.acceptedBy(file, results.at(-1)?.seal)
        results.push(
          accepted
            ? { file, ok: true, seal: accepted, acceptedBy: results.at(-1)?.file ?? '' }
            : { file, ok: false, seal: null, error: error.message, exitCode: error.exitCode },
        )
      }
    }
    results.forEach((newer, i) => {
      const older = results[i + 1]
      if (newer.ok && newer.seal && older?.seal && newer.seal.previous !== older.seal.mac)
        Object.assign(newer, {
          ok: false,
          error: `${newer.file} does not follow ${older.file}: a version between them is missing or was swapped.`,
          exitCode: ExitCode.stateSeal,
        })
    })
    return results
  }

  /**
   * The seal stored in history entry `file` when the version after it (sealed by `newer`) is a reseal that
   * accepted exactly this file; else undefined.
   */
  private async acceptedBy(
    file: string,
    newer: StateSeal | null | undefined,
  ): Promise<StateSeal | undefined> {
    if (!newer?.accepts) return undefined
    const data = await this.decryptFile(file, 'yaml').then(
      ({ decrypted }) => decrypted.data,
      () => undefined,
    )
    if (data === undefined || fileDigest(data) !== newer.accepts) return undefined
    return readSeal(data, file)
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
