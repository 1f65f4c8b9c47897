/**
 * The bench's debug server is the real reference image (lib/image): its `docker load` archive is written
 * once per bench, then loaded into each host's own dockerd through the host's socket.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { writeReferenceArchive } from '../../lib/image/build.ts'
import { loadImageArchive } from '../../lib/image/docker.ts'
import { referenceImageRef } from '../../lib/image/reference.ts'
import { realProc } from '../../lib/proc.ts'

/** Write the reference image archive into the bench directory; returns its path. */
export async function writeBenchImage(benchDir: string): Promise<string> {
  const path = join(benchDir, 'reference-server.tar')
  await writeReferenceArchive(realProc, path)
  return path
}

/** Load the archive into one host's dockerd (through its socket from the root namespace); returns the ref. */
export async function loadBenchImage(dockerSocket: string, archivePath: string): Promise<string> {
  await loadImageArchive(realProc, { dockerHost: `unix://${dockerSocket}` }, await readFile(archivePath))
  return referenceImageRef()
}
