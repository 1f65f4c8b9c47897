/**
 * The sealed keys file is the real thing: the real `age -d` and the pinned `sops -d` open what
 * sealKeysFile wrote (a person typing the passphrase in a pty), and the agent opens what the real
 * `age -p` wrote (binary, not armored).
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { realProc } from '../../../lib/proc.ts'
import { sopsBinary } from '../../../lib/tools/paths.ts'
import { AgentBox, OPERATOR } from './box.ts'

// sops asks a running gpg-agent for the passphrase before the terminal; a path that is no socket makes
// it use the terminal even on a machine where one runs (the person's own gpg-agent would cache it).
const NO_GPG_AGENT = { GPG_AGENT_INFO: '/nonexistent/S.gpg-agent' }

test('the real age -d opens a file with the sealed keys file, once the passphrase is typed', async () => {
  const box = await new AgentBox().setUp()
  try {
    const session = box.shell('age -d -i "$KEYS" "$SECRET"; echo; echo AGE_EXIT=$?')
    await session.expect(/Enter passphrase for identity file/)
    session.type(`${box.passphrase}\r`)
    await session.expect(box.message)
    await session.expect('AGE_EXIT=0')
  } finally {
    box.cleanup()
  }
})

test('the pinned sops -d opens a file encrypted to the recipient, with the passphrase typed on the terminal', async () => {
  const box = await new AgentBox().setUp()
  try {
    const plain = join(box.dir, 'plain.yaml')
    writeFileSync(plain, 'greeting: hello from sops\n')
    const encrypted = await realProc.run(
      [
        sopsBinary(),
        '--encrypt',
        '--age',
        box.recipient,
        '--input-type',
        'yaml',
        '--output-type',
        'yaml',
        plain,
      ],
      { env: box.env() },
    )
    assert.is(encrypted.exitCode, 0, encrypted.stderr)
    const file = join(box.dir, 'state.sops.yaml')
    writeFileSync(file, encrypted.stdout)
    // The keys file is where sops looks by default: $HOME/.config/sops/age/keys.txt.
    const session = box.shell(`"${sopsBinary()}" --decrypt "${file}"; echo SOPS_EXIT=$?`, NO_GPG_AGENT)
    await session.expect(/Enter passphrase for identity '[^']*keys\.txt'/)
    session.type(`${box.passphrase}\r`)
    await session.expect('greeting: hello from sops')
    await session.expect('SOPS_EXIT=0')

    const wrong = box.shell(`"${sopsBinary()}" --decrypt "${file}"; echo SOPS_EXIT=$?`, NO_GPG_AGENT)
    await wrong.expect(/Enter passphrase for identity/)
    wrong.type('not the passphrase\r')
    await wrong.expect(/SOPS_EXIT=[1-9]/)
    assert.not.match(wrong.transcript, /hello from sops/)
  } finally {
    box.cleanup()
  }
})

test('the agent opens a keys file sealed by the real age -p (binary format)', async () => {
  const box = await new AgentBox().setUp()
  try {
    // The identity goes from age-keygen straight into age -p: it never exists anywhere else.
    const session = box.shell(
      'age-keygen 2>"$HOME/public.txt" | age -p -o "$KEYS"; echo SEALED=$?; chmod 600 "$KEYS"; ' +
        `$TSX $CLI start "$KEYS" ${OPERATOR} 60000; cat "$HOME/public.txt"; $TSX $CLI lock`,
    )
    await session.expect(/Enter passphrase/)
    session.type(`${box.passphrase}\r`)
    await session.expect(/Confirm passphrase/)
    session.type(`${box.passphrase}\r`)
    await session.expect('SEALED=0')
    const agent = await box.answerStart(session)
    const recipient = (await session.expect(/Public key: (age1[0-9a-z]+)/))[1]
    assert.equal(agent.recipients, [recipient])
    await session.expect('LOCKED')
  } finally {
    box.cleanup()
  }
})

test.run()
