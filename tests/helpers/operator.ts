/**
 * Operators for tests. Tests of the gate and of whole commands use a SEALED identity created by the real
 * `operator:init` in a pty, typing a passphrase as a person does (`initSealedOperator`, `answerPassphrase`).
 * Tests of the store, the codec and the inventory use an operator as it was before sealing — a plaintext
 * keys file — which the product still accepts with a warning (`createPlaintextOperator`, `openTestStore`).
 */
import { randomBytes } from 'node:crypto'
import { mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import { plaintextKeyring } from '../../lib/gate/keyring.ts'
import { findAgeIdentities, generateAgeIdentity } from '../../lib/sops/index.ts'
import { writeFileAtomic } from '../../lib/state/atomic.ts'
import { identityFilePath, openSealedKeys, readKeysFile } from '../../lib/state/identity.ts'
import type { Passphrases } from '../../lib/state/init.ts'
import {
  DEFAULT_HISTORY_RETENTION,
  type OperatorProfile,
  openOperatorPaths,
  readProfile,
  writeProfile,
} from '../../lib/state/operator.ts'
import { StateStore } from '../../lib/state/store.ts'
import type { PtySession } from './pty.ts'
import { spawnTsxPty } from './pty.ts'

/** What the launcher asks when it opens a sealed identity, and the line once it was answered. */
export const PASSPHRASE_PROMPT = /\? Passphrase of your identity/
export const PASSPHRASE_ANSWERED = /✔ Passphrase of your identity/

/** A fresh random passphrase for one test run (only ever typed into a pty). */
export function testPassphrase(): string {
  return `test-${randomBytes(12).toString('base64url')}`
}

/** Type `passphrase` whenever `session` asks for the identity's passphrase. */
export function answerPassphrase(session: PtySession, passphrase: string): PtySession {
  session.answerWhenAsked(PASSPHRASE_PROMPT, PASSPHRASE_ANSWERED, passphrase)
  return session
}

/** Create `operator` with the real operator:init in a pty, typing the new passphrase twice; throws on failure. */
export async function initSealedOperator(
  env: Record<string, string>,
  operator: string,
  passphrase: string,
  args: readonly string[] = [],
): Promise<string> {
  const session = spawnTsxPty('scripts/operator-init.ts', ['--operator', operator, ...args], { env })
  await session.expect('New passphrase', 60_000)
  session.type(`${passphrase}\r`)
  await session.expect('The same passphrase again')
  session.type(`${passphrase}\r`)
  const code = await session.exitCode(120_000)
  if (code !== 0) throw new Error(`operator:init exited ${code}:\n${session.transcript}`)
  return session.transcript
}

/** An operator from before sealing: a plaintext keys file (0600) where sops looks, and a profile. */
export async function createPlaintextOperator(
  operator: string,
  env: NodeJS.ProcessEnv,
  options: { recoveryRecipients?: string[]; historyRetention?: number } = {},
): Promise<{ identity: string; recipient: string; profile: OperatorProfile }> {
  const { identity, recipient } = await generateAgeIdentity()
  const keysFile = identityFilePath(env)
  await mkdir(dirname(keysFile), { recursive: true, mode: 0o700 })
  await writeFileAtomic(keysFile, `# public key: ${recipient}\n${identity}\n`, 0o600)
  const profile: OperatorProfile = {
    id: operator,
    recipients: [recipient],
    recoveryRecipients: options.recoveryRecipients ?? [],
    historyRetention: options.historyRetention ?? DEFAULT_HISTORY_RETENTION,
  }
  await writeProfile(await openOperatorPaths(operator, env), profile)
  return { identity, recipient, profile }
}

/** The store of `operator` in `env`, opened in this process with the plaintext identities found there. */
export async function openTestStore(
  operator: string,
  env: NodeJS.ProcessEnv,
  command = 'test',
): Promise<StateStore> {
  const paths = await openOperatorPaths(operator, env)
  const keyring = await plaintextKeyring(await findAgeIdentities(env))
  return StateStore.open(operator, paths, await readProfile(paths), keyring, command)
}

/** Passphrases given by the test itself, for in-process calls that would ask a person (rotate-key, init). */
export function fixedPassphrases(passphrase: string): Passphrases {
  return {
    choose: async () => passphrase,
    async open(keys) {
      const identities = await openSealedKeys(keys.bytes, passphrase, keys.path)
      if (!identities) throw new Error(`the test passphrase does not open ${keys.path}`)
      return { identities, passphrase }
    },
  }
}

/** The store of `operator`, opened in this process with the identities of the sealed keys file of `env`. */
export async function openSealedTestStore(
  operator: string,
  env: NodeJS.ProcessEnv,
  passphrase: string,
): Promise<StateStore> {
  const keys = await readKeysFile(identityFilePath(env))
  if (keys.kind !== 'sealed') throw new Error(`${keys.path} is not sealed`)
  const { identities } = await fixedPassphrases(passphrase).open(keys)
  const paths = await openOperatorPaths(operator, env)
  const keyring = await plaintextKeyring({ identities, sealedFiles: [], searched: [] })
  return StateStore.open(operator, paths, await readProfile(paths), keyring, 'test')
}
