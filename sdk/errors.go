package sdk

import (
	"errors"
	"fmt"
	"strings"
)

// Code is the stable identity of an [Error]. Codes cross the wire: they are
// append-only, never renamed. Since protocol 1.
type Code string

const (
	// CodeInvalidConfig: the tenant's config for the plugin is wrong; Fields say where.
	CodeInvalidConfig Code = "invalid_config"
	// CodeInvalidRequest: the request breaks the protocol (a malformed amount, a missing id).
	CodeInvalidRequest Code = "invalid_request"
	// CodeBadSignature: a webhook's signature does not verify.
	CodeBadSignature Code = "bad_signature"
	// CodeStaleWebhook: a webhook's timestamp is outside the accepted window.
	CodeStaleWebhook Code = "stale_webhook"
	// CodeUnsupported: the provider does not do this (e.g. webhooks for offline payment).
	CodeUnsupported Code = "unsupported"
	// CodeUnimplemented: an optional capability the plugin does not have.
	CodeUnimplemented Code = "unimplemented"
)

// Sentinels for errors.Is: an *Error matches a sentinel with the same Code.
var (
	ErrInvalidConfig  = &Error{Code: CodeInvalidConfig}
	ErrInvalidRequest = &Error{Code: CodeInvalidRequest}
	ErrBadSignature   = &Error{Code: CodeBadSignature}
	ErrStaleWebhook   = &Error{Code: CodeStaleWebhook}
	ErrUnsupported    = &Error{Code: CodeUnsupported}
	ErrUnimplemented  = &Error{Code: CodeUnimplemented}
)

// FieldError names one wrong field of a config. Path is a JSON pointer
// ("/rates/1"); "" is the whole document. Since protocol 1.
type FieldError struct {
	Path    string
	Message string
}

func (f FieldError) String() string {
	if f.Path == "" {
		return f.Message
	}
	return f.Path + ": " + f.Message
}

// Error is a typed plugin error that crosses the wire intact. Since protocol 1.
type Error struct {
	Code    Code
	Message string
	Fields  []FieldError
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(string(e.Code))
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	for i, f := range e.Fields {
		if i == 0 && e.Message == "" {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(f.String())
	}
	return b.String()
}

// Is reports whether target is an *Error with the same Code, so
// errors.Is(err, sdk.ErrBadSignature) works however err was wrapped.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Errorf returns an *Error with the given code.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// InvalidConfig returns the error ValidateConfig gives for a wrong config.
func InvalidConfig(fields ...FieldError) *Error {
	return &Error{Code: CodeInvalidConfig, Fields: fields}
}

// AsError returns the *Error in err's chain, if any.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
