package identity

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// Token prefixes say what a token is for, so a member token can never be
// mistaken for a staff token (and secret scanners can recognise them).
const (
	StaffTokenPrefix  = "bst_"
	MemberTokenPrefix = "bmt_"
	InviteTokenPrefix = "bin_"
)

// NewToken returns an opaque token and the hash to store. Only the hash is
// stored: a database leak does not leak sessions.
func NewToken(prefix string) (token string, hash []byte) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	token = prefix + base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token)
}

// HashToken hashes a presented token for lookup.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// HasPrefix reports whether token is of the kind prefix names.
func HasPrefix(token, prefix string) bool { return strings.HasPrefix(token, prefix) }
