package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"filippo.io/age"
	"filippo.io/age/armor"
)

const testPassphrase = "correct horse battery staple"

// seal writes `content` encrypted to `recipient` as a keys file (mode 0600) and returns its path.
func seal(t *testing.T, recipient age.Recipient, content string, armored bool) string {
	t.Helper()
	var buf bytes.Buffer
	var dst io.Writer = &buf
	var armorer io.WriteCloser
	if armored {
		armorer = armor.NewWriter(&buf)
		dst = armorer
	}
	enc, err := age.Encrypt(dst, recipient)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(enc, content)
	enc.Close()
	if armorer != nil {
		armorer.Close()
	}
	path := filepath.Join(t.TempDir(), "keys.txt")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func scryptRecipient(t *testing.T, pass string) age.Recipient {
	t.Helper()
	r, err := age.NewScryptRecipient(pass)
	if err != nil {
		t.Fatal(err)
	}
	r.SetWorkFactor(10) // fast for tests; the pty tests use age's own default via the real binaries
	return r
}

func codeOf(err error) string {
	var se *startError
	if errors.As(err, &se) {
		return se.code
	}
	return ""
}

func TestUnsealBinaryAndArmored(t *testing.T) {
	for _, armored := range []bool{false, true} {
		path := seal(t, scryptRecipient(t, testPassphrase), "# a comment\n\n"+vectorIdentity+"\n", armored)
		keys, err := unseal(path, []byte(testPassphrase))
		if err != nil {
			t.Fatalf("armored=%v: %v", armored, err)
		}
		if got := keys.recipients(); len(got) != 1 || got[0] != vectorRecipient {
			t.Fatalf("armored=%v: recipients %v", armored, got)
		}
	}
}

func TestUnsealRefusals(t *testing.T) {
	good := seal(t, scryptRecipient(t, testPassphrase), vectorIdentity+"\n", true)
	if _, err := unseal(good, []byte("wrong")); codeOf(err) != "wrong-passphrase" {
		t.Fatalf("wrong passphrase: %v", err)
	}

	plain := filepath.Join(t.TempDir(), "keys.txt")
	os.WriteFile(plain, []byte(vectorIdentity+"\n"), 0o600)
	if _, err := unseal(plain, []byte(testPassphrase)); codeOf(err) != "not-sealed" {
		t.Fatalf("plaintext keys file: %v", err)
	}

	id, _ := age.ParseX25519Identity(vectorIdentity)
	toKey := seal(t, id.Recipient(), vectorIdentity+"\n", false)
	if _, err := unseal(toKey, []byte(testPassphrase)); codeOf(err) != "not-sealed" {
		t.Fatalf("a file encrypted to a key: %v", err)
	}

	os.Chmod(good, 0o640)
	if _, err := unseal(good, []byte(testPassphrase)); codeOf(err) != "keys-file-unsafe" {
		t.Fatalf("group-readable keys file: %v", err)
	}

	garbage := seal(t, scryptRecipient(t, testPassphrase), "AGE-SECRET-KEY-1NOTAKEY\n", false)
	_, err := unseal(garbage, []byte(testPassphrase))
	if codeOf(err) != "bad-keys-file" || bytes.Contains([]byte(err.Error()), []byte("NOTAKEY")) {
		t.Fatalf("a bad identity line must be refused without being quoted: %v", err)
	}
	plugin := seal(t, scryptRecipient(t, testPassphrase), "AGE-PLUGIN-YUBIKEY-1XYZ\n", false)
	if _, err := unseal(plugin, []byte(testPassphrase)); codeOf(err) != "bad-keys-file" {
		t.Fatalf("a plugin identity: %v", err)
	}
}

func TestReadPassphrase(t *testing.T) {
	for input, want := range map[string]string{"pass": "pass", "pass\n": "pass", "pass\r\n": "pass"} {
		got, err := readPassphrase(bytes.NewReader([]byte(input)))
		if err != nil || string(got) != want {
			t.Errorf("%q: got %q, %v", input, got, err)
		}
	}
	for _, input := range []string{"", "\n", "a\nb", string(bytes.Repeat([]byte("x"), maxPassphrase+1))} {
		if _, err := readPassphrase(bytes.NewReader([]byte(input))); codeOf(err) != "bad-passphrase-input" {
			t.Errorf("%.20q was accepted: %v", input, err)
		}
	}
}

func TestUnwrapStanzas(t *testing.T) {
	id, _ := age.ParseX25519Identity(vectorIdentity)
	keys, _ := newKeyring([]age.Identity{id})
	fileKey := bytes.Repeat([]byte{7}, 16)
	stanzas, err := id.Recipient().Wrap(fileKey)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := age.GenerateX25519Identity()
	foreign, _ := other.Recipient().Wrap(fileKey)
	wire := func(ss ...*age.Stanza) []wireStanza {
		var out []wireStanza
		for _, s := range ss {
			out = append(out, wireStanza{Args: append([]string{s.Type}, s.Args...), Body: s.Body})
		}
		return out
	}
	got, err := keys.unwrap(wire(foreign[0], stanzas[0]))
	if err != nil || !bytes.Equal(got, fileKey) {
		t.Fatalf("unwrap = %x, %v", got, err)
	}
	if got, err := keys.unwrap(wire(foreign...)); got != nil || err != nil {
		t.Fatalf("a header for someone else gave %x, %v", got, err)
	}
	if _, err := keys.unwrap(nil); err == nil {
		t.Fatal("an empty header was accepted")
	}
}
