/**
 * The redactor's forms of a secret (expected texts worked out by hand from RFC 4648 and RFC 3986, not by
 * the code under test) and the control-sequence filter for Terraform's text.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { generateHostKey } from '../../lib/infra/host-key.ts'
import { REDACTED, Redactor } from '../../lib/terraform/redact.ts'
import { stripControl } from '../../lib/terraform/sanitize.ts'

// 33 bytes whose base64 has both "+" and "/" (base64url: "-" and "_").
const SECRET = 'tok??>>~secret~~value?>0123456789'

test('base64 and base64url: standalone, and inside a longer encoded text at each byte alignment', () => {
  const r = new Redactor().add(SECRET)
  assert.is(r.redact('b64=dG9rPz8+Pn5zZWNyZXR+fnZhbHVlPz4wMTIzNDU2Nzg5 end'), `b64=${REDACTED} end`)
  assert.is(r.redact('url=dG9rPz8-Pn5zZWNyZXR-fnZhbHVlPz4wMTIzNDU2Nzg5 end'), `url=${REDACTED} end`)
  // base64 of SECRET + "!tail", of "x" + SECRET + "!tail" and of "xy" + SECRET + "!tail":
  assert.is(r.redact('dG9rPz8+Pn5zZWNyZXR+fnZhbHVlPz4wMTIzNDU2Nzg5IXRhaWw='), `${REDACTED}IXRhaWw=`)
  assert.is(r.redact('eHRvaz8/Pj5+c2VjcmV0fn52YWx1ZT8+MDEyMzQ1Njc4OSF0YWls'), `eHRv${REDACTED}OSF0YWls`)
  assert.is(
    r.redact('eHl0b2s/Pz4+fnNlY3JldH5+dmFsdWU/PjAxMjM0NTY3ODkhdGFpbA=='),
    `eHl0${REDACTED}ODkhdGFpbA==`,
  )
  assert.is(r.redact('eHRvaz8_Pj5-c2VjcmV0fn52YWx1ZT8-MDEyMzQ1Njc4OSF0YWls'), `eHRv${REDACTED}OSF0YWls`)
})

test('URL-encoded forms: percent-encoding and form encoding', () => {
  const secret = 'tok en/with?&=~chars-0123456789'
  const r = new Redactor().add(secret)
  assert.is(r.redact('GET /x?t=tok%20en%2Fwith%3F%26%3D~chars-0123456789&a=1'), `GET /x?t=${REDACTED}&a=1`)
  assert.is(r.redact('body: t=tok+en%2Fwith%3F%26%3D%7Echars-0123456789'), `body: t=${REDACTED}`)
})

test('every line of a PEM body, however short, and the body unwrapped; short lines elsewhere are structure', () => {
  // A 30-character comment makes the body's last line 6 characters long.
  const key = generateHostKey('short-last-line-comment-000030').privateKey
  const body = key.trim().split('\n').slice(1, -1)
  const last = body.at(-1)!
  assert.ok(last.length < 8, `the last line of the body is a short one: ${last}`)
  const r = new Redactor().add(key, 'config:\n  a: 1\n}\nrunner-token-line-0123\n')
  assert.is(r.redact(`only the tail: ${last}.`), `only the tail: ${REDACTED}.`)
  assert.is(r.redact(`unwrapped ${body.join('')}`), `unwrapped ${REDACTED}`)
  for (const line of body) assert.not.ok(r.redact(`x ${line} y`).includes(line))
  assert.is(r.redact('  a: 1 and } stay'), '  a: 1 and } stay')
  assert.is(r.redact('runner-token-line-0123'), REDACTED)
  // The same key embedded, indented, in a YAML document (user data) is found line by line too.
  const userData = `ssh_keys:\n  ed25519_private: |\n${key
    .trim()
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n')}\n`
  assert.is(new Redactor().add(userData).redact(`tail ${last}`), `tail ${REDACTED}`)
})

test('control sequences are stripped from Terraform text; tabs and newlines stay', () => {
  const text =
    'Error: \x1b[31mred\x1b[0m \x1b]0;owned title\x07 \x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\ \x1b[2J\x1b[H\rover\x08\x00 \x9b31m8bit\tcol\nnext\x7f \x1bc'
  assert.is(stripControl(text), 'Error: red  link over 31m8bit\tcol\nnext ')
})

test.run()
