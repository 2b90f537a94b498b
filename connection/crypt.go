package connection

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeyFileName is the key file created in the data folder when
// ROWFLOW_SECRET_KEY is not set.
const KeyFileName = "secret.key"

// sealVersion is the first byte of every sealed value.
const sealVersion = 1

// Keyring seals with its current key and opens with any of its keys (the
// previous ones let a rotation proceed while old rows remain; Rekey
// re-seals them). Safe for concurrent use.
type Keyring struct {
	current cipher.AEAD
	id      [4]byte
	byID    map[[4]byte]cipher.AEAD
}

// NewKeyring builds a keyring from 32-byte keys, the first being current.
func NewKeyring(keys ...[]byte) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, errors.New("no secret key")
	}
	k := &Keyring{byID: map[[4]byte]cipher.AEAD{}}
	for i, key := range keys {
		if len(key) != 32 {
			return nil, fmt.Errorf("secret key %d is %d bytes, want 32", i+1, len(key))
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		id := keyID(key)
		if i == 0 {
			k.current, k.id = aead, id
		}
		if _, dup := k.byID[id]; !dup {
			k.byID[id] = aead
		}
	}
	return k, nil
}

func keyID(key []byte) [4]byte {
	sum := sha256.Sum256(append([]byte("rowflow connection key\x00"), key...))
	return [4]byte(sum[:4])
}

// Seal encrypts plaintext bound to aad: version, key id, nonce, ciphertext.
func (k *Keyring) Seal(plaintext, aad []byte) ([]byte, error) {
	out := make([]byte, 0, 1+4+12+len(plaintext)+16)
	out = append(out, sealVersion)
	out = append(out, k.id[:]...)
	nonce := make([]byte, k.current.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	out = append(out, nonce...)
	return k.current.Seal(out, nonce, plaintext, aad), nil
}

// Open decrypts a Seal result with the key it names.
func (k *Keyring) Open(sealed, aad []byte) ([]byte, error) {
	if len(sealed) < 1+4+12+16 || sealed[0] != sealVersion {
		return nil, errors.New("sealed secret is malformed")
	}
	aead, ok := k.byID[[4]byte(sealed[1:5])]
	if !ok {
		return nil, errors.New("sealed with a key this process does not have (ROWFLOW_SECRET_KEY / ROWFLOW_SECRET_KEY_PREVIOUS)")
	}
	nonce := sealed[5 : 5+aead.NonceSize()]
	out, err := aead.Open(nil, nonce, sealed[5+aead.NonceSize():], aad)
	if err != nil {
		return nil, errors.New("sealed secret does not open with its key (tampered, or moved to another row)")
	}
	return out, nil
}

// Current reports whether sealed was sealed with the current key.
func (k *Keyring) Current(sealed []byte) bool {
	return len(sealed) >= 5 && [4]byte(sealed[1:5]) == k.id
}

// ParseKey reads a key written as base64 (standard or URL alphabet, padded
// or not) or 64 hex digits; it must be 32 bytes.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if len(s) == 64 {
		if b, err := hex.DecodeString(s); err == nil {
			return b, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != 32 {
				return nil, fmt.Errorf("the key is %d bytes, want 32 (openssl rand -base64 32)", len(b))
			}
			return b, nil
		}
	}
	return nil, errors.New("the key is neither base64 nor hex (openssl rand -base64 32)")
}

// LoadKeyring builds the keyring of a process: the current key from
// secretKey (ROWFLOW_SECRET_KEY) or else from dataDir/secret.key, created
// with mode 0600 (folder 0700) on first run; previous keys from previous
// (ROWFLOW_SECRET_KEY_PREVIOUS, comma separated). created says a new key
// file was written.
func LoadKeyring(secretKey, previous, dataDir string) (k *Keyring, created bool, err error) {
	var current []byte
	if strings.TrimSpace(secretKey) != "" {
		if current, err = ParseKey(secretKey); err != nil {
			return nil, false, fmt.Errorf("ROWFLOW_SECRET_KEY: %w", err)
		}
	} else if current, created, err = keyFile(filepath.Join(dataDir, KeyFileName)); err != nil {
		return nil, false, err
	}
	keys := [][]byte{current}
	for i, p := range strings.Split(previous, ",") {
		if strings.TrimSpace(p) == "" {
			continue
		}
		b, err := ParseKey(p)
		if err != nil {
			return nil, false, fmt.Errorf("ROWFLOW_SECRET_KEY_PREVIOUS[%d]: %w", i, err)
		}
		keys = append(keys, b)
	}
	k, err = NewKeyring(keys...)
	return k, created, err
}

// keyFile reads the key file at path, or creates it (O_EXCL, so two
// processes starting at once agree on one key).
func keyFile(path string) ([]byte, bool, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, false, fmt.Errorf("creating the key folder: %w", err)
		}
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, false, err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			return keyFile(path)
		}
		if err != nil {
			return nil, false, fmt.Errorf("creating the key file: %w", err)
		}
		_, err = f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, false, fmt.Errorf("writing the key file: %w", err)
		}
		return key, true, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("reading the key file: %w", err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return nil, false, fmt.Errorf("the key file %s is readable by others (mode %o): chmod 600 it", path, fi.Mode().Perm())
	}
	key, err := ParseKey(string(raw))
	if err != nil {
		return nil, false, fmt.Errorf("the key file %s: %w", path, err)
	}
	return key, false, nil
}
