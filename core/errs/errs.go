// Package errs is Banyan's one application error type. Every service returns
// *errs.Error (possibly wrapped with %w); the API package maps Code to an HTTP
// status and a problem+json document in exactly one place.
//
// Codes cross the wire and are append-only: never rename or reuse one.
package errs

import (
	"errors"
	"fmt"
)

// Code is a stable machine-readable error code.
type Code string

// Codes. Append only.
const (
	Invalid           Code = "validation_failed"
	Unauthenticated   Code = "unauthenticated"
	Forbidden         Code = "forbidden"
	NotFound          Code = "not_found"
	Conflict          Code = "conflict"
	QuotaExceeded     Code = "quota_exceeded"
	TenantSuspended   Code = "tenant_suspended"
	RateLimited       Code = "rate_limited"
	PluginUnavailable Code = "plugin_unavailable"
	Internal          Code = "internal"
	MalformedJSON     Code = "malformed_json"
	BodyTooLarge      Code = "body_too_large"
	UnknownField      Code = "unknown_field"
	TokenExpired      Code = "token_expired"
	LockedOut         Code = "locked_out"
	IdempotencyReused Code = "idempotency_key_reused"
	InvalidState      Code = "invalid_state"
	InsufficientStock Code = "insufficient_stock"
	QuoteChanged      Code = "quote_changed"
	UnsupportedMedia  Code = "unsupported_media_type"
	// RefundFailed: the payment provider refused a refund (definitive; the
	// refund is recorded failed and its amount can be refunded again).
	RefundFailed Code = "refund_failed"
)

// FieldError names one bad field of a request.
type FieldError struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error is the application error.
type Error struct {
	Code    Code
	Message string       // safe to show to the caller
	Fields  []FieldError // for Invalid
	Err     error        // underlying cause, never shown to the caller
}

func (e *Error) Error() string {
	msg := string(e.Code)
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if len(e.Fields) > 0 {
		msg += fmt.Sprintf(" %v", e.Fields)
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// E builds an error with a code and a message.
func E(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Field builds a validation error for one field.
func Field(field, code, message string) *Error {
	return &Error{Code: Invalid, Message: "the request has invalid fields", Fields: []FieldError{{Field: field, Code: code, Message: message}}}
}

// CodeOf returns the code of the first *Error in err's chain, or Internal.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// Is reports whether err carries code.
func Is(err error, code Code) bool { return err != nil && CodeOf(err) == code }

// Validator collects field errors so a request reports every bad field at once.
type Validator struct{ fields []FieldError }

// Check records a field error when ok is false.
func (v *Validator) Check(ok bool, field, code, message string) {
	if !ok {
		v.fields = append(v.fields, FieldError{Field: field, Code: code, Message: message})
	}
}

// Add records a field error.
func (v *Validator) Add(field, code, message string) { v.Check(false, field, code, message) }

// Merge adds the field errors of err (an *Error from another check); any
// other non-nil error is recorded against field.
func (v *Validator) Merge(field string, err error) {
	if err == nil {
		return
	}
	var e *Error
	if errors.As(err, &e) && len(e.Fields) > 0 {
		v.fields = append(v.fields, e.Fields...)
		return
	}
	v.Add(field, "invalid", err.Error())
}

// Err returns the collected validation error, or nil.
func (v *Validator) Err() error {
	if len(v.fields) == 0 {
		return nil
	}
	return &Error{Code: Invalid, Message: "the request has invalid fields", Fields: v.fields}
}
