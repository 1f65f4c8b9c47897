package main

import (
	"errors"
	"fmt"

	"filippo.io/age"
)

const maxStanzas = 64

// keyring is the opened identities and what is derived from them; it lives only in this process.
type keyring struct {
	identities []age.Identity
	recips     []string
	// macKeys maps the recipient of each X25519 identity to its state-seal key (sealkey.go).
	macKeys map[string][]byte
}

func newKeyring(ids []age.Identity) (*keyring, error) {
	k := &keyring{identities: ids, macKeys: map[string][]byte{}}
	for _, id := range ids {
		switch id := id.(type) {
		case *age.X25519Identity:
			secret, err := x25519Secret(id)
			if err != nil {
				return nil, startErr("bad-keys-file", "an identity of the keys file cannot be decoded")
			}
			recipient := id.Recipient().String()
			k.macKeys[recipient] = deriveSealKey(secret)
			wipe(secret)
			k.recips = append(k.recips, recipient)
		case *age.HybridIdentity:
			k.recips = append(k.recips, id.Recipient().String())
		default:
			return nil, startErr("bad-keys-file", "the keys file holds an identity of a kind the agent does not know")
		}
	}
	return k, nil
}

func (k *keyring) recipients() []string {
	return append([]string(nil), k.recips...)
}

// wireStanza is a stanza as age-encryption (typage) shapes it: args[0] is the stanza type.
type wireStanza struct {
	Args []string `json:"args"`
	Body []byte   `json:"body"`
}

// unwrap returns the file key from a file's header stanzas, nil when no identity matches, or an error
// when a stanza meant for one of the identities is malformed (age's Identity contract).
func (k *keyring) unwrap(wire []wireStanza) ([]byte, error) {
	if len(wire) == 0 || len(wire) > maxStanzas {
		return nil, fmt.Errorf("a header has 1 to %d stanzas, not %d", maxStanzas, len(wire))
	}
	stanzas := make([]*age.Stanza, 0, len(wire))
	for _, s := range wire {
		if len(s.Args) == 0 {
			return nil, errors.New("a stanza has no type")
		}
		stanzas = append(stanzas, &age.Stanza{Type: s.Args[0], Args: s.Args[1:], Body: s.Body})
	}
	for _, id := range k.identities {
		key, err := id.Unwrap(stanzas)
		if errors.Is(err, age.ErrIncorrectIdentity) {
			continue
		}
		return key, err
	}
	return nil, nil
}

// mac is HMAC-SHA256 of data under the seal key of the X25519 identity of `recipient`.
func (k *keyring) mac(recipient string, data []byte) ([]byte, bool) {
	key, ok := k.macKeys[recipient]
	if !ok {
		return nil, false
	}
	return sealMac(key, data), true
}

// wipe zeroes the derived keys. The identities' own copies are age's and die with the process.
func (k *keyring) wipe() {
	for _, key := range k.macKeys {
		wipe(key)
	}
}
