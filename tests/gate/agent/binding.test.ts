/**
 * The unlock agent's terminal binding, through real ptys with clean environments: a client in the
 * session that unlocked gets the file key; another pty, a process without a controlling terminal and a
 * background job are refused by the agent itself; the agent ends on lock, at its expiry and with its
 * session leader; a wrong passphrase leaves nothing running.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { agentSocketDir } from '../../../lib/gate/agent/paths.ts'
import { AgentBox, OPERATOR } from './box.ts'

const REFUSED = /REPLY \{"ok":false,"error":\{"code":"refused","message":"([^"]+)"\}\}/

/** Pids of live processes whose argv mentions `text` (the agent's argv holds its socket path). */
function processesMentioning(text: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text)
      } catch {
        return false
      }
    })
    .map(Number)
}

test('a client in the session that unlocked uses the agent; its own status says who and until when', async () => {
  const box = await new AgentBox().setUp()
  try {
    const a = box.shell(
      `$TSX $CLI start $KEYS ${OPERATOR} 120000 --allow-yes; $TSX $CLI status; $TSX $CLI decrypt $SECRET; echo DONE; sleep 60`,
    )
    const agent = await box.answerStart(a)
    assert.equal(agent.recipients, [box.recipient])
    const status = JSON.parse((await a.expect(/STATUS (\{.*\})/))[1] ?? '') as Record<string, unknown>
    assert.is(status.operator, OPERATOR)
    assert.is(status.allowYes, true)
    assert.is(status.pid, agent.pid)
    assert.ok(Date.parse(String(status.expiresAt)) > Date.now() + 60_000, 'the TTL was given as 120 s')
    await a.expect(`PLAINTEXT ${box.message}`)
    assert.ok(agent.socket.includes(`-s${a.pid}-`), 'the socket is named after the session the shell leads')
  } finally {
    box.cleanup()
  }
})

test('another pty gets nothing: no agent of its own, and the unlocked session’s agent refuses it', async () => {
  const box = await new AgentBox().setUp()
  try {
    const a = box.shell(`$TSX $CLI start $KEYS ${OPERATOR} 120000; sleep 60`)
    const agent = await box.answerStart(a)
    const request = JSON.stringify({ op: 'unwrap', stanzas: [{ args: ['X25519', 'AAAA'], body: '' }] })
    const b = box.shell(`$TSX $CLI decrypt $SECRET; $TSX $RAW "$SOCKET" '${request}'; echo DONE`, {
      SOCKET: agent.socket,
    })
    await b.expect('NO_AGENT')
    const refusal = await b.expect(REFUSED)
    assert.is(refusal[1], 'the process belongs to another terminal session')
    await b.expect('DONE')
    assert.not.match(b.transcript, /fileKey/)
    assert.ok(AgentBox.alive(agent.pid), 'a refusal does not end the agent')
  } finally {
    box.cleanup()
  }
})

test('a process without a controlling terminal, and a background job, are refused in the same session', async () => {
  const box = await new AgentBox().setUp()
  try {
    // `set -m`: job control as in an interactive shell, so `&` puts the job in its own process group.
    const a = box.shell(
      `$TSX $CLI start $KEYS ${OPERATOR} 120000; S=$($TSX $CLI socket-path); ` +
        `setsid $TSX $RAW "$S" '{"op":"status"}' < /dev/null 2>&1 | cat; echo SETSID_DONE; ` +
        `set -m; $TSX $RAW "$S" '{"op":"status"}' & wait; echo BACKGROUND_DONE; ` +
        `$TSX $RAW "$S" '{"op":"status"}'; echo FOREGROUND_DONE`,
    )
    await box.answerStart(a)
    assert.is((await a.expect(REFUSED))[1], 'the process has no controlling terminal')
    await a.expect('SETSID_DONE')
    assert.is((await a.expect(REFUSED))[1], 'the process is not the foreground job of its terminal')
    await a.expect('BACKGROUND_DONE')
    await a.expect(/REPLY \{"ok":true,"protocol":1,"operator":"alice"/)
    await a.expect('FOREGROUND_DONE')
  } finally {
    box.cleanup()
  }
})

test('lock ends the agent at once and removes its socket', async () => {
  const box = await new AgentBox().setUp()
  try {
    const a = box.shell(
      `$TSX $CLI start $KEYS ${OPERATOR} 120000; $TSX $CLI lock; echo LOCK_RETURNED; sleep 60`,
    )
    const agent = await box.answerStart(a)
    await a.expect('LOCKED')
    await a.expect('LOCK_RETURNED')
    assert.ok(await AgentBox.gone(agent.pid), 'the agent exited')
    assert.not.ok(existsSync(agent.socket))
    const after = box.shell(`$TSX $CLI status`)
    assert.is(await after.exitCode(), 0)
    assert.match(after.transcript, /NO_AGENT/)
  } finally {
    box.cleanup()
  }
})

test('an agent ends at its expiry; afterwards the session has no agent', async () => {
  const box = await new AgentBox().setUp()
  try {
    const a = box.shell(
      `$TSX $CLI start $KEYS ${OPERATOR} 2000; read -r; $TSX $CLI decrypt $SECRET; sleep 60`,
    )
    const agent = await box.answerStart(a)
    assert.ok(await AgentBox.gone(agent.pid), 'the agent exited at its TTL')
    assert.not.ok(existsSync(agent.socket))
    a.type('\r')
    await a.expect('NO_AGENT')
  } finally {
    box.cleanup()
  }
})

test('the session leader exiting ends the agent', async () => {
  const box = await new AgentBox().setUp()
  try {
    const a = box.shell(`$TSX $CLI start $KEYS ${OPERATOR} 120000; sleep 60`)
    const agent = await box.answerStart(a)
    assert.ok(AgentBox.alive(agent.pid))
    process.kill(a.pid, 'SIGKILL') // the bash the pty started leads the session
    assert.ok(await AgentBox.gone(agent.pid), 'the agent exited with its session leader')
    assert.not.ok(existsSync(agent.socket))
  } finally {
    box.cleanup()
  }
})

test('a wrong passphrase is a clear error and leaves no agent', async () => {
  const box = await new AgentBox().setUp()
  try {
    const a = box.shell(`$TSX $CLI start $KEYS ${OPERATOR} 120000; echo EXIT=$?; $TSX $CLI status; sleep 60`)
    await a.expect('Passphrase for')
    a.type('not the passphrase\r')
    await a.expect(
      /AGENT_ERROR AgentWrongPassphraseError The passphrase does not open the sealed identity \S+keys\.txt\./,
    )
    await a.expect('EXIT=1')
    await a.expect('NO_AGENT')
    assert.equal(processesMentioning(`--session=${a.pid}`), [], 'no agent process for this session')
    assert.not.ok(readdirSync(agentSocketDir(process.getuid?.() ?? 0)).some((f) => f.includes(`-s${a.pid}-`)))
  } finally {
    box.cleanup()
  }
})

test('a new start replaces the session’s agent (an unlock is extended only by the passphrase)', async () => {
  const box = await new AgentBox().setUp()
  try {
    const a = box.shell(
      `$TSX $CLI start $KEYS ${OPERATOR} 120000; $TSX $CLI start $KEYS ${OPERATOR} 120000; sleep 60`,
    )
    const first = await box.answerStart(a)
    const second = await box.answerStart(a)
    assert.is.not(second.pid, first.pid)
    assert.ok(await AgentBox.gone(first.pid), 'the first agent was locked')
    assert.ok(AgentBox.alive(second.pid))
    assert.is(second.socket, first.socket)
  } finally {
    box.cleanup()
  }
})

test.run()
