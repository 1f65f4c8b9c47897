/**
 * Is there an operator identity on this workstation: a profile for the operator under the state
 * directory, and at least one age identity where sops looks for one.
 */
import { existsSync, readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { type AgeIdentities, findAgeIdentities } from '../sops/index.ts'
import { OPERATOR_NAME, operatorPaths } from '../state/paths.ts'
import type { GateReason } from './reasons.ts'

function noIdentity(text: string, signal: string): GateReason {
  return { code: 'no-identity', text, signals: [signal] }
}

// TEMPORARY, until lib/sops/index.ts findAgeIdentities lands (it throws 'not implemented' as a stub):
// the key locations sops reads, checked without running SOPS_AGE_KEY_CMD. Delete once the codec is in.
function findAgeIdentitiesFallback(env: NodeJS.ProcessEnv): AgeIdentities {
  const home = env.HOME ?? homedir()
  const keysTxt = join(env.XDG_CONFIG_HOME ?? join(home, '.config'), 'sops', 'age', 'keys.txt')
  const files = [env.SOPS_AGE_KEY_FILE, keysTxt].filter((f): f is string => f !== undefined && f !== '')
  const texts = [env.SOPS_AGE_KEY ?? '', ...files.filter(existsSync).map((f) => readFileSync(f, 'utf8'))]
  const identities = texts.flatMap((t) => t.split(/\r?\n/)).filter((l) => l.startsWith('AGE-SECRET-KEY-1'))
  const ssh = [
    env.SOPS_AGE_SSH_PRIVATE_KEY_FILE,
    join(home, '.ssh', 'id_ed25519'),
    join(home, '.ssh', 'id_rsa'),
  ]
  identities.push(...ssh.filter((f): f is string => f !== undefined && existsSync(f)))
  return { identities, searched: ['SOPS_AGE_KEY', ...files, ...ssh.filter((f) => f !== undefined)] }
}

async function findIdentities(env: NodeJS.ProcessEnv): Promise<AgeIdentities> {
  try {
    return await findAgeIdentities(env)
  } catch (error) {
    if (error instanceof Error && error.message === 'not implemented') return findAgeIdentitiesFallback(env)
    throw error
  }
}

/** The identity reason, if any, for `operator` in `env`. */
export async function detectIdentityReason(
  operator: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<GateReason | undefined> {
  if (operator === undefined || operator === '') {
    return noIdentity(
      'No operator is set up on this workstation, so nobody can be held to the action.',
      'operator',
    )
  }
  if (!OPERATOR_NAME.test(operator)) {
    return noIdentity(`"${operator}" is not a valid operator name.`, 'operator')
  }
  const profile = operatorPaths(operator, env).profile
  if (!existsSync(profile)) {
    return noIdentity(
      `Operator "${operator}" has no profile on this workstation (${profile} is missing).`,
      'profile',
    )
  }
  let found: AgeIdentities
  try {
    found = await findIdentities(env)
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error)
    return noIdentity(`The age identity of operator "${operator}" could not be read: ${why}`, 'age identity')
  }
  if (found.identities.length === 0) {
    return noIdentity(
      `No age identity for operator "${operator}" was found on this workstation (looked at: ${found.searched.join('; ')}).`,
      'age identity',
    )
  }
  return undefined
}
