/**
 * The few Docker engine questions the image code and the flows ask, through the docker CLI: `-H <dockerHost>`
 * for a local socket (or an ssh:// URL, with the CLI's own ssh and your ssh configuration), or the host's own
 * docker CLI over the pinned SSH connection.
 */
import { CliError, describeError, ExitCode } from '../errors.ts'
import { buildChildEnv, type Proc, type RunResult } from '../proc.ts'
import { HostKeyMismatchError } from '../ssh/errors.ts'
import { verifyDockerSocket } from '../ssh/health.ts'
import { isHostKeyFailure } from '../ssh/ready.ts'
import { buildSshArgs, type SshTarget } from '../ssh/target.ts'

export type ImageStatus = 'present' | 'absent'

export interface ImageInfo {
  /** `sha256:…` as the engine reports it. */
  id: string
  labels: Record<string, string>
}

/** A docker CLI command failed; the message carries its stderr (which holds no secret: no env is passed). */
export class DockerCommandError extends CliError {
  constructor(
    readonly dockerHost: string,
    readonly command: string,
    readonly stderr: string,
  ) {
    super(`\`docker ${command}\` on ${dockerHost} failed: ${stderr.trim() || 'no output'}`, {
      hint: 'Check that the Docker engine runs and answers there (`docker -H <host> info`), then run again.',
      exitCode: ExitCode.failure,
    })
  }
}

/** No Docker engine answers on a local socket (exit 52, like cloud:up's check). */
export class DockerEngineError extends CliError {
  constructor(
    readonly dockerHost: string,
    cause: unknown,
  ) {
    super(describeError(cause), {
      hint: 'Start the Docker engine (for example `sudo systemctl start docker`), then run the command again.',
      exitCode: ExitCode.hostNotReady,
      cause,
    })
  }
}

/**
 * A Docker engine as the launcher reaches it: a local socket (`unix://…`) through the docker CLI's `-H`, or a
 * host over the pinned SSH connection, where the host's own docker CLI runs (never the CLI's own ssh, which would
 * trust your ssh configuration instead of the pinned key).
 */
export interface DockerEngine {
  dockerHost: string
  ssh?: SshTarget
}

/** One word for the remote shell: ssh joins its command's words with spaces, and the host's shell splits them. */
function quoteForShell(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`
}

/** argv of `docker <args>` against `engine`: over pinned SSH (each word quoted for the host's shell), or with `-H`. */
export function buildDockerArgv(engine: DockerEngine, args: readonly string[]): string[] {
  return engine.ssh
    ? buildSshArgs(engine.ssh, ['docker', ...args].map(quoteForShell))
    : ['docker', '-H', engine.dockerHost, ...args]
}

async function docker(
  proc: Proc,
  engine: DockerEngine,
  args: readonly string[],
  options: { input?: Buffer; signal?: AbortSignal } = {},
): Promise<RunResult> {
  const { dockerHost } = engine
  // A local socket is pinged first: a clearer answer than the CLI's when no engine listens.
  if (!engine.ssh && dockerHost.startsWith('unix://'))
    await verifyDockerSocket(dockerHost).catch((error: unknown) => {
      throw new DockerEngineError(dockerHost, error)
    })
  const result = await proc.run(buildDockerArgv(engine, args), { env: buildChildEnv(), ...options })
  if (engine.ssh && isHostKeyFailure(result.stderr)) throw new HostKeyMismatchError(engine.ssh.host)
  return result
}

async function mustDocker(
  proc: Proc,
  engine: DockerEngine,
  args: readonly string[],
  options: { input?: Buffer; signal?: AbortSignal } = {},
): Promise<string> {
  const result = await docker(proc, engine, args, options)
  if (result.exitCode !== 0) throw new DockerCommandError(engine.dockerHost, args.join(' '), result.stderr)
  return result.stdout
}

/** Whether `engine` has an image tagged `ref` (never pulls). */
export async function imageStatus(proc: Proc, engine: DockerEngine, ref: string): Promise<ImageStatus> {
  // `image ls <ref>` answers "none" with exit 0 and an empty list, unlike `inspect`, whose "no such image"
  // shares its exit code with every other failure.
  const ids = await mustDocker(proc, engine, ['image', 'ls', '--no-trunc', '--format', '{{.ID}}', ref])
  return ids.trim() === '' ? 'absent' : 'present'
}

/** The id and labels of the image tagged `ref`, or undefined when the engine has none. */
export async function inspectImage(
  proc: Proc,
  engine: DockerEngine,
  ref: string,
): Promise<ImageInfo | undefined> {
  if ((await imageStatus(proc, engine, ref)) === 'absent') return undefined
  const out = await mustDocker(proc, engine, [
    'image',
    'inspect',
    '--format',
    '{{json .Id}} {{json .Config.Labels}}',
    ref,
  ])
  const line = out.trim()
  const space = line.indexOf(' ')
  return {
    id: JSON.parse(line.slice(0, space)) as string,
    labels: (JSON.parse(line.slice(space + 1)) ?? {}) as Record<string, string>,
  }
}

/** `docker load` an image archive (its bytes, on the CLI's stdin: so over SSH too) into `engine`. */
export async function loadImageArchive(proc: Proc, engine: DockerEngine, archive: Buffer): Promise<void> {
  await mustDocker(proc, engine, ['image', 'load', '--quiet'], { input: archive })
}

/** What an image reference may hold; it goes into an HTTP request line, so nothing else is sent. */
const IMAGE_REF = /^[A-Za-z0-9][A-Za-z0-9._/:@-]*$/

/**
 * Ask `engine` whether the registry of `ref` has it, without pulling anything: the Engine API's
 * `GET /distribution/<ref>/json` (what `docker service create` asks), so the engine's own registry settings
 * (mirrors, insecure registries, proxies) decide, as they will for the pull. It is sent through
 * `docker system dial-stdio`, the CLI's raw connection to the engine API, locally or over the pinned SSH
 * connection alike. The engine fetches the manifest and the image config, never a layer.
 */
export async function inspectRegistryImage(
  proc: Proc,
  engine: DockerEngine,
  ref: string,
  signal: AbortSignal,
): Promise<{ ok: true } | { ok: false; reason: string }> {
  // No ".." either: the reference is a path of the engine's API, and a docker reference never holds one.
  if (!IMAGE_REF.test(ref) || ref.includes('..'))
    return { ok: false, reason: `"${ref}" is not an image reference` }
  const request = `GET /distribution/${ref}/json HTTP/1.0\r\nHost: docker\r\n\r\n`
  const result = await docker(proc, engine, ['system', 'dial-stdio'], { input: Buffer.from(request), signal })
  if (signal.aborted) return { ok: false, reason: 'the question was cancelled' }
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(result.stdout)?.[1]
  if (status === undefined)
    throw new DockerCommandError(engine.dockerHost, 'system dial-stdio', result.stderr)
  if (status === '200') return { ok: true }
  const body = result.stdout.slice(result.stdout.indexOf('\r\n\r\n') + 4)
  let message = body.trim()
  try {
    message = String((JSON.parse(body) as { message?: unknown }).message ?? message)
  } catch {
    // Not the engine's JSON error: its text is the reason.
  }
  return { ok: false, reason: `its registry answered ${status}: ${message || 'no reason given'}` }
}
