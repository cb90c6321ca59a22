package pluginhost

import (
	"errors"
	"fmt"

	"github.com/banyanmall/banyan/sdk"
)

// Kind classifies what went wrong with a plugin call. Kinds are
// append-only: the API maps them to stable codes.
type Kind uint8

const (
	_ Kind = iota
	// Unavailable: the plugin is not running (refused, restarting, failed
	// to start, crashed during the call) or its circuit is open.
	Unavailable
	// Timeout: no answer within the call's deadline.
	Timeout
	// InvalidConfig: the tenant's config for the plugin is wrong; see FieldErrors.
	InvalidConfig
	// Rejected: the plugin answered a typed refusal (*sdk.Error), e.g. a bad
	// webhook signature or an unsupported operation.
	Rejected
	// Failed: the plugin answered an untyped error, panicked, or broke the
	// protocol (an answer that fails the sdk.Check functions).
	Failed
	// NotFound: no plugin of that name and kind.
	NotFound
)

var kindNames = map[Kind]string{
	Unavailable:   "unavailable",
	Timeout:       "timeout",
	InvalidConfig: "invalid_config",
	Rejected:      "rejected",
	Failed:        "failed",
	NotFound:      "not_found",
}

func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Error is every error the host's plugin calls return.
type Error struct {
	Plugin string
	Op     string
	Kind   Kind
	Err    error
}

// Sentinels for errors.Is: an *Error matches one with the same Kind.
var (
	ErrUnavailable   = &Error{Kind: Unavailable}
	ErrTimeout       = &Error{Kind: Timeout}
	ErrInvalidConfig = &Error{Kind: InvalidConfig}
	ErrRejected      = &Error{Kind: Rejected}
	ErrFailed        = &Error{Kind: Failed}
	ErrNotFound      = &Error{Kind: NotFound}
)

func (e *Error) Error() string {
	msg := fmt.Sprintf("plugin %s: %s: %s", e.Plugin, e.Op, e.Kind)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Is matches a target *Error on each of Kind, Plugin and Op that it sets.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	return (t.Kind == 0 || t.Kind == e.Kind) &&
		(t.Plugin == "" || t.Plugin == e.Plugin) &&
		(t.Op == "" || t.Op == e.Op)
}

// FieldError names one wrong field of a tenant's config; Path is a JSON pointer.
type FieldError = sdk.FieldError

// FieldErrors returns the field errors an InvalidConfig error carries.
func FieldErrors(err error) []FieldError {
	if e, ok := sdk.AsError(err); ok {
		return e.Fields
	}
	return nil
}

func newError(plugin, op string, kind Kind, format string, args ...any) *Error {
	return &Error{Plugin: plugin, Op: op, Kind: kind, Err: fmt.Errorf(format, args...)}
}

// asHostError returns err as an *Error if it is one.
func asHostError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
