/**
 * The stand-in debug server: a root filesystem made of Debian's static busybox, whose httpd answers
 * `GET /healthz` with 200 `ok` and logs one line per request (`<client>: response:<code>`) to stdout.
 * Built once per bench as a tar, then `docker import`ed into each host's own dockerd.
 */
import { copyFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { STANDIN_IMAGE, STANDIN_PORT } from './layout.ts'
import { mustRun } from './system.ts'

const BUSYBOX = '/bin/busybox'

/** The entrypoint: PID 1 is a shell that traps TERM, so `docker stop` is immediate. */
export function buildEntrypoint(): string {
  return [
    '#!/bin/sh',
    "trap 'kill $pid 2>/dev/null; exit 0' TERM INT",
    `httpd -f -v -p "\${PORT:-${STANDIN_PORT}}" -h /www 2>&1 &`,
    'pid=$!',
    'wait $pid',
    '',
  ].join('\n')
}

/** Build the image's root filesystem tar in `dir`; returns the tar path. */
export async function buildStandInTar(dir: string): Promise<string> {
  const rootfs = join(dir, 'rootfs')
  for (const sub of ['bin', 'www', 'tmp']) mkdirSync(join(rootfs, sub), { recursive: true })
  copyFileSync(BUSYBOX, join(rootfs, 'bin', 'busybox'))
  for (const applet of ['sh', 'httpd', 'kill', 'wget', 'cat', 'ls'])
    symlinkSync('busybox', join(rootfs, 'bin', applet))
  writeFileSync(join(rootfs, 'www', 'healthz'), 'ok')
  writeFileSync(join(rootfs, 'entrypoint.sh'), buildEntrypoint(), { mode: 0o755 })
  const tar = join(dir, 'standin.tar')
  await mustRun(['tar', '-C', rootfs, '--numeric-owner', '--owner=0', '--group=0', '-cf', tar, '.'])
  return tar
}

/** Import the stand-in image into one dockerd (reached through its socket from the root namespace). */
export async function importStandIn(dockerSocket: string, tar: string): Promise<string> {
  await mustRun([
    'docker',
    '-H',
    `unix://${dockerSocket}`,
    'import',
    '--change',
    'CMD ["/bin/sh", "/entrypoint.sh"]',
    '--change',
    `EXPOSE ${STANDIN_PORT}/tcp`,
    '--change',
    `ENV PORT=${STANDIN_PORT}`,
    tar,
    STANDIN_IMAGE,
  ])
  return STANDIN_IMAGE
}
