/**
 * The per-operator state layout (docs/spec.md, "State layout"):
 *
 *   <secrets>/operators/<operator>/.sops.yaml        creation rules for a plain `sops` run in this directory
 *   <secrets>/operators/<operator>/profile.yaml      operator id and recipients (public)
 *   <secrets>/operators/<operator>/state.sops.yaml   the state document, SOPS/age-encrypted YAML
 *   <secrets>/operators/<operator>/history/          previous versions, bounded retention
 *   <secrets>/operators/<operator>/audit.jsonl       gate approvals and denials, one JSON line each
 *   <secrets>/operators/<operator>/state.lock/       the state lock (mkdir), with holder details inside
 *   <secrets>/operators/<operator>/stacks/<stack>.lock/        the stack lock held by up, plan and destroy
 *   <secrets>/operators/<operator>/stacks/<stack>/known_hosts  the stack's pinned host key
 *   <secrets>/operators/<operator>/stacks/<stack>/connect.json an open cloud:connect (pid, sockets)
 *   <secrets>/operators/<operator>/stacks/<stack>/{host,app}/  Terraform working folder per phase (encrypted state)
 *   <secrets>/audit.jsonl                            denials when no operator could be resolved
 *
 * <secrets> is `secrets/` in the project, or DEBUG_CLOUD_SECRETS_DIR.
 */
import { existsSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { UsageError } from '../errors.ts'

/** The repository root (secrets/ must stay inside it unless DEBUG_CLOUD_SECRETS_DIR says otherwise). */
export const projectRoot = resolve(import.meta.dirname, '..', '..')

/** Root of all operator state. */
export function secretsRoot(env: NodeJS.ProcessEnv = process.env): string {
  const override = env.DEBUG_CLOUD_SECRETS_DIR
  return override && override !== '' ? resolve(override) : join(projectRoot, 'secrets')
}

/** Operator names are safe slugs: lower-case letters, digits and single dashes, 1–32 chars. */
export const OPERATOR_NAME = /^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){0,31}$/

/** Throw a UsageError unless `name` is a safe operator slug. */
export function verifyOperatorName(name: string): string {
  if (!OPERATOR_NAME.test(name)) {
    throw new UsageError(
      `Operator name "${name}" is not allowed.`,
      'Use 1-32 lower-case letters, digits and single dashes (no "/", "..", spaces or capitals), e.g. "alice".',
    )
  }
  return name
}

export interface OperatorPaths {
  root: string
  dir: string
  sopsConfig: string
  profile: string
  state: string
  history: string
  audit: string
  lock: string
}

/** Every path of one operator's state. */
export function operatorPaths(operator: string, env: NodeJS.ProcessEnv = process.env): OperatorPaths {
  const root = secretsRoot(env)
  const dir = join(root, 'operators', verifyOperatorName(operator))
  return {
    root,
    dir,
    sopsConfig: join(dir, '.sops.yaml'),
    profile: join(dir, 'profile.yaml'),
    state: join(dir, 'state.sops.yaml'),
    history: join(dir, 'history'),
    audit: join(dir, 'audit.jsonl'),
    lock: join(dir, 'state.lock'),
  }
}

/** Where denials go when no operator can be resolved. */
export function fallbackAuditPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(secretsRoot(env), 'audit.jsonl')
}

/** File name of a Terraform state sealed as SOPS (HashiCorp terraform only), in stacks/<stack>/<phase>/. */
export const SEALED_TF_STATE = 'terraform.tfstate.sops.yaml'

/** Every sealed Terraform state of an operator (what rotate-key must re-encrypt too). */
export async function listSealedTerraformStates(paths: Pick<OperatorPaths, 'dir'>): Promise<string[]> {
  const stacks = join(paths.dir, 'stacks')
  const found: string[] = []
  for (const stack of await readdir(stacks).catch(() => [] as string[])) {
    for (const phase of ['host', 'app']) {
      const file = join(stacks, stack, phase, SEALED_TF_STATE)
      if (existsSync(file)) found.push(file)
    }
  }
  return found.sort()
}
