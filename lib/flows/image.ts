/**
 * The image the app phase runs, made sure of before the person is asked to approve it: already in the Docker
 * engine; the reference image built into it (what `npm run image:reference` does); any other image found in its
 * registry by the engine (the manifest only: Terraform pulls it after the approval). An image that cannot be had
 * is said here, by name and with what to do, never as a Terraform error after an approval. A new cloud VM's engine has no registry to pull the reference image from: its archive is
 * assembled before the gate (so a missing busybox-static stops the run before anything is created) and loaded
 * over the pinned SSH connection once the host is ready. Any other image is looked up by that VM's engine after
 * the host phase, which the person approved already; an image its registry lacks still stops the run before the
 * app phase, named, instead of failing inside it.
 */
import { CliError, ExitCode } from '../errors.ts'
import type { ReferenceArchive } from '../image/archive.ts'
import { buildReferenceImage, prepareReferenceArchive } from '../image/build.ts'
import { type DockerEngine, imageStatus, inspectRegistryImage } from '../image/docker.ts'
import { referenceImageRef } from '../image/reference.ts'
import type { FlowRuntime } from './runtime.ts'

/** The image is not in the engine, and could not be pulled (or built). */
export class ImageUnavailableError extends CliError {
  constructor(
    readonly image: string,
    readonly dockerHost: string,
    reason: string,
  ) {
    super(`The image ${image} is not in the Docker engine ${dockerHost}, and ${reason}`, {
      hint: [
        `Leave --image out to run the reference debug server (${referenceImageRef()}: cloud:up builds it, or run \`npm run image:reference\`),`,
        'or pass --image with an image that engine already has (`docker images`) or can pull.',
      ].join(' '),
      exitCode: ExitCode.imageUnavailable,
    })
  }
}

/** How long the engine may take to find an image in its registry. */
export const REGISTRY_CHECK_TIMEOUT_MS = 30_000

/** Interrupted (Ctrl-C) while the engine asked the registry; nothing was changed. */
export class ImageCheckInterruptedError extends CliError {
  constructor(image: string) {
    super(`Interrupted while looking for ${image} in its registry.`, {
      hint: 'Nothing was created; run the same command again to resume.',
      exitCode: ExitCode.interrupted,
    })
  }
}

/** True for the reference debug server image of this project version (the default --image). */
export function isReferenceRef(image: string): boolean {
  return image === referenceImageRef()
}

/** A `localhost/…` name is never pulled from anywhere but a registry on the engine's own machine. */
function isLocalOnly(image: string): boolean {
  return image.startsWith('localhost/') || image.startsWith('localhost:')
}

/**
 * For a host that does not exist yet: the reference image's archive, assembled now (before the gate), or
 * undefined for any other image (the new host's engine pulls it).
 */
export async function prepareImageArchive(
  rt: FlowRuntime,
  image: string,
): Promise<ReferenceArchive | undefined> {
  if (!isReferenceRef(image)) return undefined
  rt.out.step(
    `Image: assembling the reference server ${image} from busybox-static (loaded onto the new host)`,
  )
  return prepareReferenceArchive(rt.proc)
}

/** Make sure `engine` has `image` (see the module comment); `archive` is the one prepared before the gate. */
export async function ensureAppImage(
  rt: FlowRuntime,
  engine: DockerEngine,
  image: string,
  archive?: ReferenceArchive,
): Promise<void> {
  const where = engine.dockerHost
  if (!archive && (await imageStatus(rt.proc, engine, image)) === 'present') {
    rt.out.detail(`Image ${image}: present on ${where}.`)
    return
  }
  const started = performance.now()
  const seconds = () => ((performance.now() - started) / 1000).toFixed(1)
  if (isReferenceRef(image)) {
    if (!archive)
      rt.out.step(`Image: building the reference server ${image} into ${where} (npm run image:reference)`)
    const built = await buildReferenceImage({ proc: rt.proc, engine, ...(archive ? { archive } : {}) })
    if (built.built) rt.out.success(`Loaded ${built.ref} into ${where} in ${seconds()} s.`)
    else rt.out.detail(`Image ${image}: already on ${where}.`)
    return
  }
  if (isLocalOnly(image))
    throw new ImageUnavailableError(image, where, 'a localhost/ name cannot be pulled from a registry.')
  rt.out.step(`Image: ${image} is not on ${where}; asking its registry (Terraform pulls it in the app phase)`)
  const timeout = AbortSignal.timeout(REGISTRY_CHECK_TIMEOUT_MS)
  const found = await inspectRegistryImage(
    rt.proc,
    engine,
    image,
    AbortSignal.any([rt.interrupts.signal, timeout]),
  )
  if (rt.interrupts.signal.aborted) throw new ImageCheckInterruptedError(image)
  if (timeout.aborted)
    throw new ImageUnavailableError(
      image,
      where,
      `its registry did not answer within ${REGISTRY_CHECK_TIMEOUT_MS / 1000} s.`,
    )
  if (!found.ok) throw new ImageUnavailableError(image, where, `${found.reason}.`)
  rt.out.detail(`Image ${image}: its registry has it (${seconds()} s); Terraform pulls it.`)
}
