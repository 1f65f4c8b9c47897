/**
 * Picks the renderer for a run: one JSON event per line with --json, live progress on a terminal, plain lines
 * otherwise.
 */
import type { ChalkInstance } from 'chalk'
import type { Output } from '../cli/output.ts'
import { JsonRenderer, PlainRenderer, type ProgressRenderer, type Sink } from './render.ts'
import { TerminalRenderer } from './render-terminal.ts'

export type RenderMode = 'terminal' | 'plain' | 'json'

/** The mode an Output implies: --json, else a terminal on stderr, else plain. */
export function chooseRenderMode(out: Pick<Output, 'json' | 'isTerminal'>): RenderMode {
  if (out.json) return 'json'
  return out.isTerminal ? 'terminal' : 'plain'
}

/** A renderer writing to `sink` (stderr for progress; stdout for --json event lines). */
export function createRenderer(mode: RenderMode, sink: Sink, color: ChalkInstance): ProgressRenderer {
  if (mode === 'json') return new JsonRenderer(sink)
  if (mode === 'terminal') return new TerminalRenderer(sink, color)
  return new PlainRenderer(sink, color)
}
