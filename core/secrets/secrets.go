// Package secrets seals the small secrets merchants give Banyan — a login
// provider's OAuth client secret — before they are stored, so that a copy of
// the database (a backup, a replica, a support dump) does not hand them out.
//
// A Box is AES-256-GCM under one key. Every sealed value is bound to where it
// belongs (the associated data, e.g. the table, column and tenant): a value
// copied into another shop's row does not open. Stored values look like
// "sealed:v1:<base64 of nonce and ciphertext>"; a stored value without that
// prefix is an older plaintext one, answered as it is until it is next
// written (then sealed).
//
// The key comes from BANYAN_SECRET_KEY (32 bytes, base64); without it, from
// <data dir>/secret.key, created on first start with a random key (mode 0600)
// — fine for one server. Several replicas must share BANYAN_SECRET_KEY. A lost
// key loses the sealed secrets (merchants enter them again); keep it with the
// database backups, not in them.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

const prefix = "sealed:v1:"

// KeySize is the length of a key in bytes (AES-256).
const KeySize = 32

// Box seals and opens secrets under one key.
type Box struct{ aead cipher.AEAD }

// New answers a Box for a KeySize-byte key.
func New(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secrets: the key must be %d bytes, not %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	return &Box{aead: aead}, nil
}

// Seal answers plain sealed for where (the associated data: say what the
// value is and whose, e.g. "oauth_providers.client_secret:<tenant id>").
// The empty string stays empty.
func (b *Box) Seal(where, plain string) (string, error) {
	if plain == "" {
		return "", nil
	}
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("secrets: nonce: %w", err)
	}
	sealed := b.aead.Seal(nonce, nonce, []byte(plain), []byte(where))
	return prefix + base64.RawStdEncoding.EncodeToString(sealed), nil
}

// ErrOpen is a sealed value that does not open: another key, another
// place, or altered.
var ErrOpen = errors.New("secrets: the value does not open with this key for this place")

// Open answers the secret a stored value holds. A value that is not sealed
// (stored before sealing existed) is answered as it is.
func (b *Box) Open(where, stored string) (string, error) {
	rest, ok := strings.CutPrefix(stored, prefix)
	if !ok {
		return stored, nil
	}
	raw, err := base64.RawStdEncoding.DecodeString(rest)
	if err != nil || len(raw) < b.aead.NonceSize() {
		return "", ErrOpen
	}
	n := b.aead.NonceSize()
	plain, err := b.aead.Open(nil, raw[:n], raw[n:], []byte(where))
	if err != nil {
		return "", ErrOpen
	}
	return string(plain), nil
}

// IsSealed reports whether a stored value is sealed.
func IsSealed(stored string) bool { return strings.HasPrefix(stored, prefix) }

// Load answers the Box of the deployment: the base64 key env when it is
// set, else the key in dataDir/secret.key (created when missing).
func Load(env, dataDir string) (*Box, error) {
	if env != "" {
		key, err := decodeKey(env)
		if err != nil {
			return nil, fmt.Errorf("BANYAN_SECRET_KEY: %w", err)
		}
		return New(key)
	}
	path := filepath.Join(dataDir, "secret.key")
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		key := make([]byte, KeySize)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("secrets: new key: %w", err)
		}
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return nil, fmt.Errorf("secrets: %w", err)
		}
		// O_EXCL: two processes starting at once must not each write a key.
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			_, err = f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return nil, fmt.Errorf("secrets: write %s: %w", path, err)
			}
			return New(key)
		}
		if !errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("secrets: %w", err)
		}
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	key, err := decodeKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return New(key)
}

func decodeKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil && len(k) == KeySize {
			return k, nil
		}
	}
	return nil, fmt.Errorf("not %d bytes in base64 (make one with: openssl rand -base64 32)", KeySize)
}
