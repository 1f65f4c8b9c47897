/**
 * Flags parsed with minimist into a typed, validated shape. An unknown flag is an error that suggests the
 * closest known one; `--help`, `--json` and `--verbose` exist on every command.
 */
import minimist from 'minimist'
import { type ExitCodeUse, formatExitCodes, UsageError } from '../errors.ts'

export interface StringFlag {
  type: 'string'
  description: string
  placeholder?: string
  choices?: readonly string[]
  default?: string
  /** May be given several times; the value is then a list. */
  repeatable?: false
}

export interface ListFlag {
  type: 'string'
  description: string
  placeholder?: string
  repeatable: true
}

export interface BooleanFlag {
  type: 'boolean'
  description: string
}

export type FlagSpec = StringFlag | ListFlag | BooleanFlag

export interface CommandSpec<F extends Record<string, FlagSpec>> {
  /** How the command is run, e.g. `npm run cloud:up --` */
  name: string
  summary: string
  /** Positional arguments, shown in the usage line, e.g. `<verb> [file]`. */
  positionals?: string
  flags: F
  /** The exit codes the command can return (rendered from the ExitCode table). */
  exitCodes: readonly ExitCodeUse[]
  /** Extra paragraphs after the exit codes: examples. */
  details?: string
}

type FlagValue<S extends FlagSpec> = S extends BooleanFlag
  ? boolean
  : S extends ListFlag
    ? string[]
    : S extends { default: string }
      ? string
      : string | undefined

export type ParsedFlags<F extends Record<string, FlagSpec>> = { [K in keyof F]: FlagValue<F[K]> } & {
  help: boolean
  json: boolean
  verbose: boolean
}

export interface ParsedArgs<F extends Record<string, FlagSpec>> {
  flags: ParsedFlags<F>
  positionals: string[]
}

export const commonFlags = {
  help: { type: 'boolean', description: 'Show this help and exit.' },
  json: { type: 'boolean', description: 'Machine-readable JSON output on stdout.' },
  verbose: { type: 'boolean', description: 'More detail, and a stack trace on unexpected errors.' },
} as const satisfies Record<string, BooleanFlag>

/** Edit distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1))
      diagonal = above
    }
  }
  return row[b.length]!
}

/** The known name closest to `name`, if it is close enough to be a plausible typo. */
export function closest(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = Number.POSITIVE_INFINITY
  for (const candidate of known) {
    const d = editDistance(name, candidate)
    if (d < bestDistance) {
      best = candidate
      bestDistance = d
    }
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined
}

/** Parse argv (without node and script) against the command's flag spec. */
export function parseArgs<F extends Record<string, FlagSpec>>(
  spec: CommandSpec<F>,
  argv: readonly string[],
): ParsedArgs<F> {
  const all: Record<string, FlagSpec> = { ...commonFlags, ...spec.flags }
  const names = Object.keys(all)
  const booleans = names.filter((n) => all[n]!.type === 'boolean')
  const strings = names.filter((n) => all[n]!.type === 'string')
  const unknown: string[] = []
  const raw = minimist([...argv], {
    boolean: booleans,
    string: strings,
    '--': false,
    unknown: (arg) => {
      if (arg.startsWith('-')) {
        unknown.push(arg)
        return false
      }
      return true
    },
  })
  if (unknown.length > 0) {
    const first = unknown[0]!
    const bare = first.replace(/^-+/, '').split('=')[0]!
    const suggestion = closest(bare, names)
    throw new UsageError(
      `Unknown flag ${first}.`,
      suggestion ? `Did you mean --${suggestion}? Run with --help to see every flag.` : undefined,
    )
  }
  const flags: Record<string, unknown> = {}
  for (const name of names) {
    const flag = all[name]!
    const value = raw[name] as unknown
    if (flag.type === 'boolean') {
      flags[name] = value === true
      continue
    }
    const values = (Array.isArray(value) ? value : value === undefined ? [] : [value]).map(String)
    if ('repeatable' in flag && flag.repeatable) {
      flags[name] = values
      continue
    }
    if (values.length > 1) throw new UsageError(`--${name} was given ${values.length} times; give it once.`)
    const one = values[0]
    if (one === '')
      throw new UsageError(`--${name} needs a value${flag.placeholder ? ` (${flag.placeholder})` : ''}.`)
    if (one !== undefined && flag.choices && !flag.choices.includes(one)) {
      const suggestion = closest(one, flag.choices)
      throw new UsageError(
        `--${name} must be one of ${flag.choices.join(', ')}; got "${one}".`,
        suggestion ? `Did you mean --${name} ${suggestion}?` : undefined,
      )
    }
    flags[name] = one ?? flag.default
  }
  return { flags: flags as ParsedFlags<F>, positionals: raw._.map(String) }
}

/** The --help text of a command. */
export function formatHelp<F extends Record<string, FlagSpec>>(spec: CommandSpec<F>): string {
  const all: Record<string, FlagSpec> = { ...spec.flags, ...commonFlags }
  const rows = Object.entries(all).map(([name, flag]) => {
    const value =
      flag.type === 'string'
        ? ` <${flag.placeholder ?? ('choices' in flag && flag.choices ? flag.choices.join('|') : 'value')}>`
        : ''
    const extra =
      flag.type === 'string' && 'default' in flag && flag.default !== undefined
        ? ` (default: ${flag.default})`
        : ''
    return [`--${name}${value}`, `${flag.description}${extra}`] as const
  })
  const width = Math.max(...rows.map(([left]) => left.length))
  const lines = [
    `Usage: ${spec.name}${spec.positionals ? ` ${spec.positionals}` : ''} [flags]`,
    '',
    spec.summary,
    '',
    'Flags:',
    ...rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`),
  ]
  lines.push('', formatExitCodes(spec.exitCodes))
  if (spec.details) lines.push(spec.details.trimEnd())
  return `${lines.join('\n')}\n`
}
