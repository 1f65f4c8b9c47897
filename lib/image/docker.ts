/**
 * The few Docker engine questions the image code asks, through the docker CLI (`-H <dockerHost>`, so
 * unix:// and ssh:// hosts both work; ssh:// uses the docker CLI's own ssh and your ssh configuration).
 */
import { CliError, describeError, ExitCode } from '../errors.ts'
import { buildChildEnv, type Proc, type RunResult } from '../proc.ts'
import { verifyDockerSocket } from '../ssh/health.ts'

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

async function docker(proc: Proc, dockerHost: string, args: readonly string[]): Promise<RunResult> {
  // A local socket is pinged first: a clearer answer than the CLI's when no engine listens.
  if (dockerHost.startsWith('unix://'))
    await verifyDockerSocket(dockerHost).catch((error: unknown) => {
      throw new DockerEngineError(dockerHost, error)
    })
  return proc.run(['docker', '-H', dockerHost, ...args], { env: buildChildEnv() })
}

async function mustDocker(proc: Proc, dockerHost: string, args: readonly string[]): Promise<string> {
  const result = await docker(proc, dockerHost, args)
  if (result.exitCode !== 0) throw new DockerCommandError(dockerHost, args.join(' '), result.stderr)
  return result.stdout
}

/** Whether the engine at `dockerHost` has an image tagged `ref` (never pulls). */
export async function imageStatus(proc: Proc, dockerHost: string, ref: string): Promise<ImageStatus> {
  // `image ls <ref>` answers "none" with exit 0 and an empty list, unlike `inspect`, whose "no such image"
  // shares its exit code with every other failure.
  const ids = await mustDocker(proc, dockerHost, ['image', 'ls', '--no-trunc', '--format', '{{.ID}}', ref])
  return ids.trim() === '' ? 'absent' : 'present'
}

/** The id and labels of the image tagged `ref`, or undefined when the engine has none. */
export async function inspectImage(
  proc: Proc,
  dockerHost: string,
  ref: string,
): Promise<ImageInfo | undefined> {
  if ((await imageStatus(proc, dockerHost, ref)) === 'absent') return undefined
  const out = await mustDocker(proc, dockerHost, [
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

/** `docker load` an image archive file into the engine at `dockerHost`. */
export async function loadImageArchive(proc: Proc, dockerHost: string, archivePath: string): Promise<void> {
  await mustDocker(proc, dockerHost, ['image', 'load', '--quiet', '--input', archivePath])
}
