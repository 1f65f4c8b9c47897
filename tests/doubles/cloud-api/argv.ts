/**
 * The argv the launcher hands a Terraform binary, parsed strictly: each subcommand accepts exactly the
 * flags lib/terraform/args.ts builds, and a flag it does not know is a contract violation (the real binary
 * would either reject it or, worse, behave differently from what the double replays).
 */
import { ContractViolation } from './contract.ts'

export type Command =
  | { name: 'init' }
  | { name: 'plan'; planFile: string; statePath: string; varFiles: string[]; destroy: boolean }
  | { name: 'apply'; planFile: string; statePath: string }
  | { name: 'show'; planFile: string }
  | { name: 'output'; statePath: string }
  | { name: 'version' }

interface Spec {
  /** Flags that must be present, verbatim. */
  required: readonly string[]
  /** Other bare flags it may carry. */
  optional: readonly string[]
  /** `-name=value` flags it may carry (`-var-file` may repeat). */
  valued: readonly string[]
  positionals: number
}

const AUTOMATION = ['-input=false', '-no-color', '-json']
const SPECS: Record<Command['name'], Spec> = {
  init: { required: AUTOMATION, optional: [], valued: ['-lock-timeout'], positionals: 0 },
  plan: {
    required: [...AUTOMATION, '-detailed-exitcode'],
    optional: ['-destroy'],
    valued: ['-lock-timeout', '-state', '-var-file', '-out'],
    positionals: 0,
  },
  apply: { required: AUTOMATION, optional: [], valued: ['-lock-timeout', '-state'], positionals: 1 },
  show: { required: ['-no-color', '-json'], optional: [], valued: [], positionals: 1 },
  output: { required: ['-no-color', '-json'], optional: [], valued: ['-state'], positionals: 0 },
  version: { required: ['-json'], optional: [], valued: [], positionals: 0 },
}

function isCommandName(name: string | undefined): name is Command['name'] {
  return name !== undefined && Object.hasOwn(SPECS, name)
}

function single(values: Map<string, string[]>, name: string, sub: string): string {
  const found = values.get(name) ?? []
  if (found.length !== 1)
    throw new ContractViolation(`\`${sub}\` needs exactly one ${name}=…, got ${found.length}.`)
  return found[0]!
}

/** Parse argv (without the binary) into a command; throws ContractViolation on anything unexpected. */
export function parseArgv(argv: readonly string[]): Command {
  const [sub, ...rest] = argv
  if (!isCommandName(sub)) throw new ContractViolation(`unexpected subcommand "${sub ?? ''}".`)
  const spec = SPECS[sub]
  const flags = new Set<string>()
  const values = new Map<string, string[]>()
  const positionals: string[] = []
  for (const arg of rest) {
    if (!arg.startsWith('-')) {
      positionals.push(arg)
      continue
    }
    const eq = arg.indexOf('=')
    const name = eq === -1 ? arg : arg.slice(0, eq)
    if (spec.valued.includes(name) && eq !== -1)
      values.set(name, [...(values.get(name) ?? []), arg.slice(eq + 1)])
    else if (spec.required.includes(arg) || spec.optional.includes(arg)) flags.add(arg)
    else throw new ContractViolation(`\`${sub}\` got an argument the launcher never passes: ${arg}`)
  }
  const missing = spec.required.filter((f) => !flags.has(f))
  if (missing.length > 0) throw new ContractViolation(`\`${sub}\` is missing ${missing.join(' ')}.`)
  if (positionals.length !== spec.positionals)
    throw new ContractViolation(
      `\`${sub}\` takes ${spec.positionals} positional argument(s), got ${positionals.length}.`,
    )
  switch (sub) {
    case 'plan':
      return {
        name: sub,
        planFile: single(values, '-out', sub),
        statePath: single(values, '-state', sub),
        varFiles: values.get('-var-file') ?? [],
        destroy: flags.has('-destroy'),
      }
    case 'apply':
      return { name: sub, planFile: positionals[0]!, statePath: single(values, '-state', sub) }
    case 'show':
      return { name: sub, planFile: positionals[0]! }
    case 'output':
      return { name: sub, statePath: single(values, '-state', sub) }
    default:
      return { name: sub }
  }
}
