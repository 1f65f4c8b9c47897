/**
 * What the launcher promises a host stack's Terraform run, checked on every call the double answers:
 * a minimal environment (secrets only as TF_VAR_*, state encryption on), secrets never in argv or the var
 * file, the var file private (0600), and user data that is a `#cloud-config` with password SSH off and the
 * pre-generated host key whose fingerprint the launcher pins.
 */
import { createHash } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import { parse } from 'yaml'
import type { StackKind } from './providers.ts'

/** The launcher broke the contract; the double reports it as an error diagnostic and exits 1. */
export class ContractViolation extends Error {
  override readonly name = 'ContractViolation'
}

/** The environment variable the wrapper script sets to find the double's configuration. */
export const CONFIG_ENV = 'CLOUD_API_DOUBLE_CONFIG'

const PASSTHROUGH = ['PATH', 'HOME', 'USER', 'LOGNAME', 'LANG', 'LC_ALL', 'TMPDIR', 'TERM', 'NO_COLOR', 'TZ']
/** Set by the shells between the launcher and the double (zx's bash, the wrapper's sh), not by the launcher. */
const SHELL_SET = ['PWD', 'OLDPWD', 'SHLVL', '_']
const TF_FIXED = ['TF_IN_AUTOMATION', 'TF_INPUT', 'TF_CLI_CONFIG_FILE', 'TF_DATA_DIR', 'TF_ENCRYPTION']

/** The sensitive root variables of each host stack (variables.tf: `sensitive = true`). */
export const SECRET_VARIABLES: Record<StackKind, readonly string[]> = {
  hetzner: ['hcloud_token', 'user_data'],
  contabo: ['contabo_credentials', 'user_data'],
}

