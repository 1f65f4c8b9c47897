/**
 * `npm run image:reference`: build the reference debug server image offline from busybox-static and load it
 * into a Docker engine (a no-op when the engine already has the same image), or write it as an archive.
 */
import { runMain } from '../lib/cli/main.ts'
import { UsageError } from '../lib/errors.ts'
import { DEFAULT_LOCAL_DOCKER_HOST } from '../lib/flows/targets.ts'
import { referenceImageRef } from '../lib/image/reference.ts'

const spec = {
  name: 'npm run image:reference --',
  summary: `Build the reference debug server image ${referenceImageRef()} from busybox-static, offline.`,
  flags: {
    'docker-host': {
      type: 'string',
      description: `Docker engine to load it into (default ${DEFAULT_LOCAL_DOCKER_HOST}; ssh://user@host uses your ssh config).`,
      placeholder: 'url',
    },
    archive: {
      type: 'string',
      description: 'Write the image as a `docker load` archive to this file instead (no engine needed).',
      placeholder: 'path',
    },
  },
  details: [
    'Needs the Debian package busybox-static. Nothing is downloaded; the same inputs give the same image, and a',
    'run that would change nothing loads nothing. What the server answers: docs/spec.md#the-debug-server-contract.',
  ].join('\n'),
  exitCodes: [
    'ok',
    ['failure', 'a docker command failed'],
    ['hostNotReady', 'no Docker engine answers on the socket'],
    'usage',
    ['toolMissing', 'busybox-static missing'],
  ],
} as const

await runMain(spec, async ({ flags, positionals, out }) => {
  if (positionals.length > 0) throw new UsageError(`Unexpected argument "${positionals[0]}".`)
  const { buildReferenceImage, writeReferenceArchive } = await import('../lib/image/build.ts')
  const { realProc } = await import('../lib/proc.ts')
  const started = performance.now()
  const seconds = () => ((performance.now() - started) / 1000).toFixed(1)
  if (flags.archive !== undefined) {
    if (flags['docker-host'] !== undefined) throw new UsageError('Give either --archive or --docker-host.')
    const archive = await writeReferenceArchive(realProc, flags.archive)
    if (flags.json)
      out.emitJson({ ok: true, ref: archive.ref, archive: flags.archive, inputs: archive.inputs })
    else
      out.data(
        `Wrote ${archive.ref} to ${flags.archive} in ${seconds()} s; load it with \`docker load -i ${flags.archive}\`.`,
      )
    return 0
  }
  const result = await buildReferenceImage({
    proc: realProc,
    engine: { dockerHost: flags['docker-host'] ?? DEFAULT_LOCAL_DOCKER_HOST },
  })
  if (flags.json) {
    out.emitJson({ ok: true, ...result })
    return 0
  }
  out.data(
    result.built
      ? `Built ${result.ref} (${result.id}) on ${result.dockerHost} in ${seconds()} s.`
      : `${result.ref} (${result.id}) is up to date on ${result.dockerHost}: nothing to do.`,
  )
  out.info(`Run it: npm run cloud:up -- --provider local --image ${result.ref}`)
  return 0
})
