/**
 * Renderers of the event stream: plain lines when not a terminal and one JSON event per line with --json
 * (render-terminal.ts draws live progress on a terminal; progress.ts picks one). Events arrive redacted.
 */
import { Chalk, type ChalkInstance } from 'chalk'
import { describeDiagnostic, formatDiagnostic } from './diagnostics.ts'
import type { TfEvent } from './events.ts'

export interface ProgressRenderer {
  event(event: TfEvent): void
  /** A (redacted) line the child wrote to stderr. */
  stderr(line: string): void
  /** Stop timers and leave the cursor on a clean line. */
  close(): void
}

export interface Sink {
  write(text: string): unknown
}

const SYMBOLS: Record<string, string> = {
  create: '+',
  update: '~',
  delete: '-',
  replace: '-/+',
  read: '<=',
  remove: '-',
  forget: '-',
  move: '->',
  import: '<-',
}

/** The human lines for one event (empty when it adds nothing for a person). */
export function describeEvent(event: TfEvent, color: ChalkInstance): string[] {
  switch (event.type) {
    case 'version':
      return [color.dim(`${event.tool} ${event.version}`)]
    case 'planned_change':
      return [`  ${SYMBOLS[event.action] ?? '?'} ${event.address} (${event.action})`]
    case 'apply_complete':
      return [`${color.green('✓')} ${event.message}`]
    case 'apply_errored':
    case 'provision_errored':
      return [`${color.red('✗')} ${event.message}`]
    case 'provision_progress':
      return [color.dim(`  ${event.address} (${event.provisioner ?? 'provisioner'}): ${event.output ?? ''}`)]
    case 'diagnostic': {
      const [head = '', ...rest] = formatDiagnostic(describeDiagnostic(event.diagnostic))
      const paint = event.diagnostic.severity === 'warning' ? color.yellow : color.red
      return [paint(head), ...rest]
    }
    case 'outputs':
      return []
    case 'message':
      return event.message
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line !== '')
    default:
      return [event.message]
  }
}

/** Plain lines, for logs and pipes. */
export class PlainRenderer implements ProgressRenderer {
  constructor(
    private readonly sink: Sink,
    private readonly color: ChalkInstance = new Chalk({ level: 0 }),
  ) {}

  event(event: TfEvent): void {
    for (const line of describeEvent(event, this.color)) this.sink.write(`${line}\n`)
  }

  stderr(line: string): void {
    if (line.trim() !== '') this.sink.write(`${line}\n`)
  }

  close(): void {}
}

/** One JSON object per line: the typed event, or `{type:"stderr",message}`. */
export class JsonRenderer implements ProgressRenderer {
  constructor(private readonly sink: Sink) {}

  event(event: TfEvent): void {
    this.sink.write(`${JSON.stringify(event)}\n`)
  }

  stderr(line: string): void {
    if (line.trim() !== '') this.sink.write(`${JSON.stringify({ type: 'stderr', message: line })}\n`)
  }

  close(): void {}
}
