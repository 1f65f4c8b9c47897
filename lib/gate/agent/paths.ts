/**
 * Where the unlock agent of a terminal session listens. Like gpg-agent, the directory does not depend on
 * the environment (a client and the agent must agree even when one runs with a cleaned environment):
 * /run/user/<uid>/debug-cloud when the login runtime directory exists and is private, else
 * /tmp/debug-cloud-<uid>. The name comes from the session binding, so each session finds its own agent.
 */
import { lstatSync } from 'node:fs'
import { join } from 'node:path'
import type { TerminalBinding } from '../terminal.ts'
import { AgentSocketUnsafeError } from './errors.ts'

/** The private directory for agent sockets of `uid`. */
export function agentSocketDir(uid: number): string {
  const runtime = `/run/user/${uid}`
  try {
    const st = lstatSync(runtime)
    if (st.isDirectory() && st.uid === uid && (st.mode & 0o077) === 0) return join(runtime, 'debug-cloud')
  } catch {
    /* no login runtime directory: use /tmp */
  }
  return `/tmp/debug-cloud-${uid}`
}

/** The socket of the agent bound to `binding` (ids from /proc; nothing secret is in the name). */
export function agentSocketPath(binding: TerminalBinding): string {
  const name = `agent-s${binding.sessionId}-${binding.sessionStart}-t${binding.ttyDevice}.sock`
  return join(agentSocketDir(binding.uid), name)
}

/**
 * Throw AgentSocketUnsafeError unless `dir` is a directory of `uid` that only it may enter (the agent makes
 * the same check before it listens). False when there is no such directory yet.
 */
export function verifySocketDir(dir: string, uid: number): boolean {
  let st: ReturnType<typeof lstatSync>
  try {
    st = lstatSync(dir)
  } catch {
    return false
  }
  if (!st.isDirectory()) throw new AgentSocketUnsafeError(dir, 'is not a directory (a symlink?)')
  if (st.uid !== uid) throw new AgentSocketUnsafeError(dir, `belongs to uid ${st.uid}`)
  if ((st.mode & 0o777) !== 0o700)
    throw new AgentSocketUnsafeError(dir, `has mode ${(st.mode & 0o777).toString(8)}, not 700`)
  return true
}
