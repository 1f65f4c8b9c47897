/**
 * Every known secret (tokens, passphrases, private keys and each line of a multi-line key) replaced before a
 * line reaches any output, log or error message. Also matches the JSON-escaped form, since Terraform's
 * stream is JSON.
 */

export const REDACTED = '[redacted]'

/** Lines of a multi-line secret shorter than this (blank lines, `}`) are not secrets on their own. */
const MIN_LINE_LENGTH = 8

export class Redactor {
  private needles: string[] = []

  /** Register secrets; empty and undefined values are ignored. */
  add(...secrets: readonly (string | undefined)[]): this {
    const found = new Set(this.needles)
    for (const secret of secrets) {
      if (secret === undefined || secret === '') continue
      const parts = [secret]
      if (/[\r\n]/.test(secret)) {
        parts.push(
          ...secret
            .split(/\r?\n/)
            .map((line) => line.trim())
            .filter((l) => l.length >= MIN_LINE_LENGTH),
        )
      }
      for (const part of parts) {
        found.add(part)
        found.add(JSON.stringify(part).slice(1, -1))
      }
    }
    // Longest first, so a whole key is replaced before its lines are.
    this.needles = [...found].sort((a, b) => b.length - a.length)
    return this
  }

  /** The text with every registered secret replaced by `[redacted]`. */
  redact(text: string): string {
    let result = text
    for (const needle of this.needles) {
      if (result.includes(needle)) result = result.split(needle).join(REDACTED)
    }
    return result
  }

  /** A deep copy of a parsed JSON value with every string redacted. */
  redactValue<T>(value: T): T {
    return this.walk(value) as T
  }

  private walk(value: unknown): unknown {
    if (typeof value === 'string') return this.redact(value)
    if (Array.isArray(value)) return value.map((item) => this.walk(item))
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [this.redact(k), this.walk(v)]))
    }
    return value
  }
}
