/**
 * CONTRACT DOUBLE of the terraform binary, for the end-to-end tests of `cloud:up` / `cloud:destroy` with
 * --provider hetzner|contabo, where no cloud API exists. Run from a host stack directory it stands in for
 * OpenTofu talking to the Hetzner or Contabo API: it checks the launcher's contract (contract.ts), replays
 * `-json` streams shaped like the pinned OpenTofu's, keeps its "cloud" in the -state= file, and "boots" the
 * bench test host named in its config (vm.ts). Run from anywhere else (the app stack) it is the real pinned
 * OpenTofu, with the same argv and environment.
 */
import { basename } from 'node:path'
import { realProc } from '../../../lib/proc.ts'
import { readDoubleConfig } from './config.ts'
import { CONFIG_ENV, ContractViolation } from './contract.ts'
import { runHostCommand } from './host-stack.ts'
import { HOST_STACK_DIRS } from './providers.ts'
import { diagnosticLine, versionLine } from './stream.ts'

/** The real OpenTofu, same argv and env (minus the double's own variable), output passed through. */
async function runRealTofu(tofu: string, argv: readonly string[]): Promise<number> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      (e): e is [string, string] => e[1] !== undefined && e[0] !== CONFIG_ENV,
    ),
  )
  const child = realProc.start([tofu, ...argv], { env, cwd: process.cwd() })
  const forward = () => child.kill('SIGINT')
  process.on('SIGINT', forward)
  child.onStderr((line) => process.stderr.write(`${line}\n`))
  for await (const line of child.lines()) process.stdout.write(`${line}\n`)
  const done = await child.done
  process.off('SIGINT', forward)
  return done.exitCode ?? 1
}

async function main(argv: readonly string[]): Promise<number> {
  const configPath = process.env[CONFIG_ENV]
  if (!configPath) throw new Error(`${CONFIG_ENV} is not set: run the double through its wrapper script.`)
  const config = readDoubleConfig(configPath)
  const kind = HOST_STACK_DIRS[basename(process.cwd())]
  if (kind === undefined) return runRealTofu(config.tofu, argv)
  try {
    return await runHostCommand(kind, config, argv, process.env)
  } catch (error) {
    if (!(error instanceof ContractViolation)) throw error
    // Reported the way the real binary reports a failed validation: a diagnostic line and exit 1.
    const detail = `The launcher broke the host-stack contract: ${error.message}`
    if (argv.includes('-json') && argv[0] !== 'show' && argv[0] !== 'output') {
      process.stdout.write(
        `${versionLine()}\n${diagnosticLine('Cloud API double: contract violated', detail)}\n`,
      )
    }
    process.stderr.write(`Error: ${detail}\n`)
    return 1
  }
}

process.exitCode = await main(process.argv.slice(2))
