/** What a benchmark part reports besides its printed table: the figures of issue 11, each with its anchor. */

export interface Figure {
  /** The bench part that measured it. */
  part: string
  name: string
  value: number
  unit: 'ms' | 'MiB/s'
  /** What it is compared with, measured in the same run (node -e 0, the sops binary, a direct connection). */
  anchor?: { name: string; value: number }
  /** The aim for it, in words (e.g. "≤ 3× anchor", "≤ 300 ms"). */
  aim?: string
}

/** Called by a part once per figure. */
export type Report = (figure: Omit<Figure, 'part'>) => void

/** value / anchor, or undefined without an anchor. */
export function ratioOf(figure: Figure): number | undefined {
  return figure.anchor ? figure.value / figure.anchor.value : undefined
}

/** A figure and its unit for a table cell. */
export function formatValue(value: number, unit: Figure['unit']): string {
  return unit === 'ms' ? `${value.toFixed(value < 10 ? 2 : 1)} ms` : `${value.toFixed(0)} MiB/s`
}
