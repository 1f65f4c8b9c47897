/**
 * Everything a command prints goes through an Output: human lines on stderr/stdout with colour only on a
 * terminal and never when NO_COLOR is set, or one JSON document on stdout with --json.
 */
import { Chalk, type ChalkInstance } from 'chalk'

export interface OutputOptions {
  json: boolean
  verbose: boolean
  stdout?: NodeJS.WriteStream | NodeJS.WritableStream
  stderr?: NodeJS.WriteStream | NodeJS.WritableStream
  env?: NodeJS.ProcessEnv
}

/** True when colour is allowed on this stream: a terminal, and NO_COLOR unset or empty. */
export function colorAllowed(stream: NodeJS.WritableStream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false
  return (stream as NodeJS.WriteStream).isTTY === true
}

export class Output {
  readonly json: boolean
  readonly verbose: boolean
  readonly color: ChalkInstance
  readonly isTerminal: boolean
  private readonly out: NodeJS.WritableStream
  private readonly err: NodeJS.WritableStream

  constructor(options: OutputOptions) {
    this.json = options.json
    this.verbose = options.verbose
    this.out = options.stdout ?? process.stdout
    this.err = options.stderr ?? process.stderr
    this.isTerminal = (this.err as NodeJS.WriteStream).isTTY === true
    this.color = new Chalk({ level: colorAllowed(this.err, options.env) ? 1 : 0 })
  }

  /** A progress or information line for humans (stderr, so stdout stays clean for data). */
  info(line: string): void {
    this.err.write(`${line}\n`)
  }

  step(line: string): void {
    this.info(`${this.color.cyan('→')} ${line}`)
  }

  success(line: string): void {
    this.info(`${this.color.green('✓')} ${line}`)
  }

  warn(line: string): void {
    this.info(`${this.color.yellow('!')} ${this.color.yellow(line)}`)
  }

  detail(line: string): void {
    if (this.verbose) this.info(this.color.dim(line))
  }

  /** The command's data: printed on stdout. */
  data(text: string): void {
    this.out.write(text.endsWith('\n') ? text : `${text}\n`)
  }

  /** The one JSON document of a --json run. */
  emitJson(value: unknown): void {
    this.out.write(`${JSON.stringify(value, null, 2)}\n`)
  }

  /** Raw write to stderr (live progress redraws). */
  rawErr(text: string): void {
    this.err.write(text)
  }
}

/** Render rows as an aligned text table with a header. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  // Loops, not a map per column and a spread of every row's width: tables of 10,000 sessions are printed.
  const widths = header.map((h) => h.length)
  for (const row of rows)
    for (let i = 0; i < widths.length; i++) widths[i] = Math.max(widths[i]!, (row[i] ?? '').length)
  const line = (cells: readonly string[]) => {
    let text = ''
    for (let i = 0; i < cells.length - 1; i++) text += `${cells[i]!.padEnd(widths[i]!)}  `
    return `${text}${cells[cells.length - 1] ?? ''}`.trimEnd()
  }
  return [line(header), ...rows.map(line)].join('\n')
}
