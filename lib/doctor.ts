/**
 * `npm run doctor`: every prerequisite of the launcher checked, each with what to do when it is missing.
 * It reads no secret value: credentials are only checked for presence.
 */
import { access, constants, readFile, stat } from 'node:fs/promises'
import { locateCredentials } from './credentials.ts'
import { CredentialsFileUnsafeError, describeError } from './errors.ts'
import { DEFAULT_LOCAL_DOCKER_HOST } from './flows/targets.ts'
import { BusyboxMissingError, readBusyboxPackage } from './image/busybox.ts'
import { inspectImage } from './image/docker.ts'
import { isReferenceImage, referenceImageRef } from './image/reference.ts'
import { buildChildEnv, type Proc } from './proc.ts'
import { PROVIDERS, providerModule } from './providers/index.ts'
import { findAgeIdentities, recipientOf } from './sops/index.ts'
import { openOperatorPaths, readProfile, resolveOperator } from './state/operator.ts'
import { cliConfigPath } from './tools/paths.ts'
import { binaryPath, displayVersion, listTools } from './tools/spec.ts'
import { isToolInstalled, whyUnavailable } from './tools/stamp.ts'

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
    const unavailable = whyUnavailable(spec)
    if (unavailable) {
      const fix = spec.provider
        ? 'Stacks that need this provider cannot be planned or applied on this machine.'
        : 'Use the pinned tofu instead (the default).'
      return { name: spec.name, level: 'warn', detail: `${label}: unavailable (${unavailable})`, fix }
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

/** Sealed (the passphrase opens it in the agent), plaintext (warned: anyone as you can read it), or missing. */
async function checkIdentity(recipients: readonly string[]): Promise<Check> {
  const name = 'age identity'
  const found = await findAgeIdentities()
  const plain = await Promise.all(found.identities.map(recipientOf))
  if (plain.some((r) => recipients.includes(r)))
    return {
      name,
      level: 'warn',
      detail:
        'a plaintext identity of the operator: any process running as you can read it, decrypt and approve',
      fix: 'Seal it with a passphrase: `npm run operator:init -- --seal`.',
    }
  const [sealed] = found.sealedFiles
  if (sealed) return { name, level: 'ok', detail: `sealed with a passphrase: ${sealed}` }
  return {
    name,
    level: 'fail',
    detail: `none found (looked at: ${found.searched.join('; ')})`,
    fix: 'Run `npm run operator:init -- --operator <name>` (or --import your identity).',
  }
}

/**
 * Without Yama's ptrace restriction any process running as you can read the memory of your shell and of this CLI
 * while it runs (a typed passphrase, a decrypted state); the unlock agent itself is protected either way.
 */
async function checkPtraceScope(): Promise<Check> {
  const name = 'ptrace scope'
  const scope = await readFile('/proc/sys/kernel/yama/ptrace_scope', 'utf8').then(
    (t) => Number(t.trim()),
    () => undefined,
  )
  if (scope !== undefined && scope >= 1)
    return { name, level: 'ok', detail: `kernel.yama.ptrace_scope=${scope}` }
  return {
    name,
    level: 'warn',
    detail:
      scope === undefined
        ? 'this kernel has no Yama: any process running as you can read the memory of your other processes'
        : 'kernel.yama.ptrace_scope=0: any process running as you can read the memory of your other processes',
    fix: 'Where the kernel has Yama: `sysctl kernel.yama.ptrace_scope=1` (docs/spec.md, "Honest limits").',
  }
}

async function checkOperator(flag: string | undefined): Promise<Check[]> {
  try {
    const operator = await resolveOperator({ flag })
    const profile = await readProfile(await openOperatorPaths(operator))
    return [
      { name: 'operator', level: 'ok', detail: `${operator} (${profile.recipients.length} recipient(s))` },
      await checkIdentity(profile.recipients),
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

/** Credentials left in plain text (.env, the environment) are warned about; the sealed state is not opened here. */
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
    const names = providerModule(p).credentials.map((c) => c.name)
    const located = locateCredentials(names, { state: {} })
    const plain = names.filter((n) => located[n] !== undefined)
    return plain.length === 0
      ? {
          name: `${p} credentials`,
          level: 'ok',
          detail: 'none in plain text (`npm run credentials -- list` shows what your sealed state holds)',
        }
      : {
          name: `${p} credentials`,
          level: 'warn',
          detail: `${plain.join(', ')} in plain text (${plain.map((n) => located[n]?.source).join(', ')})`,
          fix: `Move them into your sealed state: ${plain.map((n) => `npm run credentials -- set ${n}`).join('; ')}.`,
        }
  })
}

/**
 * Whether the engine at `dockerHost` has the reference debug server image of this version (cloud:up's default
 * --image), or, when it has not, whether it can be built here (busybox-static installed): cloud:up then builds
 * it before asking anything.
 */
export async function checkReferenceImage(proc: Proc, dockerHost: string): Promise<Check> {
  const name = 'reference image'
  const ref = referenceImageRef()
  const build = 'Run `npm run image:reference` (offline, needs busybox-static), or pass --image to cloud:up.'
  try {
    const image = await inspectImage(proc, { dockerHost }, ref)
    if (!image) return await checkBuildable(proc, ref, dockerHost)
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

/** The reference image is absent: fine when busybox-static is installed (cloud:up builds it), else what to install. */
async function checkBuildable(proc: Proc, ref: string, dockerHost: string): Promise<Check> {
  const name = 'reference image'
  try {
    const busybox = await readBusyboxPackage(proc)
    return {
      name,
      level: 'ok',
      detail: `${ref} is not on ${dockerHost} yet; cloud:up builds it from busybox-static ${busybox.version}`,
    }
  } catch (error) {
    if (!(error instanceof BusyboxMissingError)) throw error
    return {
      name,
      level: 'fail',
      detail: `${ref} is not on ${dockerHost}, and cannot be built here: ${error.reason}`,
      fix: `${error.hint ?? ''} Or pass --image with an image that engine has or can pull.`.trim(),
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
    await checkPtraceScope(),
    ...checkCredentials(),
  ]
}
