/**
 * `npm run doctor`: every prerequisite of the launcher checked, each with what to do when it is missing.
 * It reads no secret value: credentials are only checked for presence.
 */
import { access, constants, stat } from 'node:fs/promises'
import { credentialPresence } from './credentials.ts'
import { CredentialsFileUnsafeError, describeError } from './errors.ts'
import { DEFAULT_LOCAL_DOCKER_HOST } from './flows/targets.ts'
import { detectIdentityReason } from './gate/identity.ts'
import { inspectImage } from './image/docker.ts'
import { isReferenceImage, referenceImageRef } from './image/reference.ts'
import { buildChildEnv, type Proc } from './proc.ts'
import { PROVIDERS, providerModule } from './providers/index.ts'
import { openOperatorPaths, readProfile, resolveOperator } from './state/operator.ts'
import { cliConfigPath } from './tools/paths.ts'
import { binaryPath, displayVersion, listTools } from './tools/spec.ts'
import { isToolInstalled } from './tools/stamp.ts'

export type CheckLevel = 'ok' | 'warn' | 'fail'

export interface Check {
  name: string
  level: CheckLevel
  detail: string
  /** What to do about it (for warn and fail). */
  fix?: string
}

async function commandVersion(proc: Proc, argv: string[]): Promise<string | undefined> {
  try {
    const done = await proc.run(argv, { env: buildChildEnv() })
    if (done.exitCode !== 0) return undefined
    return (done.stdout || done.stderr).trim().split('\n')[0]
  } catch {
    return undefined
  }
}

function checkNode(): Check {
  const major = Number(process.versions.node.split('.')[0])
  return major >= 20
    ? { name: 'node', level: 'ok', detail: process.versions.node }
    : { name: 'node', level: 'fail', detail: process.versions.node, fix: 'Install Node.js 20 or newer.' }
}

function checkTools(): Check[] {
  const checks: Check[] = listTools().map((spec): Check => {
    const label = `${spec.name} ${displayVersion(spec)}`
    if (spec.refusedByProxy) {
      const fix = spec.provider
        ? 'Stacks that need this provider cannot be planned or applied on this machine.'
        : 'Use the pinned tofu instead (the default).'
      return { name: spec.name, level: 'warn', detail: `${label}: unavailable (${spec.refusedByProxy})`, fix }
    }
    return isToolInstalled(spec)
      ? { name: spec.name, level: 'ok', detail: `${label} at ${binaryPath(spec)}` }
      : { name: spec.name, level: 'fail', detail: `${label} not built`, fix: 'Run `npm run tools`.' }
  })
  return checks
}

async function checkFile(name: string, path: string, fix: string): Promise<Check> {
  return access(path, constants.R_OK).then(
    (): Check => ({ name, level: 'ok', detail: path }),
    (): Check => ({ name, level: 'fail', detail: `${path} missing`, fix }),
  )
}

async function checkOperator(flag: string | undefined): Promise<Check[]> {
  try {
    const operator = await resolveOperator({ flag })
    const profile = await readProfile(await openOperatorPaths(operator))
    // The same check the human gate makes: an identity here that matches one of the profile's recipients.
    const reason = await detectIdentityReason(operator)
    const identity: Check = reason
      ? {
          name: 'age identity',
          level: 'fail',
          detail: reason.text,
          fix: 'Run `npm run operator:init -- --operator <name> --import <keyfile>` with your identity.',
        }
      : { name: 'age identity', level: 'ok', detail: 'matches a recipient of the profile' }
    return [
      { name: 'operator', level: 'ok', detail: `${operator} (${profile.recipients.length} recipient(s))` },
      identity,
    ]
  } catch (error) {
    return [
      {
        name: 'operator',
        level: 'fail',
        detail: describeError(error),
        fix: 'Run `npm run operator:init -- --operator <name>`.',
      },
    ]
  }
}

function checkCredentials(): Check[] {
  try {
    return checkEachProvider()
  } catch (error) {
    if (!(error instanceof CredentialsFileUnsafeError)) throw error
    return [
      {
        name: 'credentials file',
        level: 'fail',
        detail: error.message,
        ...(error.hint ? { fix: error.hint } : {}),
      },
    ]
  }
}

function checkEachProvider(): Check[] {
  return PROVIDERS.filter((p) => providerModule(p).credentials.length > 0).map((p): Check => {
    const present = credentialPresence(providerModule(p).credentials.map((c) => c.name))
    const missing = Object.entries(present)
      .filter(([, ok]) => !ok)
      .map(([n]) => n)
    return missing.length === 0
      ? { name: `${p} credentials`, level: 'ok', detail: 'present in .env' }
      : {
          name: `${p} credentials`,
          level: 'warn',
          detail: `missing ${missing.join(', ')}`,
          fix: `Add them to .env to use --provider ${p} (docs/deployment.md).`,
        }
  })
}

/** Whether the engine at `dockerHost` has the reference debug server image of this version. */
export async function checkReferenceImage(proc: Proc, dockerHost: string): Promise<Check> {
  const name = 'reference image'
  const ref = referenceImageRef()
  const build = 'Run `npm run image:reference` (offline, needs busybox-static), or pass --image to cloud:up.'
  try {
    const image = await inspectImage(proc, dockerHost, ref)
    if (!image) return { name, level: 'warn', detail: `${ref} is not on ${dockerHost}`, fix: build }
    return isReferenceImage(image.labels)
      ? { name, level: 'ok', detail: `${ref} on ${dockerHost}` }
      : {
          name,
          level: 'warn',
          detail: `${ref} on ${dockerHost} is not labelled as this reference server`,
          fix: build,
        }
  } catch (error) {
    return {
      name,
      level: 'warn',
      detail: describeError(error),
      fix: 'Needed for --provider local: start the Docker engine, then run `npm run image:reference`.',
    }
  }
}

/** Run every check. */
export async function runDoctor(
  proc: Proc,
  options: { operator?: string; sshKey: string },
): Promise<Check[]> {
  const ssh = await commandVersion(proc, ['ssh', '-V'])
  const docker = await commandVersion(proc, ['docker', '--version'])
  const keyMode = await stat(options.sshKey).then(
    (s) => s.mode & 0o077,
    () => undefined,
  )
  return [
    checkNode(),
    ...checkTools(),
    await checkFile(
      'tofu CLI config',
      cliConfigPath(),
      'Run `npm run tools` (it writes the offline provider mirror config).',
    ),
    ssh
      ? { name: 'ssh', level: 'ok', detail: ssh }
      : {
          name: 'ssh',
          level: 'fail',
          detail: 'not found',
          fix: 'Install OpenSSH (Debian: apt-get install openssh-client).',
        },
    docker
      ? { name: 'docker CLI', level: 'ok', detail: docker }
      : {
          name: 'docker CLI',
          level: 'warn',
          detail: 'not found',
          fix: 'Needed to build the reference image and to inspect a local Docker engine by hand.',
        },
    ...(docker ? [await checkReferenceImage(proc, DEFAULT_LOCAL_DOCKER_HOST)] : []),
    keyMode === undefined
      ? {
          name: 'ssh key',
          level: 'warn',
          detail: `${options.sshKey} missing`,
          fix: 'Create one with `ssh-keygen -t ed25519`, or pass --ssh-key.',
        }
      : keyMode !== 0
        ? {
            name: 'ssh key',
            level: 'fail',
            detail: `${options.sshKey} is readable by others`,
            fix: `chmod 600 ${options.sshKey}`,
          }
        : { name: 'ssh key', level: 'ok', detail: options.sshKey },
    ...(await checkOperator(options.operator)),
    ...checkCredentials(),
  ]
}
