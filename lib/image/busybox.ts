/**
 * The one input taken from the machine: the static busybox binary of the installed Debian package
 * busybox-static (its shell, nc, sha256sum and wget are the whole server).
 */
import { readFile } from 'node:fs/promises'
import { ToolMissingError } from '../errors.ts'
import { buildChildEnv, type Proc } from '../proc.ts'

const BUSYBOX_PACKAGE = 'busybox-static'

export interface BusyboxPackage {
  /** The Debian package version, e.g. `1:1.35.0-4+deb12u1+b1`. */
  version: string
  /** The Debian architecture, e.g. `amd64`. */
  architecture: string
  binary: Buffer
}

/** Debian architecture names → OCI `architecture` (and `variant`) of the image config. */
const OCI_PLATFORM: Record<string, { architecture: string; variant?: string }> = {
  amd64: { architecture: 'amd64' },
  arm64: { architecture: 'arm64', variant: 'v8' },
  armhf: { architecture: 'arm', variant: 'v7' },
  armel: { architecture: 'arm', variant: 'v5' },
  i386: { architecture: '386' },
  ppc64el: { architecture: 'ppc64le' },
  riscv64: { architecture: 'riscv64' },
  s390x: { architecture: 's390x' },
}

/** The OCI platform of a Debian architecture. */
export function ociPlatform(debianArchitecture: string): { architecture: string; variant?: string } {
  const platform = OCI_PLATFORM[debianArchitecture]
  if (!platform)
    throw new BusyboxMissingError(`Debian architecture ${debianArchitecture} has no OCI name here.`)
  return platform
}

/** busybox-static is not installed (or not usable), so the reference image cannot be built. */
export class BusyboxMissingError extends ToolMissingError {
  constructor(readonly reason: string) {
    super(
      BUSYBOX_PACKAGE,
      `The reference image is built from the Debian package ${BUSYBOX_PACKAGE}: ${reason}`,
      `Install it: sudo apt-get install ${BUSYBOX_PACKAGE} (then run the command again).`,
    )
  }
}

/** Read the installed busybox-static package: version, architecture and binary (dpkg-query, then the file). */
export async function readBusyboxPackage(proc: Proc): Promise<BusyboxPackage> {
  const env = buildChildEnv()
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own field syntax, not a JS template
  const format = '${db:Status-Status}\t${Version}\t${Architecture}'
  const query = await proc.run(['dpkg-query', '-W', '-f', format, BUSYBOX_PACKAGE], { env })
  const [status, version, architecture] = query.stdout.trim().split('\t')
  if (query.exitCode !== 0 || status !== 'installed' || !version || !architecture)
    throw new BusyboxMissingError(`dpkg-query reports it as ${status || 'not installed'}.`)
  const files = await proc.run(['dpkg-query', '-L', BUSYBOX_PACKAGE], { env })
  const path = files.stdout.split('\n').find((line) => /\/bin\/busybox$/.test(line.trim()))
  if (!path) throw new BusyboxMissingError('the package lists no bin/busybox.')
  const binary = await readFile(path.trim()).catch((error: unknown) => {
    throw new BusyboxMissingError(`${path.trim()} cannot be read (${(error as Error).message}).`)
  })
  return { version, architecture, binary }
}
