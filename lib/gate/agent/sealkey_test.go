package main

import (
	"encoding/hex"
	"testing"

	"filippo.io/age"
)

// The vector shared with tests/gate/agent/seal-key.test.ts. The identity is the Bech32 encoding of the bytes
// 0x00…0x1f (not a generated key); K and the MAC were computed with
// `openssl dgst -sha256 -mac HMAC -macopt hexkey:…` and checked with Python's hmac module.
const (
	vectorIdentity  = "AGE-SECRET-KEY-1QQQSYQCYQ5RQWZQFPG9SCRGWPUGPZYSNZS23V9CCRYDPK8QARC0SWRYDWG"
	vectorRecipient = "age13aqvttdk3ujkyjh9kg2w5an6dmy5mq5a84a4uxk3hfhnugfc9p0sy5p2wh"
	vectorKey       = "58ebe5a1b1fb8fcb8888d58b341b091954c29dccd2e2b97c84a447fc8de9b196"
	vectorMessage   = "debug-cloud test vector"
	vectorMac       = "4beb6ee09611c06ca7ba7b4c120a3be75981807db9ff19db982dbcf424f1f0aa"
)

func TestSealKeyVector(t *testing.T) {
	id, err := age.ParseX25519Identity(vectorIdentity)
	if err != nil {
		t.Fatal(err)
	}
	secret, err := x25519Secret(id)
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(secret); got != "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f" {
		t.Fatalf("secret decoded as %s", got)
	}
	key := deriveSealKey(secret)
	if got := hex.EncodeToString(key); got != vectorKey {
		t.Fatalf("K = %s, want %s", got, vectorKey)
	}
	if got := hex.EncodeToString(sealMac(key, []byte(vectorMessage))); got != vectorMac {
		t.Fatalf("MAC = %s, want %s", got, vectorMac)
	}
}

func TestKeyringMacByRecipient(t *testing.T) {
	id, _ := age.ParseX25519Identity(vectorIdentity)
	k, err := newKeyring([]age.Identity{id})
	if err != nil {
		t.Fatal(err)
	}
	if got := k.recipients(); len(got) != 1 || got[0] != vectorRecipient {
		t.Fatalf("recipients = %v", got)
	}
	mac, ok := k.mac(vectorRecipient, []byte(vectorMessage))
	if !ok || hex.EncodeToString(mac) != vectorMac {
		t.Fatalf("mac = %x, %v", mac, ok)
	}
	if _, ok := k.mac("age1someoneelse", []byte(vectorMessage)); ok {
		t.Fatal("a MAC for a recipient the agent does not hold")
	}
}
