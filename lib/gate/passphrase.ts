/**
 * Passphrases a person chooses or types to change the sealed identity itself (operator:init, rotate-key):
 * always on the terminal, hidden, after the gate's checks (CI, agents, no terminal), never from argv, the
 * environment or a pipe.
 */
import type { Output } from '../cli/output.ts'
import { MIN_PASSPHRASE_LENGTH, openSealedKeys } from '../state/identity.ts'
import type { Passphrases } from '../state/init.ts'
import { type GateCheck, refuse, verifyPersonPresent } from './index.ts'
import { askHidden } from './prompt.ts'

const ATTEMPTS = 3

/** A new passphrase, typed twice; one too short, or two that differ, is asked again (three times at most). */
export async function askNewPassphrase(check: GateCheck, out: Output): Promise<string> {
  await verifyPersonPresent(check)
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const first = await askHidden(
      'passphrase',
      `New passphrase for your identity (${MIN_PASSPHRASE_LENGTH}+ characters):`,
    )
    if ('reason' in first) return refuse(check, [first.reason])
    if (first.answer.length < MIN_PASSPHRASE_LENGTH) {
      out.warn(
        `That is ${first.answer.length} characters; use at least ${MIN_PASSPHRASE_LENGTH} (a few words).`,
      )
      continue
    }
    const second = await askHidden('passphrase', 'The same passphrase again:')
    if ('reason' in second) return refuse(check, [second.reason])
    if (second.answer === first.answer) return first.answer
    out.warn('The two passphrases differ.')
  }
  return refuse(check, [
    { code: 'declined', text: `No usable passphrase after ${ATTEMPTS} attempts.`, signals: ['passphrase'] },
  ])
}

/** The identities of the sealed keys file `path` and its passphrase, asked until it opens (three times). */
export async function openSealedKeysOnTerminal(
  check: GateCheck,
  bytes: Uint8Array,
  path: string,
  out: Output,
): Promise<{ identities: string[]; passphrase: string }> {
  await verifyPersonPresent(check)
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const asked = await askHidden('passphrase', `Passphrase of your identity (${path}):`)
    if ('reason' in asked) return refuse(check, [asked.reason])
    const identities = await openSealedKeys(bytes, asked.answer, path)
    if (identities) return { identities, passphrase: asked.answer }
    out.warn('That passphrase does not open it; try again.')
  }
  return refuse(check, [
    {
      code: 'no-identity',
      text: `The passphrase did not open ${path} (${ATTEMPTS} attempts).`,
      signals: ['passphrase'],
    },
  ])
}

/** Passphrases for the state layer (lib/state/init.ts Passphrases), asked on this terminal for `command`. */
export function terminalPassphrases(command: string, operator: string, out: Output): Passphrases {
  const check = { command, operator, confirmName: operator, yes: false }
  return {
    choose: () => askNewPassphrase(check, out),
    open: (keys) => openSealedKeysOnTerminal(check, keys.bytes, keys.path, out),
  }
}
