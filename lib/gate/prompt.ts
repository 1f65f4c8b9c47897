/**
 * The typed confirmation, read from the controlling terminal (/dev/tty) and never from stdin: what will
 * happen, then "type <name> to continue". Both streams are closed on every path, also on Ctrl-C.
 */
import { openSync } from 'node:fs'
import { ReadStream, WriteStream } from 'node:tty'
import { input } from '@inquirer/prompts'
import type { ChalkInstance } from 'chalk'
import type { GateReason } from './errors.ts'

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

/** Ask on /dev/tty; undefined when the exact name was typed, else the reason for the refusal. */
export async function confirmOnTerminal(req: ConfirmRequest): Promise<GateReason | undefined> {
  const ttyIn = new ReadStream(openSync('/dev/tty', 'r'))
  const ttyOut = new WriteStream(openSync('/dev/tty', 'w'))
  try {
    ttyOut.write(`${buildPromptLines(req).join('\n')}\n`)
    const answer = await input(
      { message: `Type ${req.color.bold(req.confirmName)} to continue (anything else cancels):` },
      { input: ttyIn, output: ttyOut, clearPromptOnDone: false },
    )
    if (answer.trim() === req.confirmName) return undefined
    return {
      code: 'wrong-name',
      text: `The typed name did not match "${req.confirmName}".`,
      signals: ['typed name'],
    }
  } catch (error) {
    if (error instanceof Error && error.name === 'ExitPromptError') {
      return { code: 'declined', text: 'The prompt was cancelled (Ctrl-C or Ctrl-D).', signals: ['prompt'] }
    }
    throw error
  } finally {
    ttyIn.destroy()
    ttyOut.destroy()
  }
}
