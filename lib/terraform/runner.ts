/**
 * Runs one streaming Terraform command (`init`, `plan`, `apply`): every stdout line redacted, parsed into an
 * event, stripped of control sequences and re-redacted field by field, rendered and recorded; stderr the same;
 * Ctrl-C forwarded through the InterruptForwarder. The result says `ok`, `failed` (non-zero exit, or killed)
 * or `interrupted`.
 */
import type { Env, Proc } from '../proc.ts'
import { type DiagnosticReport, describeDiagnostic } from './diagnostics.ts'
import { type ChangeCounts, parseEventLine, type TfEvent } from './events.ts'
import type { InterruptForwarder } from './interrupt.ts'
import type { Redactor } from './redact.ts'
import type { ProgressRenderer } from './render.ts'
import { mapStrings, stripControl } from './sanitize.ts'

export type RunStatus = 'ok' | 'failed' | 'interrupted'

export interface TfRunResult {
  /** `tofu apply` etc., for messages. */
  command: string
  status: RunStatus
  exitCode: number | null
  /** The signal that ended the child (SIGKILL → `failed`). */
  signal: string | null
  interrupted: boolean
  diagnostics: DiagnosticReport[]
  /** The last `change_summary` of the stream. */
  changes?: ChangeCounts
  /** The last stderr lines, redacted. */
  stderrTail: string[]
}

export interface StreamContext {
  proc: Proc
  renderer: ProgressRenderer
  redactor: Redactor
  interrupts?: InterruptForwarder
  /** Receives every line (redacted; events re-serialised) for the run log. */
  transcript?: (line: string) => void
}

export interface StreamCommand {
  argv: readonly string[]
  env: Env
  cwd: string
  /** Exit codes that mean success (`plan -detailed-exitcode`: 0 and 2). */
  okCodes?: readonly number[]
}

const TAIL = 20

function commandName(argv: readonly string[]): string {
  const tool = (argv[0] ?? 'terraform').split('/').at(-1)
  return `${tool} ${argv[1] ?? ''}`.trim()
}

/** Run one streaming command to the end and describe how it ended. */
export async function runStreaming(ctx: StreamContext, command: StreamCommand): Promise<TfRunResult> {
  const name = commandName(command.argv)
  const base = { command: name, diagnostics: [] as DiagnosticReport[], stderrTail: [] as string[] }
  const wasInterrupted = () => ctx.interrupts?.interrupted === true
  if (wasInterrupted()) {
    return { ...base, status: 'interrupted', exitCode: null, signal: null, interrupted: true }
  }
  const child = ctx.proc.start(command.argv, { env: command.env, cwd: command.cwd })
  const detach = ctx.interrupts?.attach(child)
  // Stripped first, so a control sequence cannot split a secret the redactor would otherwise find.
  const clean = (text: string) => ctx.redactor.redact(stripControl(text))
  let changes: ChangeCounts | undefined
  child.onStderr((raw) => {
    const line = clean(raw)
    base.stderrTail.push(line)
    if (base.stderrTail.length > TAIL) base.stderrTail.shift()
    ctx.transcript?.(line)
    ctx.renderer.stderr(line)
  })
  try {
    for await (const raw of child.lines()) {
      const parsed = parseEventLine(ctx.redactor.redact(raw))
      if (parsed === undefined) continue
      const event: TfEvent = mapStrings(parsed, clean)
      ctx.transcript?.(JSON.stringify(event))
      ctx.renderer.event(event)
      if (event.type === 'diagnostic') base.diagnostics.push(describeDiagnostic(event.diagnostic))
      if (event.type === 'change_summary') changes = event.changes
    }
  } catch (error) {
    // An unreadable stream (unsupported UI version) must not leave Terraform running unsupervised.
    child.kill('SIGINT')
    await child.done
    throw error
  } finally {
    detach?.()
    ctx.renderer.close()
  }
  const done = await child.done
  const interrupted = wasInterrupted()
  const ok = done.exitCode !== null && (command.okCodes ?? [0]).includes(done.exitCode)
  return {
    ...base,
    status: interrupted ? 'interrupted' : ok ? 'ok' : 'failed',
    exitCode: done.exitCode,
    signal: done.signal,
    interrupted,
    ...(changes === undefined ? {} : { changes }),
  }
}
