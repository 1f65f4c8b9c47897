/**
 * `npm run image:reference` (and cloud:up, when the image is missing): build the reference debug server image
 * offline and load it into a Docker engine, or find that the engine already has exactly this image and do nothing.
 *
 * "Nothing changed" is decided by content: the archive is assembled in memory (busybox, the scripts, the
 * config), and its inputs digest is compared with the `debug-cloud.inputs` label of the image the engine has
 * under the same tag. That works with either image store (the id itself is the config digest only in the
 * classic one).
 */
import { chmod, writeFile } from 'node:fs/promises'
import { CliError } from '../errors.ts'
import type { Proc } from '../proc.ts'
import { buildReferenceArchive, type ReferenceArchive, readServerScripts } from './archive.ts'
import { readBusyboxPackage } from './busybox.ts'
import { type DockerEngine, inspectImage, loadImageArchive } from './docker.ts'
import { LABELS } from './reference.ts'

export interface BuildResult {
  ref: string
  /** The image id the engine reports. */
  id: string
  /** False when the engine already had an image with the same inputs (nothing was loaded). */
  built: boolean
  inputs: string
  dockerHost: string
}

/** The reference image archive for the busybox-static installed here. */
export async function prepareReferenceArchive(proc: Proc): Promise<ReferenceArchive> {
  return buildReferenceArchive(await readBusyboxPackage(proc), readServerScripts())
}

/** Write the reference image archive to `path` (0644: it holds nothing secret); returns what it holds. */
export async function writeReferenceArchive(proc: Proc, path: string): Promise<ReferenceArchive> {
  const archive = await prepareReferenceArchive(proc)
  await writeFile(path, archive.bytes)
  await chmod(path, 0o644)
  return archive
}

/** The engine loaded the archive, yet does not report the image under its tag with its inputs. */
export class ImageLoadMismatchError extends CliError {
  constructor(
    readonly ref: string,
    readonly dockerHost: string,
  ) {
    super(`After \`docker load\`, ${dockerHost} does not report ${ref} with the inputs just loaded.`, {
      hint: 'Another process may have re-tagged it meanwhile; run the command again.',
    })
  }
}

/**
 * Build the reference image into `engine` unless it already has the same one. `archive` is one assembled
 * earlier (cloud:up prepares it before the gate, so a missing busybox-static is said before anything changes).
 */
export async function buildReferenceImage(options: {
  proc: Proc
  engine: DockerEngine
  archive?: ReferenceArchive
}): Promise<BuildResult> {
  const { proc, engine } = options
  const archive = options.archive ?? (await prepareReferenceArchive(proc))
  const result = (id: string, built: boolean): BuildResult => ({
    ref: archive.ref,
    id,
    built,
    inputs: archive.inputs,
    dockerHost: engine.dockerHost,
  })
  const current = await inspectImage(proc, engine, archive.ref)
  if (current?.labels[LABELS.inputs] === archive.inputs) return result(current.id, false)
  await loadImageArchive(proc, engine, archive.bytes)
  const loaded = await inspectImage(proc, engine, archive.ref)
  if (loaded?.labels[LABELS.inputs] !== archive.inputs)
    throw new ImageLoadMismatchError(archive.ref, engine.dockerHost)
  return result(loaded.id, true)
}
