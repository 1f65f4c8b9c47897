/**
 * The state-seal key derivation for a plaintext identity, against the vector that
 * lib/gate/agent/sealkey_test.go checks in Go; the sealed keys file's shape.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { computeSealMac, deriveSealKey, SEAL_LABEL } from '../../../lib/gate/agent/seal-key.ts'
import { isSealedKeysFile, sealKeysFile } from '../../../lib/sops/sealed-keys.ts'

// The identity is the Bech32 encoding of the bytes 0x00…0x1f (not a generated key); K and the MAC were
// computed with `openssl dgst -sha256 -mac HMAC -macopt hexkey:…` and checked with Python's hmac module.
const VECTOR = {
  identity: 'AGE-SECRET-KEY-1QQQSYQCYQ5RQWZQFPG9SCRGWPUGPZYSNZS23V9CCRYDPK8QARC0SWRYDWG',
  key: '58ebe5a1b1fb8fcb8888d58b341b091954c29dccd2e2b97c84a447fc8de9b196',
  message: 'debug-cloud test vector',
  mac: '4beb6ee09611c06ca7ba7b4c120a3be75981807db9ff19db982dbcf424f1f0aa',
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')

test('K and the MAC of the shared test vector', () => {
  assert.is(SEAL_LABEL, 'debug-cloud state seal v1')
  const key = deriveSealKey(VECTOR.identity)
  assert.is(hex(key), VECTOR.key)
  assert.is(hex(computeSealMac(key, new TextEncoder().encode(VECTOR.message))), VECTOR.mac)
  assert.is(
    hex(deriveSealKey(` ${VECTOR.identity.toLowerCase()}\n`)),
    VECTOR.key,
    'case and spaces do not matter',
  )
})

test('only X25519 identities have a seal key', () => {
  assert.throws(() => deriveSealKey('AGE-PLUGIN-YUBIKEY-1QQQQQQQQQQQQQQQQQQQQQQQ'))
  assert.throws(() => deriveSealKey('age13aqvttdk3ujkyjh9kg2w5an6dmy5mq5a84a4uxk3hfhnugfc9p0sy5p2wh'))
  assert.throws(() => deriveSealKey(VECTOR.identity.slice(0, -1)), /./, 'a broken checksum')
})

test('a sealed keys file is ASCII-armored age and recognised as sealed; plaintext is not', async () => {
  const sealed = await sealKeysFile([VECTOR.identity], 'a passphrase')
  assert.ok(sealed.startsWith('-----BEGIN AGE ENCRYPTED FILE-----\n'))
  assert.not.ok(sealed.includes(VECTOR.identity))
  assert.ok(isSealedKeysFile(sealed))
  assert.ok(isSealedKeysFile(new TextEncoder().encode('age-encryption.org/v1\n-> scrypt …')))
  assert.not.ok(isSealedKeysFile(`# created: 2026-01-01\n${VECTOR.identity}\n`))
  const empty = await sealKeysFile([VECTOR.identity], '').then(
    () => 'sealed',
    (error: Error) => error.message,
  )
  assert.match(empty, /empty passphrase/)
})

test.run()