/** Root variables without a default (variables.tf), which the var file must set. */
export const REQUIRED_VARIABLES: Record<StackKind, readonly string[]> = {
  hetzner: ['name', 'operator_ssh_public_key', 'host_key_fingerprint', 'ssh_source_ranges'],
  contabo: ['name', 'image_id', 'operator_ssh_public_key', 'host_key_fingerprint'],
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** What the real run would refuse before any API call: a required variable unset, a malformed image id. */
export function verifyVariables(kind: StackKind, vars: Record<string, unknown>): void {
  const missing = REQUIRED_VARIABLES[kind].filter((name) => vars[name] === undefined || vars[name] === null)
  if (missing.length > 0)
    throw new ContractViolation(`no value for required variable(s): ${missing.join(', ')}.`)
  if (kind === 'contabo' && !UUID.test(String(vars.image_id)))
    throw new ContractViolation('image_id must be a lowercase UUID (the stack validates it).')
}

export type Env = Readonly<Record<string, string | undefined>>

/** The secret values of a run: each TF_VAR_* value and, for JSON objects, each of their string fields. */
export function secretValues(kind: StackKind, env: Env): string[] {
  const values: string[] = []
  for (const name of SECRET_VARIABLES[kind]) {
    const value = env[`TF_VAR_${name}`]
    if (value === undefined || value === '') throw new ContractViolation(`TF_VAR_${name} is not set.`)
    values.push(value)
    if (value.startsWith('{')) {
      for (const field of Object.values(JSON.parse(value) as Record<string, unknown>))
        if (typeof field === 'string' && field.length >= 8) values.push(field)
    }
  }
  return values
}

/** Exactly the minimal child environment: passthrough names, the automation switches, the stack's TF_VAR_*. */
export function verifyEnv(kind: StackKind, env: Env): void {
  const allowed = new Set([
    ...PASSTHROUGH,
    ...SHELL_SET,
    ...TF_FIXED,
    CONFIG_ENV,
    ...SECRET_VARIABLES[kind].map((n) => `TF_VAR_${n}`),
  ])
  const extra = Object.keys(env).filter((name) => !allowed.has(name))
  if (extra.length > 0)
    throw new ContractViolation(`unexpected environment variables: ${extra.sort().join(', ')}.`)
  if (env.TF_IN_AUTOMATION !== '1' || env.TF_INPUT !== '0')
    throw new ContractViolation('TF_IN_AUTOMATION=1 and TF_INPUT=0 must be set.')
  for (const name of ['TF_CLI_CONFIG_FILE', 'TF_DATA_DIR', 'TF_ENCRYPTION'])
    if (!env[name]) throw new ContractViolation(`${name} is not set (OpenTofu runs need it).`)
  const encryption = JSON.parse(env.TF_ENCRYPTION!) as {
    state?: { enforced?: boolean }
    plan?: { enforced?: boolean }
  }
  if (encryption.state?.enforced !== true || encryption.plan?.enforced !== true)
    throw new ContractViolation('TF_ENCRYPTION must enforce encryption of both state and plan.')
  secretValues(kind, env)
}

/** No secret value appears in argv or in any var file. */
export function verifySecretsAbsent(
  secrets: readonly string[],
  argv: readonly string[],
  texts: readonly string[],
): void {
  for (const secret of secrets) {
    if (argv.some((arg) => arg.includes(secret)))
      throw new ContractViolation('a secret value is on the command line.')
    if (texts.some((text) => text.includes(secret)))
      throw new ContractViolation('a secret value is in the var file.')
  }
}

/** The var file is private (0600) JSON; returns its values. */
export function readVarFile(path: string): { text: string; values: Record<string, unknown> } {
  const mode = statSync(path).mode & 0o777
  if (mode !== 0o600)
    throw new ContractViolation(`the var file ${path} has mode ${mode.toString(8)}, not 600.`)
  const text = readFileSync(path, 'utf8')
  return { text, values: JSON.parse(text) as Record<string, unknown> }
}

/** `SHA256:…` of an OpenSSH public key line, as ssh-keygen -l prints it. */
export function fingerprintOf(publicKey: string): string {
  const blob = Buffer.from(publicKey.trim().split(/\s+/)[1] ?? '', 'base64')
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`
}

export interface HostKeyPair {
  privateKey: string
  publicKey: string
}

/** Check the user data like cloud-init's schema would, plus our rules; returns the host key it carries. */
export function verifyUserData(userData: string, vars: Record<string, unknown>): HostKeyPair {
  if (!userData.startsWith('#cloud-config\n'))
    throw new ContractViolation('user data is not a #cloud-config document.')
  const doc = parse(userData) as Record<string, unknown> | null
  if (doc === null || typeof doc !== 'object') throw new ContractViolation('user data is not a YAML mapping.')
  if (doc.ssh_pwauth !== false) throw new ContractViolation('user data does not set ssh_pwauth: false.')
  const keys = (doc.ssh_keys ?? {}) as Record<string, unknown>
  const privateKey = keys.ed25519_private
  const publicKey = keys.ed25519_public
  if (typeof privateKey !== 'string' || !privateKey.includes('BEGIN OPENSSH PRIVATE KEY'))
    throw new ContractViolation('user data has no ssh_keys.ed25519_private.')
  if (typeof publicKey !== 'string' || !publicKey.startsWith('ssh-ed25519 '))
    throw new ContractViolation('user data has no ssh_keys.ed25519_public.')
  if (fingerprintOf(publicKey) !== vars.host_key_fingerprint)
    throw new ContractViolation('host_key_fingerprint does not match the host key in the user data.')
  const users = Array.isArray(doc.users) ? (doc.users as unknown[]) : []
  const deploy = users.find(
    (u) =>
      typeof u === 'object' && u !== null && (u as { name?: unknown }).name === (vars.ssh_user ?? 'deploy'),
  )
  const authorized = (deploy as { ssh_authorized_keys?: unknown } | undefined)?.ssh_authorized_keys
  if (!Array.isArray(authorized) || !authorized.includes(vars.operator_ssh_public_key))
    throw new ContractViolation("user data does not authorize the operator's key for the deploy user.")
  return { privateKey, publicKey }
}
