/**
 * Every known secret (tokens, passphrases, private keys, credentials, user data) replaced before a line reaches
 * any output, log or error message, in each form it can take there: as is; JSON-escaped (Terraform's stream is
 * JSON); base64 and base64url, also inside a longer encoded text (the secret's whole 3-byte groups, at each of
 * the three alignments); URL-encoded; and for a multi-line secret each of its lines: every line of a PEM body
 * whatever its length (a key's short last line is key material too) plus the body unwrapped, other lines from
 * 8 characters (shorter ones, `}` or `runcmd:`, are structure, not secret).
 *
 * `processRedactor` is the one redactor of a command: the runtime registers every secret with it, and every
 * error report (lib/cli/main.ts) goes through it.
 */
import { mapStrings } from './sanitize.ts'

export const REDACTED = '[redacted]'

/** Lines of a multi-line secret outside a PEM body shorter than this are not secrets on their own. */
const MIN_LINE_LENGTH = 8
/** An encoded form shorter than this could not be told apart from ordinary text. */
const MIN_ENCODED_LENGTH = 8

const PEM_BODY = /-----BEGIN [A-Z0-9 ]+-----\r?\n([\s\S]*?)\r?\n[ \t]*-----END [A-Z0-9 ]+-----/g

/** The lines of a multi-line secret worth registering on their own. */
function secretLines(secret: string): string[] {
  if (!/[\r\n]/.test(secret)) return []
  const pem = [...secret.matchAll(PEM_BODY)].flatMap(([, body = '']) => {
    const lines = body
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l !== '')
    return [...lines, lines.join('')]
  })
  const others = secret
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((l) => l.length >= MIN_LINE_LENGTH)
  return [...pem, ...others]
}

/** The encoded forms of a whole secret: base64/base64url (standalone and each alignment), URL-encoded. */
function encodedForms(secret: string): string[] {
  const bytes = Buffer.from(secret)
  const forms = [encodeURIComponent(secret), new URLSearchParams({ s: secret }).toString().slice(2)]
  for (const encoding of ['base64', 'base64url'] as const) {
    forms.push(bytes.toString(encoding))
    for (const skip of [0, 1, 2]) {
      const whole = Math.floor((bytes.length - skip) / 3) * 3
      if (whole > 0) forms.push(bytes.subarray(skip, skip + whole).toString(encoding))
    }
  }
  return forms.filter((form) => form.length >= MIN_ENCODED_LENGTH)
}

export class Redactor {
  private needles: string[] = []

  /** Register secrets; empty and undefined values are ignored. */
  add(...secrets: readonly (string | undefined)[]): this {
    const found = new Set(this.needles)
    for (const secret of secrets) {
      if (secret === undefined || secret === '') continue
      for (const part of [secret, ...secretLines(secret)]) {
        found.add(part)
        found.add(JSON.stringify(part).slice(1, -1))
      }
      for (const form of encodedForms(secret)) found.add(form)
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
    return mapStrings(value, (text) => this.redact(text))
  }
}

/** The redactor of this process: secrets registered by the flows, used by every error report. */
export const processRedactor = new Redactor()
