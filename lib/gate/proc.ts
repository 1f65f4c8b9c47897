/**
 * Reading other processes from /proc: a process's stat fields (parent, session, controlling tty, start time)
 * and its command line. Linux only; on anything else, or for a process that is gone, the readers say so.
 */
import { readFileSync } from 'node:fs'

export interface ProcStat {
  pid: number
  /** The command name (comm), at most 15 characters, as the kernel shows it. */
  name: string
  parentPid: number
  sessionId: number
  ttyDevice: number
  /** Clock ticks since boot: with the pid, it names one process even after the pid is reused. */
  startTime: number
}

/**
 * Parse the text of /proc/<pid>/stat. The command name is in parentheses and may itself hold spaces and ')',
 * so the fields are counted from the LAST ')'.
 */
export function parseProcStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(')
  const close = text.lastIndexOf(')')
  if (open < 1 || close < open) return undefined
  // fields[0] is field 3 (state); ppid is field 4, session 6, tty_nr 7, starttime 22.
  const fields = text.slice(close + 2).split(' ')
  const stat = {
    pid: Number(text.slice(0, open).trim()),
    name: text.slice(open + 1, close),
    parentPid: Number(fields[1]),
    sessionId: Number(fields[3]),
    ttyDevice: Number(fields[4]),
    startTime: Number(fields[19]),
  }
  const numbers = [stat.pid, stat.parentPid, stat.sessionId, stat.ttyDevice, stat.startTime]
  return numbers.every(Number.isInteger) ? stat : undefined
}

/** The stat of `pid`, or undefined when it is gone or unreadable. */
export function readProcStat(pid: number | 'self'): ProcStat | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return undefined
  }
}

/** The argv of `pid` (empty for a kernel thread, a zombie or an unreadable process). */
export function readProcCommandLine(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      .split('\0')
      .filter((a) => a !== '')
  } catch {
    return []
  }
}
