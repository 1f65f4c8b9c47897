/**
 * A minimal ustar writer for image layers and `docker load` archives. Reproducible by construction: the
 * bytes depend only on the entries given (mtime 0, uid/gid 0, no user names, no pax headers), never on the
 * file system, the umask or the tar version installed.
 */

export type TarEntry =
  | { type: 'dir'; path: string; mode: number }
  | { type: 'file'; path: string; mode: number; content: Buffer }
  | { type: 'symlink'; path: string; target: string }

const BLOCK = 512
const TYPE_FLAG = { file: '0', symlink: '2', dir: '5' } as const

/** A tar entry name or link target does not fit the ustar header (100 bytes, no prefix split). */
export class TarNameError extends Error {
  constructor(readonly entryName: string) {
    super(`Tar entry name "${entryName}" is longer than 100 bytes.`)
    this.name = 'TarNameError'
  }
}

function putString(header: Buffer, offset: number, length: number, value: string): void {
  const bytes = Buffer.from(value, 'utf8')
  if (bytes.length > length) throw new TarNameError(value)
  bytes.copy(header, offset)
}

function putOctal(header: Buffer, offset: number, length: number, value: number): void {
  header.write(`${value.toString(8).padStart(length - 1, '0')}\0`, offset, 'ascii')
}

function buildHeader(entry: TarEntry, size: number): Buffer {
  const header = Buffer.alloc(BLOCK)
  putString(header, 0, 100, entry.type === 'dir' ? `${entry.path}/` : entry.path)
  putOctal(header, 100, 8, entry.type === 'symlink' ? 0o777 : entry.mode)
  putOctal(header, 108, 8, 0)
  putOctal(header, 116, 8, 0)
  putOctal(header, 124, 12, size)
  putOctal(header, 136, 12, 0)
  header.write(TYPE_FLAG[entry.type], 156, 'ascii')
  if (entry.type === 'symlink') putString(header, 157, 100, entry.target)
  header.write('ustar\u000000', 257, 'ascii')
  // The checksum is the byte sum of the header with its own field read as eight spaces.
  header.fill(' ', 148, 156)
  let sum = 0
  for (const byte of header) sum += byte
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii')
  return header
}

/** The tar archive of `entries`, in the order given, ended by two zero blocks. */
export function writeTar(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = []
  for (const entry of entries) {
    const content = entry.type === 'file' ? entry.content : Buffer.alloc(0)
    parts.push(buildHeader(entry, content.length), content)
    const padding = (BLOCK - (content.length % BLOCK)) % BLOCK
    if (padding > 0) parts.push(Buffer.alloc(padding))
  }
  parts.push(Buffer.alloc(2 * BLOCK))
  return Buffer.concat(parts)
}
