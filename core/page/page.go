// Package page implements opaque cursor pagination: a cursor encodes the sort
// key of the last row seen, so pages stay stable while rows are inserted.
package page

import (
	"encoding/base64"
	"encoding/json"

	"github.com/banyanmall/banyan/core/errs"
)

// DefaultLimit and MaxLimit bound page sizes.
const (
	DefaultLimit = 20
	MaxLimit     = 100
)

// Request is what a caller asked for.
type Request struct {
	Cursor string
	Limit  int
}

// Normalize clamps the limit.
func (r Request) Normalize() Request {
	if r.Limit <= 0 {
		r.Limit = DefaultLimit
	}
	if r.Limit > MaxLimit {
		r.Limit = MaxLimit
	}
	return r
}

// Encode makes an opaque cursor from any JSON-encodable key.
func Encode(key any) string {
	b, _ := json.Marshal(key)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Decode reads a cursor into key; an empty cursor leaves key untouched.
func Decode(cursor string, key any) error {
	if cursor == "" {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || json.Unmarshal(b, key) != nil {
		return errs.Field("cursor", "invalid", "the cursor is not one this API returned")
	}
	return nil
}
