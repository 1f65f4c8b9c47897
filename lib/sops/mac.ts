/**
 * sops's MAC: SHA-512 over the bytes of every non-null, non-comment leaf in document order (values
 * only, no keys, no separators), optionally only encrypted leaves; stored as uppercase hex, encrypted
 * with AAD = `lastmodified`.
 */
import { createHash, type Hash } from 'node:crypto'

/** SHA-256("sops"): what sops hashes first when `mac_only_encrypted` is set. */
const MAC_ONLY_ENCRYPTED_INIT = createHash('sha256').update('sops').digest()

/** A running MAC over leaves, fed in document order. */
export class MacBuilder {
  private readonly hash: Hash = createHash('sha512')

  constructor(private readonly macOnlyEncrypted: boolean) {
    if (macOnlyEncrypted) this.hash.update(MAC_ONLY_ENCRYPTED_INIT)
  }

  /** Add one leaf's Go text (`ToBytes`) unless the file only MACs encrypted leaves and this one is not. */
  add(goText: string, encrypted: boolean): void {
    if (this.macOnlyEncrypted && !encrypted) return
    this.hash.update(goText, 'utf8')
  }

  /** The MAC as sops formats it (`%X`). */
  digest(): string {
    return this.hash.digest('hex').toUpperCase()
  }
}
