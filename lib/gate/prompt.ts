/**
 * What the gate asks a person, always on the controlling terminal (/dev/tty), never on stdin: the typed
 * confirmation ("type <name> to continue") and the passphrase (hidden). Before every question, input that is
 * already waiting is thrown away, so keystrokes typed ahead or injected (TIOCSTI) cannot answer it. A question
 * nobody answers ends after GATE_TIMEOUT_MS (like sudo's passwd_timeout). Both streams are closed on every path.
 */
import { closeSync, constants, openSync, readSync } from 'node:fs'
import { ReadStream, WriteStream } from 'node:tty'
import { input, password } from '@inquirer/prompts'
import type { ChalkInstance } from 'chalk'
import type { GateReason } from './errors.ts'

/** What cancels a waiting question besides Ctrl-C (which the prompt reads as a key): a kill, a closed terminal. */
const STOP_SIGNALS = ['SIGTERM', 'SIGHUP'] as const

/** Five minutes, sudo's passwd_timeout. */
export const GATE_TIMEOUT_MS = 5 * 60_000

/**
 * How long a question waits. DEBUG_CLOUD_GATE_TIMEOUT_SECONDS can only shorten it (so the timeout can be tested
 * without waiting five minutes); it cannot lengthen it or turn anything off.
 */
export function gateTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const seconds = Number(env.DEBUG_CLOUD_GATE_TIMEOUT_SECONDS)
  return Number.isInteger(seconds) && seconds >= 1
    ? Math.min(seconds * 1000, GATE_TIMEOUT_MS)
    : GATE_TIMEOUT_MS
}

export interface ConfirmRequest {
  command: string
  summary: readonly string[]
  confirmName: string
  color: ChalkInstance
}

/** Render the lines shown above the prompt. */
export function buildPromptLines(req: ConfirmRequest): string[] {
  return [
    '',
    req.color.bold(`${req.command} needs a person to approve it:`),
    ...req.summary.map((line) => `  ${line}`),
    '',
  ]
}

/** Read and drop whatever input is already waiting on the terminal (typed ahead, or injected with TIOCSTI). */
export function flushTerminalInput(): void {
  const fd = openSync('/dev/tty', constants.O_RDONLY | constants.O_NONBLOCK)
  const tty = new ReadStream(fd)
  try {
    // In raw mode a half-typed line is readable too; canonical mode would hold it back until Enter.
    tty.setRawMode(true)
    const buffer = Buffer.alloc(4096)
    for (;;) {
      try {
        if (readSync(fd, buffer) <= 0) break
      } catch {
        break // EAGAIN: nothing (more) is waiting
      }
    }
  } finally {
    tty.setRawMode(false)
    tty.destroy()
    try {
      closeSync(fd)
    } catch {
      /* the stream closed it */
    }
  }
}

function timedOut(what: string): GateReason {
  return {
    code: 'timeout',
    text: `Nobody answered the ${what} within ${gateTimeoutMs() / 1000} s.`,
    signals: ['timeout'],
  }
}

/** Ask one question on /dev/tty; undefined answer = cancelled (Ctrl-C/D) or timed out, told apart by `reason`. */
async function askOnTerminal(
  what: string,
  ask: (context: { input: ReadStream; output: WriteStream; signal: AbortSignal }) => Promise<string>,
  before: readonly string[] = [],
): Promise<{ answer: string } | { reason: GateReason }> {
  flushTerminalInput()
  const ttyIn = new ReadStream(openSync('/dev/tty', 'r'))
  const ttyOut = new WriteStream(openSync('/dev/tty', 'w'))
  const timeout = AbortSignal.timeout(gateTimeoutMs())
  // A flow's runtime handles SIGTERM and SIGHUP (to stop Terraform cleanly), so they would not end a question
  // that is waiting: they cancel it here.
  const stopped = new AbortController()
  const stop = (signal: NodeJS.Signals) => stopped.abort(signal)
  for (const signal of STOP_SIGNALS) process.on(signal, stop)
  try {
    if (before.length > 0) ttyOut.write(`${before.join('\n')}\n`)
    const signal = AbortSignal.any([timeout, stopped.signal])
    return { answer: await ask({ input: ttyIn, output: ttyOut, signal }) }
  } catch (error) {
    if (error instanceof Error && error.name === 'AbortPromptError')
      return stopped.signal.aborted
        ? {
            reason: {
              code: 'declined',
              text: `The ${what} was cancelled by ${String(stopped.signal.reason)}.`,
              signals: ['signal'],
            },
          }
        : { reason: timedOut(what) }
    if (error instanceof Error && error.name === 'ExitPromptError')
      return {
        reason: {
          code: 'declined',
          text: `The ${what} was cancelled (Ctrl-C or Ctrl-D).`,
          signals: ['prompt'],
        },
      }
    throw error
  } finally {
    for (const signal of STOP_SIGNALS) process.off(signal, stop)
    ttyIn.destroy()
    ttyOut.destroy()
  }
}

/** Ask on /dev/tty; undefined when the exact name was typed, else the reason for the refusal. */
export async function confirmOnTerminal(req: ConfirmRequest): Promise<GateReason | undefined> {
  const asked = await askOnTerminal(
    'confirmation',
    (context) =>
      input(
        { message: `Type ${req.color.bold(req.confirmName)} to continue (anything else cancels):` },
        { ...context, clearPromptOnDone: false },
      ),
    buildPromptLines(req),
  )
  if ('reason' in asked) return asked.reason
  if (asked.answer.trim() === req.confirmName) return undefined
  return {
    code: 'wrong-name',
    text: `The typed name did not match "${req.confirmName}".`,
    signals: ['typed name'],
  }
}

/** A secret (`what`: the passphrase, a credential), typed hidden on /dev/tty; or the reason nobody typed it. */
export async function askHidden(
  what: string,
  message: string,
): Promise<{ answer: string } | { reason: GateReason }> {
  return askOnTerminal(what, (context) => password({ message }, { ...context, clearPromptOnDone: false }))
}
