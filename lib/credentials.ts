/**
 * Provider credentials: kept in the operator's encrypted, sealed state (`npm run credentials -- set <NAME>`), so
 * the passphrase guards them like everything else, and handed only to the Terraform child's environment.
 * Credentials still found in the project's git-ignored `.env` or in this process's environment are used, with a
 * loud warning naming where they are and the command that moves them in: any process running as you can read
 * those (docs/spec.md, "Human presence"). A `.env` that group or others may access is refused like a private
 * key file (exit 77). process.env is not modified.
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

/** Where a credential was found. */
export type CredentialSource = 'state' | '.env' | 'environment'

export interface CredentialSources {
  /** The operator's credentials from the state document. */
  state: Readonly<Record<string, string>>
  envFile?: string
  env?: NodeJS.ProcessEnv
}

/** Each of `names` with where it is (state first), or undefined when it is nowhere. */
export function locateCredentials(
  names: readonly string[],
  sources: CredentialSources,
): Record<string, { value: string; source: CredentialSource } | undefined> {
  const envFile = sources.envFile ?? defaultEnvFile
  const fromFile = readEnvFile(envFile)
  const env = sources.env ?? process.env
  return Object.fromEntries(
    names.map((name) => {
      const candidates: [string | undefined, CredentialSource][] = [
        [sources.state[name], 'state'],
        [fromFile[name], '.env'],
        [env[name], 'environment'],
      ]
      const hit = candidates.find(([value]) => value !== undefined && value !== '')
      return [name, hit ? { value: hit[0] as string, source: hit[1] } : undefined]
    }),
  )
}

/**
 * The values of `names`; throws naming what is missing. Calls `warn` once for the credentials that are not in
 * the sealed state, with the command that moves them in.
 */
export function loadCredentials(
  names: readonly string[],
  sources: CredentialSources,
  warn: (line: string) => void,
): Record<string, string> {
  const located = locateCredentials(names, sources)
  const missing = names.filter((n) => located[n] === undefined)
  if (missing.length > 0)
    throw new CliError(`Missing provider credentials: ${missing.join(', ')}.`, {
      hint: `Store each in your encrypted state: ${missing.map((n) => `\`npm run credentials -- set ${n}\``).join(', ')}.`,
      exitCode: ExitCode.badInput,
    })
  const outside = names.filter((n) => located[n]?.source !== 'state')
  if (outside.length > 0)
    warn(
      `${outside.map((n) => `${n} (${located[n]?.source === '.env' ? (sources.envFile ?? defaultEnvFile) : 'the environment'})`).join(', ')} ` +
        'is read from plain text that any process running as you can read. Move it into your sealed state: ' +
        `${outside.map((n) => `npm run credentials -- set ${n}`).join('; ')} (then delete it there).`,
    )
  return Object.fromEntries(names.map((n) => [n, located[n]?.value ?? '']))
}
