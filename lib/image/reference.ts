/**
 * What names and marks the reference debug server image: its reference, port and labels. The contract any
 * debug-server image must meet is in docs/spec.md#the-debug-server-contract.
 */
import { readFileSync } from 'node:fs'

/**
 * The repository of the reference image. `localhost/` makes the engine treat it as a local registry name:
 * a missing image can never be pulled from Docker Hub under this name (where anyone could publish one).
 */
const REFERENCE_REPOSITORY = 'localhost/debug-cloud/reference-server'
/** The port the reference server listens on (the launcher's default `--ports 127.0.0.1:8080:8080`). */
export const REFERENCE_SERVER_PORT = 8080
/** The version of the debug-server contract (docs/spec.md) the image implements. */
export const CONTRACT_VERSION = '1'

/** The labels of the reference image, by purpose. */
export const LABELS = {
  /** Contract version; any image may carry it to say it implements the contract. */
  contract: 'debug-cloud.contract',
  /** The project version that built it: marks the reference server itself. */
  reference: 'debug-cloud.reference-server',
  /** SHA-256 of everything the image is made of: equal means a rebuild would change nothing. */
  inputs: 'debug-cloud.inputs',
  /** The Debian busybox-static version its binary comes from. */
  busybox: 'debug-cloud.busybox',
  title: 'org.opencontainers.image.title',
  version: 'org.opencontainers.image.version',
  description: 'org.opencontainers.image.description',
} as const

let version: string | undefined

/** The project version from package.json (the image's tag). */
export function projectVersion(): string {
  version ??= (
    JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string
    }
  ).version
  return version
}

/** The reference image's reference: `localhost/debug-cloud/reference-server:<project version>`. */
export function referenceImageRef(): string {
  return `${REFERENCE_REPOSITORY}:${projectVersion()}`
}

/** True when an image's labels say it is the reference server of this project version. */
export function isReferenceImage(labels: Readonly<Record<string, string>>): boolean {
  return labels[LABELS.reference] === projectVersion() && labels[LABELS.contract] === CONTRACT_VERSION
}
