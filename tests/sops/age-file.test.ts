/**
 * The age file reader on node:crypto (lib/sops/age-file.ts) against age-encryption (typage) as the reference:
 * the same recipients, files typage wrote open to the same bytes, and every damage is refused.
 */
import {
  armor,
  Encrypter,
  generateHybridIdentity,
  generateX25519Identity,
  identityToRecipient,
} from 'age-encryption'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { decodeArmor, openAgeFile, x25519Recipient } from '../../lib/sops/age-file.ts'

async function wrapFor(recipients: string[], data: Uint8Array): Promise<Uint8Array> {
  const encrypter = new Encrypter()
  for (const r of recipients) encrypter.addRecipient(r)
  return encrypter.encrypt(data)
}

async function rejection(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    return (error as Error).message
  }
  assert.unreachable('expected a rejection')
  return ''
}

test('the recipient of an identity is the one age-encryption derives; a bad checksum is refused', async () => {
  for (let i = 0; i < 5; i++) {
    const identity = await generateX25519Identity()
    assert.is(x25519Recipient(identity), await identityToRecipient(identity))
  }
  const identity = await generateX25519Identity()
  const broken = `${identity.slice(0, -1)}${identity.endsWith('Q') ? 'P' : 'Q'}`
  assert.throws(() => x25519Recipient(broken))
})

test('a file age-encryption wrote (armored, two recipients) opens with either identity to the same bytes', async () => {
  const [a, b] = [await generateX25519Identity(), await generateX25519Identity()]
  const data = new Uint8Array(32).map((_, i) => i * 7)
  const file = decodeArmor(armor.encode(await wrapFor([x25519Recipient(a), x25519Recipient(b)], data)))
  assert.equal([...(await openAgeFile(file, [a]))], [...data])
  assert.equal([...(await openAgeFile(file, [b]))], [...data])
})

test('a wrong identity, a changed header, MAC or payload are refused', async () => {
  const [a, other] = [await generateX25519Identity(), await generateX25519Identity()]
  const file = await wrapFor([x25519Recipient(a)], new Uint8Array(32).fill(9))
  assert.match(
    await rejection(openAgeFile(file, [other])),
    "no identity matched any of the file's recipients",
  )
  const text = Buffer.from(file).toString('latin1')
  const macAt = text.indexOf('\n--- ') + 5
  const flip = (at: number) => {
    const copy = new Uint8Array(file)
    copy[at] = copy[at]! ^ 1
    return copy
  }
  // The first stanza argument (the ephemeral share) changed: no stanza unwraps any more.
  assert.ok((await rejection(openAgeFile(flip(text.indexOf('X25519 ') + 8), [a]))).length > 0)
  // Another base64 letter in the MAC: a flipped bit could make one that is no base64 (`A` to `@`), which is
  // refused as malformed, not as a wrong MAC (one run in eleven, by the letter the random key gave).
  const otherMac = new Uint8Array(file)
  otherMac[macAt + 2] = otherMac[macAt + 2] === 0x41 ? 0x42 : 0x41
  assert.match(await rejection(openAgeFile(otherMac, [a])), 'invalid header HMAC')
  assert.ok((await rejection(openAgeFile(flip(file.length - 1), [a]))).length > 0, 'payload tag')
  assert.throws(() => decodeArmor('not armor'), /not an armored age file/)
})

test('a post-quantum identity before the right X25519 one is skipped; a file only it opens goes to age-encryption', async () => {
  const pq = await generateHybridIdentity()
  const x = await generateX25519Identity()
  const data = new Uint8Array(Buffer.from('the data key, 32 bytes long.....'))
  const forX = new Encrypter()
  forX.addRecipient(await identityToRecipient(x))
  assert.equal(Buffer.from(await openAgeFile(await forX.encrypt(data), [pq, x])), Buffer.from(data))
  const forPq = new Encrypter()
  forPq.addRecipient(await identityToRecipient(pq))
  assert.equal(Buffer.from(await openAgeFile(await forPq.encrypt(data), [x, pq])), Buffer.from(data))
})

test.run()
