/**
 * Terraform's text made safe to print on a terminal. Everything Terraform says can carry text from a provider
 * or a remote API (a Docker daemon's error, a resource key), and JSON escapes let it carry raw control bytes:
 * escape sequences that move the cursor, rewrite the title, clear the screen or hide what the gate shows.
 * They are removed before anything of Terraform's is printed or recorded; tabs and newlines stay.
 */

/** ESC-introduced sequences: CSI (`ESC [ … final`), OSC/DCS/APC/PM/SOS (up to BEL or `ESC \`), and 2-byte escapes. */
const ESCAPES = /\x1b(?:\[[0-?]*[ -/]*[@-~]?|[\]PX^_][^\x07\x1b]*(?:\x07|\x1b\\)?|[ -~]?)/g
/** Remaining C0 controls except tab and newline, DEL, and C1 controls (0x9b is an 8-bit CSI). */
const CONTROLS = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g

/** `text` without terminal control sequences and control characters (tab and newline are kept). */
export function stripControl(text: string): string {
  return text.replace(ESCAPES, '').replace(CONTROLS, '')
}

/** A deep copy of a parsed JSON value with every string, keys included, passed through `fn`. */
export function mapStrings<T>(value: T, fn: (text: string) => string): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return fn(v)
    if (Array.isArray(v)) return v.map(walk)
    if (v !== null && typeof v === 'object')
      return Object.fromEntries(Object.entries(v).map(([k, item]) => [fn(k), walk(item)]))
    return v
  }
  return walk(value) as T
}
