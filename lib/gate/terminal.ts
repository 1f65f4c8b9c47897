/**
 * Is a person at a terminal, and which terminal session is this? The binding (controlling tty, session id,
 * session leader start time, uid) is what the session's unlock agent is bound to, like sudo's timestamp record.
 * Linux /proc is read directly; where it is missing there is no binding and so no unlock.
 */
import { closeSync, openSync, readlinkSync } from 'node:fs'
import type { GateReason } from './errors.ts'
import { readProcStat } from './proc.ts'

/** Whether /dev/tty (the controlling terminal) can be opened for reading and writing. */
export function hasControllingTerminal(): boolean {
  try {
    closeSync(openSync('/dev/tty', 'r+'))
    return true
  } catch {
    return false
  }
}

export interface TerminalState {
  stdinTty: boolean
  stdoutTty: boolean
  controlling: boolean
}

/** The terminal state of this process. */
export function readTerminalState(): TerminalState {
  return {
    stdinTty: process.stdin.isTTY === true,
    stdoutTty: process.stdout.isTTY === true,
    controlling: hasControllingTerminal(),
  }
}

/** The terminal reason, if any: "stdin is piped" when only stdin is not a terminal, else "no terminal". */
export function buildTerminalReason(state: TerminalState): GateReason | undefined {
  if (state.stdinTty && state.stdoutTty && state.controlling) return undefined
  if (!state.stdinTty && state.stdoutTty && state.controlling) {
    return {
      code: 'piped-stdin',
      text: 'Input is piped or redirected into the command (stdin is not a terminal), so a person cannot be asked.',
      signals: ['stdin'],
    }
  }
  const missing = [
    state.stdinTty ? undefined : 'stdin',
    state.stdoutTty ? undefined : 'stdout',
    state.controlling ? undefined : '/dev/tty',
  ].filter((s): s is string => s !== undefined)
  return {
    code: 'no-tty',
    text: `There is no terminal to ask a person on (${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not a terminal).`,
    signals: missing,
  }
}

/** What an unlock is bound to. Two processes share a binding only within one login session on one tty. */
export interface TerminalBinding {
  /** Device number of the controlling terminal (/proc stat tty_nr). */
  ttyDevice: number
  /** Path of the terminal, e.g. /dev/pts/3 (for people; the device number is what is compared). */
  ttyPath: string | null
  sessionId: number
  /** Start time of the session leader in clock ticks since boot: a reused session id does not match. */
  sessionStart: number
  uid: number
}

/** The path of the terminal on stdin, stdout or stderr of `pid`, if any. */
export function readTerminalPath(pid: number | 'self' = 'self'): string | null {
  for (const fd of [0, 1, 2]) {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`)
      if (target.startsWith('/dev/pts/') || target.startsWith('/dev/tty')) return target
    } catch {
      /* not there or not readable: try the next descriptor */
    }
  }
  return null
}

/** The terminal binding of `pid` (this process by default), or undefined without a controlling terminal. */
export function readTerminalBinding(pid: number | 'self' = 'self'): TerminalBinding | undefined {
  const own = readProcStat(pid)
  if (own === undefined || own.ttyDevice === 0 || !(own.sessionId > 0)) return undefined
  const leader = readProcStat(own.sessionId)
  const uid = process.getuid?.()
  if (leader === undefined || uid === undefined) return undefined
  return {
    ttyDevice: own.ttyDevice,
    ttyPath: readTerminalPath(pid),
    sessionId: own.sessionId,
    sessionStart: leader.startTime,
    uid,
  }
}
