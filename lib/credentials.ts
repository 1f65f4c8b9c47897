/**
 * Provider credentials come from the project's git-ignored `.env` (dotenv syntax), are never printed, and
 * are handed only to the Terraform child's environment. process.env is not modified.
 */
import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { parse } from 'dotenv'
import { CliError, ExitCode } from './errors.ts'

export const defaultEnvFile = resolve(import.meta.dirname, '..', '.env')

/** Read `names` from the .env file (falling back to this process's environment); throw naming what is missing. */
export function loadCredentials(
  names: readonly string[],
  envFile: string = defaultEnvFile,
  fallback: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  if (names.length === 0) return {}
  const fromFile = existsSync(envFile) ? parse(readFileSync(envFile)) : {}
  const found: Record<string, string> = {}
  const missing: string[] = []
  for (const name of names) {
    const value = fromFile[name] ?? fallback[name]
    if (value === undefined || value === '') missing.push(name)
    else found[name] = value
  }
  if (missing.length > 0) {
    throw new CliError(`Missing provider credentials: ${missing.join(', ')}.`, {
      hint: `Add ${missing.map((n) => `${n}=…`).join(' and ')} to ${envFile} (git-ignored; see docs/deployment.md).`,
      exitCode: ExitCode.badInput,
    })
  }
  return found
}

/** Which of `names` are present, without reading values into any output (for `doctor`). */
export function credentialPresence(
  names: readonly string[],
  envFile: string = defaultEnvFile,
  fallback: NodeJS.ProcessEnv = process.env,
): Record<string, boolean> {
  const fromFile = existsSync(envFile) ? parse(readFileSync(envFile)) : {}
  return Object.fromEntries(names.map((n) => [n, Boolean(fromFile[n] ?? fallback[n])]))
}
