package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"strings"

	"filippo.io/age"
)

// sealLabel is the message of the seal-key derivation; lib/gate/agent/seal-key.ts uses the same.
const sealLabel = "debug-cloud state seal v1"

// deriveSealKey is K = HMAC-SHA256(key = the identity's 32-byte X25519 secret, message = sealLabel):
// a key only a holder of the identity can compute, for MACs over what the operator wrote.
func deriveSealKey(secret []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(sealLabel))
	return h.Sum(nil)
}

// sealMac is HMAC-SHA256(K, data).
func sealMac(key, data []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(data)
	return h.Sum(nil)
}

const bech32Charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

// x25519Secret is the 32-byte scalar of an identity, decoded from its Bech32 string (age keeps the
// scalar unexported). The string was validated, checksum included, when age parsed it.
func x25519Secret(id *age.X25519Identity) ([]byte, error) {
	s := strings.ToLower(id.String())
	sep := strings.LastIndexByte(s, '1')
	if sep < 0 || len(s)-sep-1 < 6 {
		return nil, errors.New("not a Bech32 string")
	}
	data := s[sep+1 : len(s)-6] // the last six characters are the checksum
	out := make([]byte, 0, 32)
	var acc, bits uint
	for i := 0; i < len(data); i++ {
		v := strings.IndexByte(bech32Charset, data[i])
		if v < 0 {
			return nil, errors.New("not a Bech32 string")
		}
		acc = acc<<5 | uint(v)
		bits += 5
		if bits >= 8 {
			bits -= 8
			out = append(out, byte(acc>>bits))
			acc &= 1<<bits - 1
		}
	}
	if len(out) != 32 {
		return nil, errors.New("the identity is not 32 bytes long")
	}
	return out, nil
}
