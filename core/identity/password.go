package identity

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/banyanmall/banyan/core/errs"
)

// argon2id parameters: OWASP's floor (19 MiB, 2 iterations, parallelism 1).
// They are encoded in every hash, so raising them later keeps old hashes valid.
const (
	argonMemory  = 19 * 1024
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
)

// HashPassword returns a PHC-format argon2id hash.
func HashPassword(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// VerifyPassword reports whether password matches the PHC hash.
func VerifyPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash lets a login for an unknown account cost the same as a real one,
// so timing does not reveal which emails exist.
var dummyHash, _ = HashPassword("not-a-real-password-for-timing")

var commonPasswords = map[string]bool{
	"1234567890": true, "password123": true, "qwertyuiop": true, "1qaz2wsx3edc": true,
	"password1234": true, "iloveyou123": true, "abc1234567": true, "0123456789": true,
	"12345678910": true, "qwerty12345": true, "passw0rd123": true, "administrator": true,
}

// CheckPassword validates a new password and names the field at fault.
func CheckPassword(field, password, email string) error {
	n := utf8.RuneCountInString(password)
	switch {
	case n < 10:
		return errs.Field(field, "too_short", "password must be at least 10 characters")
	case n > 128:
		return errs.Field(field, "too_long", "password must be at most 128 characters")
	case commonPasswords[strings.ToLower(password)]:
		return errs.Field(field, "too_common", "password is too common")
	case email != "" && strings.EqualFold(password, email):
		return errs.Field(field, "same_as_email", "password must not be the email address")
	case strings.Count(password, string([]rune(password)[0])) == n:
		return errs.Field(field, "too_weak", "password must not repeat one character")
	}
	return nil
}
