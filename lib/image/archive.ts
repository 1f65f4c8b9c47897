/**
 * The reference image as a `docker load` archive, assembled in memory: one layer (busybox, its applet links,
 * the two server scripts, /etc/passwd, /tmp), the image config and manifest.json. Every byte is a function of
 * the inputs, so the same busybox and scripts give the same archive, config digest and image id.
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { BusyboxPackage } from './busybox.ts'
import { ociPlatform } from './busybox.ts'
import {
  CONTRACT_VERSION,
  LABELS,
  projectVersion,
  REFERENCE_SERVER_PORT,
  referenceImageRef,
} from './reference.ts'
import { type TarEntry, writeTar } from './tar.ts'

/** Applets linked in /bin: what the scripts use, plus enough to look around with `docker exec`. */
const APPLETS = [
  'sh',
  'nc',
  'sha256sum',
  'head',
  'wget',
  'cat',
  'echo',
  'env',
  'id',
  'kill',
  'ls',
  'ps',
  'sleep',
]
/** Reproducible builds conventionally date everything at the epoch. */
const EPOCH = '1970-01-01T00:00:00Z'
/** The server runs as nobody: it needs no privilege (port 8080, no writes). */
const USER = '65534:65534'

export interface ReferenceArchive {
  ref: string
  /** The `docker load` archive. */
  bytes: Buffer
  /** `sha256:…` of the config: the image id on an engine with the classic image store. */
  configDigest: string
  /** The value of the inputs label. */
  inputs: string
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex')

/** The server scripts as shipped in /srv (read from lib/image/server/). */
export function readServerScripts(): { entrypoint: Buffer; handler: Buffer } {
  const read = (name: string) => readFileSync(new URL(`./server/${name}`, import.meta.url))
  return { entrypoint: read('entrypoint.sh'), handler: read('handle.sh') }
}

function buildLayer(busybox: Buffer, scripts: { entrypoint: Buffer; handler: Buffer }): Buffer {
  const text = (value: string) => Buffer.from(value, 'utf8')
  const entries: TarEntry[] = [
    { type: 'dir', path: 'bin', mode: 0o755 },
    { type: 'file', path: 'bin/busybox', mode: 0o755, content: busybox },
    ...APPLETS.map((name): TarEntry => ({ type: 'symlink', path: `bin/${name}`, target: 'busybox' })),
    { type: 'dir', path: 'etc', mode: 0o755 },
    {
      type: 'file',
      path: 'etc/group',
      mode: 0o644,
      content: text('root:x:0:\nnogroup:x:65534:\n'),
    },
    {
      type: 'file',
      path: 'etc/passwd',
      mode: 0o644,
      content: text('root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n'),
    },
    { type: 'dir', path: 'srv', mode: 0o755 },
    { type: 'file', path: 'srv/entrypoint.sh', mode: 0o755, content: scripts.entrypoint },
    { type: 'file', path: 'srv/handle.sh', mode: 0o755, content: scripts.handler },
    { type: 'dir', path: 'tmp', mode: 0o1777 },
  ]
  return writeTar(entries)
}

function buildConfig(busybox: BusyboxPackage, diffId: string, labels: Record<string, string>) {
  const version = projectVersion()
  return {
    ...ociPlatform(busybox.architecture),
    os: 'linux',
    created: EPOCH,
    config: {
      User: USER,
      Env: ['PATH=/bin', `PORT=${REFERENCE_SERVER_PORT}`, `REFERENCE_SERVER_VERSION=${version}`],
      Cmd: ['/bin/sh', '/srv/entrypoint.sh'],
      WorkingDir: '/',
      ExposedPorts: { [`${REFERENCE_SERVER_PORT}/tcp`]: {} },
      Labels: labels,
    },
    rootfs: { type: 'layers', diff_ids: [`sha256:${diffId}`] },
    history: [
      {
        created: EPOCH,
        created_by: `npm run image:reference (debug-cloud ${version}, busybox-static ${busybox.version})`,
      },
    ],
  }
}

/** Assemble the reference image archive from the busybox package and the server scripts. */
export function buildReferenceArchive(
  busybox: BusyboxPackage,
  scripts: { entrypoint: Buffer; handler: Buffer },
): ReferenceArchive {
  const layer = buildLayer(busybox.binary, scripts)
  const diffId = sha256(layer)
  const version = projectVersion()
  const labels: Record<string, string> = {
    [LABELS.busybox]: busybox.version,
    [LABELS.contract]: CONTRACT_VERSION,
    [LABELS.reference]: version,
    [LABELS.description]:
      'Reference debug server: /healthz, and /api and /runner behind their bearer tokens.',
    [LABELS.title]: 'debug-cloud reference server',
    [LABELS.version]: version,
  }
  // The inputs digest covers the layer (through its diff id) and every config field but itself.
  const inputs = `sha256:${sha256(JSON.stringify(buildConfig(busybox, diffId, labels)))}`
  const config = Buffer.from(
    JSON.stringify(buildConfig(busybox, diffId, { ...labels, [LABELS.inputs]: inputs })),
  )
  const configHex = sha256(config)
  const ref = referenceImageRef()
  const manifest = [{ Config: `${configHex}.json`, RepoTags: [ref], Layers: [`${diffId}/layer.tar`] }]
  const bytes = writeTar([
    { type: 'file', path: 'manifest.json', mode: 0o644, content: Buffer.from(JSON.stringify(manifest)) },
    { type: 'file', path: `${configHex}.json`, mode: 0o644, content: config },
    { type: 'dir', path: diffId, mode: 0o755 },
    { type: 'file', path: `${diffId}/layer.tar`, mode: 0o644, content: layer },
  ])
  return {
    ref,
    bytes,
    configDigest: `sha256:${configHex}`,
    inputs,
  }
}
