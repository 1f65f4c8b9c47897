/**
 * Live progress on a terminal: a permanent line per finished resource with its elapsed time, and one status
 * line at the bottom, redrawn in place, with a spinner for the step(s) still running.
 */
import type { ChalkInstance } from 'chalk'
import type { TfEvent } from './events.ts'
import { describeEvent, type ProgressRenderer, type Sink } from './render.ts'

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']
const CLEAR_LINE = '\r\x1b[2K'
const DONE: Record<string, string> = {
  create: 'created',
  update: 'updated',
  delete: 'destroyed',
  read: 'read',
  replace: 'replaced',
  forget: 'forgotten',
}
const DOING: Record<string, string> = {
  create: 'creating',
  update: 'updating',
  delete: 'destroying',
  read: 'reading',
  refresh: 'refreshing',
  forget: 'forgetting',
}

interface Active {
  address: string
  verb: string
  since: number
}

export interface TerminalOptions {
  now?: () => number
  /** How often the spinner is redrawn. */
  frameMs?: number
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`

export class TerminalRenderer implements ProgressRenderer {
  private readonly active = new Map<string, Active>()
  private frame = 0
  private timer: NodeJS.Timeout | undefined
  private statusShown = false
  private readonly now: () => number
  private readonly frameMs: number

  constructor(
    private readonly sink: Sink,
    private readonly color: ChalkInstance,
    options: TerminalOptions = {},
  ) {
    this.now = options.now ?? Date.now
    this.frameMs = options.frameMs ?? 100
  }

  event(event: TfEvent): void {
    switch (event.type) {
      case 'apply_start':
      case 'refresh_start': {
        const verb =
          event.type === 'refresh_start' ? 'refreshing' : (DOING[event.action ?? ''] ?? event.action)
        this.active.set(event.address, { address: event.address, verb: verb ?? 'working', since: this.now() })
        this.redraw()
        break
      }
      case 'apply_progress':
        this.redraw()
        break
      case 'refresh_complete':
        this.active.delete(event.address)
        this.redraw()
        break
      case 'apply_complete':
      case 'apply_errored':
        this.finish(event.address, event.type === 'apply_complete', event.action ?? '')
        break
      default:
        for (const line of describeEvent(event, this.color)) this.print(line)
    }
  }

  stderr(line: string): void {
    if (line.trim() !== '') this.print(line)
  }

  close(): void {
    this.stopTimer()
    this.clearStatus()
    this.active.clear()
  }

  private finish(address: string, ok: boolean, action: string): void {
    const started = this.active.get(address)?.since ?? this.now()
    this.active.delete(address)
    const took = seconds(this.now() - started)
    this.print(
      ok
        ? `${this.color.green('✓')} ${address}  ${DONE[action] ?? action} in ${took}`
        : `${this.color.red('✗')} ${address}  ${action} failed after ${took}`,
    )
  }

  private print(line: string): void {
    this.clearStatus()
    this.sink.write(`${line}\n`)
    this.redraw()
  }

  private clearStatus(): void {
    if (this.statusShown) this.sink.write(CLEAR_LINE)
    this.statusShown = false
  }

  private redraw(): void {
    if (this.active.size === 0) {
      this.stopTimer()
      this.clearStatus()
      return
    }
    const [first, ...rest] = [...this.active.values()]
    const more = rest.length > 0 ? this.color.dim(` (+${rest.length} more)`) : ''
    const spinner = this.color.cyan(FRAMES[this.frame % FRAMES.length]!)
    const elapsed = this.color.dim(seconds(this.now() - first!.since))
    this.sink.write(`${CLEAR_LINE}${spinner} ${first!.address}: ${first!.verb} ${elapsed}${more}`)
    this.statusShown = true
    if (this.timer === undefined) {
      this.timer = setInterval(() => {
        this.frame += 1
        this.redraw()
      }, this.frameMs)
      this.timer.unref()
    }
  }

  private stopTimer(): void {
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
  }
}
