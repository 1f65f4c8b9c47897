/**
 * sops's MAC: SHA-512 over the bytes of every non-null, non-comment leaf in document order (values
 * only, no keys, no separators), optionally only encrypted leaves; stored as uppercase hex, encrypted
 * with AAD = `lastmodified`.
 */
import { createHash, type Hash } from 'node:crypto'

/** SHA-256("sops"): what sops hashes first when `mac_only_encrypted` is set. */
const MAC_ONLY_ENCRYPTED_INIT = createHash('sha256').update('sops').digest()

/** Leaves are hashed in batches of about this many characters: one `update` per leaf costs more than its bytes. */
const BATCH = 65536
/**
 * A leaf with a UTF-16 surrogate is hashed on its own: a lone surrogate is encoded as U+FFFD, and two
 * lone halves in neighbouring leaves must not join into one character in a batch.
 */
const SURROGATE = /[\ud800-\udfff]/

/** A running MAC over leaves, fed in document order. */
export class MacBuilder {
  private readonly hash: Hash = createHash('sha512')
  private pending = ''

  constructor(private readonly macOnlyEncrypted: boolean) {
    if (macOnlyEncrypted) this.hash.update(MAC_ONLY_ENCRYPTED_INIT)
  }

  /** Add one leaf's Go text (`ToBytes`) unless the file only MACs encrypted leaves and this one is not. */
  add(goText: string, encrypted: boolean): void {
    if (this.macOnlyEncrypted && !encrypted) return
    if (SURROGATE.test(goText)) {
      this.hash.update(this.pending, 'utf8').update(goText, 'utf8')
      this.pending = ''
      return
    }
    this.pending += goText
    if (this.pending.length >= BATCH) {
      this.hash.update(this.pending, 'utf8')
      this.pending = ''
    }
  }

  /** The MAC as sops formats it (`%X`). */
  digest(): string {
    return this.hash.update(this.pending, 'utf8').digest('hex').toUpperCase()
  }
}
