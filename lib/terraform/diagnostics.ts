/**
 * Terraform diagnostics summarised for people: the summary, the resource address, where in the config, and
 * the fix where we know it (lock held, missing variable, unreachable Docker host, host key mismatch, provider
 * missing from the offline mirror, encrypted state without its passphrase).
 */

export interface TfDiagnostic {
  severity: 'error' | 'warning' | 'unknown'
  summary: string
  detail: string
  address?: string
  /** `file:line` of the config range, when Terraform gave one. */
  location?: string
}

export interface DiagnosticReport extends TfDiagnostic {
  /** What to do about it, when the cause is recognised. */
  fix?: string
}

function firstMatch(text: string, pattern: RegExp): string | undefined {
  return pattern.exec(text)?.[1]
}

type Rule = (text: string, d: TfDiagnostic) => string | undefined

const RULES: readonly Rule[] = [
  (text) =>
    /encrypted and can ?not be read without an encryption configuration|decryption failed|encryption.*(passphrase|key).*(wrong|invalid)/i.test(
      text,
    )
      ? "The state or plan is encrypted and this run did not have the stack's passphrase. Run through the launcher (npm run cloud:up / cloud:destroy), which reads it from your encrypted operator state."
      : undefined,
  (text, d) => {
    if (!/Error acquiring the state lock/i.test(d.summary)) return undefined
    const who = firstMatch(text, /Who:\s*(\S+)/)
    const holder = who === undefined ? 'Another run' : `Another run (held by ${who})`
    return `${holder} holds this stack's state lock. Wait for it to finish and try again; never remove the lock while it runs.`
  },
  (text, d) => {
    if (!/No value for required variable/i.test(d.summary)) return undefined
    const name = firstMatch(text, /input variable "([^"]+)"/) ?? 'the variable'
    return `The stack needs a value for "${name}". Pass it through the launcher (a flag, or a credential in .env for secrets); npm run doctor lists what is missing.`
  },
  (text) => {
    if (!/Host key verification failed/i.test(text)) return undefined
    const host = firstMatch(text, /(ssh:\/\/[^\s"'\]]+)/) ?? firstMatch(text, /\s--\s+(\S+)\s+docker/)
    return `The SSH host key of ${host ?? 'the Docker host'} does not match the pinned key. Do not bypass this: if the server was rebuilt on purpose, re-run npm run cloud:up so the new key is pinned; otherwise treat it as an attack.`
  },
  (text) => {
    if (!/Error pinging Docker server/i.test(text)) return undefined
    const host = firstMatch(text, /make sure that (\S+) is reachable/) ?? 'the Docker host'
    return `Docker on ${host} did not answer. Check the host is up and that the Docker daemon runs there (ssh in and run \`docker info\`), then re-run.`
  },
  (text, d) =>
    /Failed to (query available provider packages|install provider)|Inconsistent dependency lock file|provider.*not (be )?found in any of the search locations/i.test(
      `${d.summary} ${text}`,
    )
      ? 'The provider is not in the offline mirror. Run `npm run tools` to build the pinned providers, then re-run.'
      : undefined,
]

/** Attach the fix (when the cause is recognised) to a diagnostic. */
export function describeDiagnostic(diagnostic: TfDiagnostic): DiagnosticReport {
  const text = `${diagnostic.summary}\n${diagnostic.detail}`
  for (const rule of RULES) {
    const fix = rule(text, diagnostic)
    if (fix !== undefined) return { ...diagnostic, fix }
  }
  return { ...diagnostic }
}

/** One or more lines for a person: `Error: summary (address, file:line)`, the detail, then `Fix: …`. */
export function formatDiagnostic(report: DiagnosticReport): string[] {
  const label = report.severity === 'warning' ? 'Warning' : 'Error'
  const where = [report.address, report.location].filter((part) => part !== undefined && part !== '')
  const head = `${label}: ${report.summary}${where.length > 0 ? ` (${where.join(', ')})` : ''}`
  const detail = report.detail
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line !== '')
    .map((line) => `  ${line}`)
  return [head, ...detail, ...(report.fix === undefined ? [] : [`  Fix: ${report.fix}`])]
}
