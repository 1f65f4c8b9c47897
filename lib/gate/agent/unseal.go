package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"strings"

	"filippo.io/age"
	"filippo.io/age/armor"
	"golang.org/x/sys/unix"
)

const (
	maxPassphrase = 4096
	maxKeysFile   = 1 << 24 // 16 MiB, age's and sops's limit for identity files
)

func wipe(b []byte) {
	clear(b)
}

// readPassphrase reads the passphrase from the starter's pipe: the bytes as typed, optionally followed by
// one newline (a terminal line never holds a line break, so neither may the passphrase).
func readPassphrase(r io.Reader) ([]byte, error) {
	buf, err := io.ReadAll(io.LimitReader(r, maxPassphrase+2))
	if err != nil {
		return nil, startErr("bad-passphrase-input", "reading the passphrase from stdin failed: %v", err)
	}
	pass := bytes.TrimSuffix(bytes.TrimSuffix(buf, []byte("\n")), []byte("\r"))
	switch {
	case len(pass) == 0:
		err = startErr("bad-passphrase-input", "no passphrase arrived on stdin")
	case len(pass) > maxPassphrase:
		err = startErr("bad-passphrase-input", "the passphrase is longer than %d bytes", maxPassphrase)
	case bytes.ContainsAny(pass, "\r\n"):
		err = startErr("bad-passphrase-input", "the passphrase holds a line break")
	}
	if err != nil {
		wipe(buf)
		return nil, err
	}
	return pass, nil
}

// readKeysFile reads the sealed keys file, refusing one that is not a private regular file of ours
// (the sealed file is an offline guessing target, so it is kept as private as a plaintext one).
func readKeysFile(path string) ([]byte, error) {
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		return nil, startErr("keys-file-unreadable", "cannot read the keys file %s: %v", path, err)
	}
	switch {
	case st.Mode&unix.S_IFMT != unix.S_IFREG:
		return nil, startErr("keys-file-unsafe", "the keys file %s is not a regular file", path)
	case int(st.Uid) != os.Getuid():
		return nil, startErr("keys-file-unsafe", "the keys file %s belongs to uid %d, not to you", path, st.Uid)
	case st.Mode&0o077 != 0:
		return nil, startErr("keys-file-unsafe", "the keys file %s is accessible by group or others (mode %o); chmod 600 it", path, st.Mode&0o777)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, startErr("keys-file-unreadable", "cannot read the keys file %s: %v", path, err)
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, maxKeysFile))
}

// unseal opens a keys file sealed with a passphrase, as `age -p` writes it (binary or ASCII-armored) and
// sops 3.10+ reads it, and returns its identities. Errors never quote the file's plaintext.
func unseal(path string, pass []byte) (*keyring, error) {
	sealed, err := readKeysFile(path)
	if err != nil {
		return nil, err
	}
	// The same test as sops: the first bytes say whether the file is an age file at all.
	var src io.Reader = bytes.NewReader(sealed)
	switch {
	case bytes.HasPrefix(sealed, []byte("-----BEGIN AGE")):
		src = armor.NewReader(src)
	case !bytes.HasPrefix(sealed, []byte("age-encryption")):
		return nil, startErr("not-sealed", "the keys file %s is not sealed with a passphrase (it is a plaintext identity file or something else)", path)
	}
	scrypt, err := age.NewScryptIdentity(string(pass))
	if err != nil {
		return nil, startErr("bad-passphrase-input", "%v", err)
	}
	r, err := age.Decrypt(src, scrypt)
	var noMatch *age.NoIdentityMatchError
	if errors.As(err, &noMatch) {
		if len(noMatch.StanzaTypes) == 1 && noMatch.StanzaTypes[0] == "scrypt" {
			return nil, startErr("wrong-passphrase", "the passphrase does not open %s", path)
		}
		return nil, startErr("not-sealed", "the keys file %s is age-encrypted to a key, not sealed with a passphrase", path)
	}
	if err != nil {
		return nil, startErr("bad-keys-file", "the sealed keys file %s cannot be opened: %v", path, err)
	}
	plain, err := io.ReadAll(io.LimitReader(r, maxKeysFile))
	defer wipe(plain)
	if err != nil {
		return nil, startErr("bad-keys-file", "the sealed keys file %s is damaged: %v", path, err)
	}
	return parseKeys(plain, path)
}

// parseKeys reads the opened identity lines one by one, so that an error names a line number and never
// echoes the line (age's own parser quotes an unknown line).
func parseKeys(plain []byte, path string) (*keyring, error) {
	var ids []age.Identity
	scanner := bufio.NewScanner(bytes.NewReader(plain))
	for n := 1; scanner.Scan(); n++ {
		line := scanner.Bytes()
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		if bytes.HasPrefix(line, []byte("AGE-PLUGIN-")) {
			return nil, startErr("bad-keys-file", "line %d of the sealed keys file %s is a plugin identity, which the agent cannot hold", n, path)
		}
		parsed, err := age.ParseIdentities(strings.NewReader(string(line)))
		if err != nil {
			return nil, startErr("bad-keys-file", "line %d of the sealed keys file %s is not an age identity", n, path)
		}
		ids = append(ids, parsed...)
	}
	if err := scanner.Err(); err != nil {
		return nil, startErr("bad-keys-file", "the sealed keys file %s cannot be read: %v", path, err)
	}
	if len(ids) == 0 {
		return nil, startErr("bad-keys-file", "the sealed keys file %s holds no identity", path)
	}
	return newKeyring(ids)
}
