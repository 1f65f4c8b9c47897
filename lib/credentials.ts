/**
 * Provider credentials come from the project's git-ignored `.env` (dotenv syntax), are never printed, and
 * are handed only to the Terraform child's environment. process.env is not modified. A `.env` that group or
 * others may access is refused like a private key file (exit 77): it holds the cloud accounts' tokens.
 */
import { existsSync, readFileSync, statSync } from 'node:fs'
import { resolve } from 'node:path'
import { parse } from 'dotenv'
import { CliError, CredentialsFileUnsafeError, ExitCode } from './errors.ts'

export const defaultEnvFile = resolve(import.meta.dirname, '..', '.env')

/** The entries of `envFile` (none when it does not exist); throws CredentialsFileUnsafeError when others may read it. */
function readEnvFile(envFile: string): Record<string, string> {
  if (!existsSync(envFile)) return {}
  const { mode } = statSync(envFile)
  if ((mode & 0o077) !== 0) throw new CredentialsFileUnsafeError(envFile, mode)
  return parse(readFileSync(envFile))
}

/** Read `names` from the .env file (falling back to this process's environment); throw naming what is missing. */
export function loadCredentials(
  names: readonly string[],
  envFile: string = defaultEnvFile,
  fallback: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  if (names.length === 0) return {}
  const fromFile = readEnvFile(envFile)
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
  const fromFile = readEnvFile(envFile)
  return Object.fromEntries(names.map((n) => [n, Boolean(fromFile[n] ?? fallback[n])]))
}
