/**
 * A registry stand-in for the bench hosts' dockerd (which treats the gateway as an insecure, plain HTTP
 * registry: tests/harness/layout.ts), speaking just enough of the registry API v2: `/v2/`, one tag's manifest
 * and its image config, then a layer request that is never answered. So the engine finds the image in its
 * registry (what cloud:up asks before the gate), and the pull that Terraform starts after the approval hangs
 * until it is cancelled: an interrupt or a kill lands mid-apply. Any other tag is 404 `manifest unknown`.
 */
import { createHash } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'

export interface StallingRegistry {
  /** `<gateway>:<port>/debug-server:slow`: found, and its pull hangs at the layer. */
  ref: string
  /** `<gateway>:<port>/debug-server:missing`: the registry answers 404. */
  missingRef: string
  close(): void
}

const digest = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`

/** Start it on `address` (the bench's gateway), on a free port. */
export function startStallingRegistry(address: string): Promise<StallingRegistry> {
  const layer = `sha256:${'0'.repeat(63)}1`
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Cmd: ['/bin/sh'] },
      rootfs: { type: 'layers', diff_ids: [layer] },
    }),
  )
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      config: {
        mediaType: 'application/vnd.docker.container.image.v1+json',
        size: config.length,
        digest: digest(config),
      },
      layers: [
        { mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: 1_048_576, digest: layer },
      ],
    }),
  )
  const held = new Set<Socket>()
  const send = (res: ServerResponse, status: number, type: string, body: Buffer, head: boolean) => {
    res.writeHead(status, {
      'Content-Type': type,
      'Content-Length': body.length,
      'Docker-Distribution-API-Version': 'registry/2.0',
      ...(status === 200 ? { 'Docker-Content-Digest': digest(body) } : {}),
    })
    res.end(head ? undefined : body)
  }
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? ''
    const head = req.method === 'HEAD'
    if (path === '/v2/' || path === '/v2') return send(res, 200, 'application/json', Buffer.from('{}'), head)
    // The engine asks for the tag, then for the manifest by the digest the tag resolved to.
    if (
      path === '/v2/debug-server/manifests/slow' ||
      path === `/v2/debug-server/manifests/${digest(manifest)}`
    )
      return send(res, 200, 'application/vnd.docker.distribution.manifest.v2+json', manifest, head)
    if (path === `/v2/debug-server/blobs/${digest(config)}`)
      return send(res, 200, 'application/octet-stream', config, head)
    if (path.startsWith('/v2/debug-server/blobs/')) {
      held.add(req.socket) // the layer: never answered
      return
    }
    const error = { errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] }
    return send(res, 404, 'application/json', Buffer.from(JSON.stringify(error)), head)
  }
  const server: Server = createServer(handle)
  return new Promise((resolve) => {
    server.listen(0, address, () => {
      const port = (server.address() as { port: number }).port
      resolve({
        ref: `${address}:${port}/debug-server:slow`,
        missingRef: `${address}:${port}/debug-server:missing`,
        close: () => {
          for (const socket of held) socket.destroy()
          server.close()
          server.closeAllConnections()
        },
      })
    })
  })
}
