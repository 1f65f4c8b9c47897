/**
 * The two kinds of keyring (lib/state/keyring.ts): the unlock agent of this terminal session, which never hands
 * out the identity, and plaintext identities read from disk (kept working for operators who have not sealed
 * theirs yet; every command that uses one says so).
 */

import { randomBytes } from 'node:crypto'
import { recipientOf } from '../sops/index.ts'
import type { AgeIdentities } from '../sops/types.ts'
import type { Keyring } from '../state/keyring.ts'
import type { AgentClient, AgentStatus } from './agent/client.ts'
import { AgentProtocolError } from './agent/errors.ts'
import { computeSealMac, deriveSealKey } from './agent/seal-key.ts'

/** A keyring over the agent connection `client`; `searched` says where the sealed file was. */
export function agentKeyring(client: AgentClient, status: AgentStatus, searched: readonly string[]): Keyring {
  return {
    kind: 'agent',
    keys: { identities: [client.asIdentity()], searched },
    recipients: status.recipients,
    allowYes: status.allowYes,
    expiresAt: status.expiresAt,
    mac: (recipient, digest) => client.mac(recipient, digest),
    close: () => client.close(),
  }
}

/**
 * A keyring over identities held by this process: plaintext ones found on disk or in the environment, or
 * (`kind` 'passphrase') the ones a sealed keys file gave for its passphrase.
 */
export async function plaintextKeyring(
  found: AgeIdentities,
  kind: 'plaintext' | 'passphrase' = 'plaintext',
): Promise<Keyring> {
  const byRecipient = new Map<string, string>()
  for (const identity of found.identities) byRecipient.set(await recipientOf(identity), identity)
  return {
    kind,

    keys: { identities: found.identities, searched: found.searched },
    recipients: [...byRecipient.keys()],
    allowYes: false,
    expiresAt: null,
    async mac(recipient, digest) {
      const identity = byRecipient.get(recipient)
      if (identity === undefined) throw new Error(`no identity of ${recipient} is held`)
      return computeSealMac(deriveSealKey(identity), digest)
    },
    close() {},
  }
}

/**
 * Prove that an agent really holds the identity of `recipient` before trusting its answers (a same-uid process
 * could serve a fake agent on the socket path): a random key wrapped to the recipient must come back.
 */
export async function verifyAgentHolds(client: AgentClient, recipient: string): Promise<void> {
  const challenge = new Uint8Array(randomBytes(32))
  const { Decrypter, Encrypter } = await import('age-encryption')
  const encrypter = new Encrypter()
  encrypter.addRecipient(recipient)
  const decrypter = new Decrypter()
  decrypter.addIdentity(client.asIdentity())
  const answer = await decrypter
    .decrypt(await encrypter.encrypt(challenge), 'uint8array')
    .catch(() => undefined)
  if (answer === undefined || Buffer.compare(Buffer.from(answer), Buffer.from(challenge)) !== 0)
    throw new AgentProtocolError(
      'not-the-identity',
      `the agent on ${client.path} does not hold the identity of ${recipient}`,
    )
}

/** A keyring over one identity this process holds (a new identity being sealed: operator:init --seal, rotate-key). */
export function identityKeyring(identity: string): Promise<Keyring> {
  return plaintextKeyring({ identities: [identity], sealedFiles: [], searched: [] })
}
