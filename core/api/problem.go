package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/identity"
	"github.com/banyanmall/banyan/core/reqctx"
)

// Problem is an RFC 9457 problem document with Banyan's stable code.
type Problem struct {
	Type      string            `json:"type"`
	Title     string            `json:"title"`
	Status    int               `json:"status"`
	Code      errs.Code         `json:"code"`
	Detail    string            `json:"detail,omitempty"`
	RequestID string            `json:"request_id,omitempty"`
	Errors    []errs.FieldError `json:"errors,omitempty"`
	Plugin    string            `json:"plugin,omitempty"`
}

// statusOf is the one map from error code to HTTP status.
var statusOf = map[errs.Code]int{
	errs.Invalid:           http.StatusUnprocessableEntity,
	errs.MalformedJSON:     http.StatusBadRequest,
	errs.UnknownField:      http.StatusBadRequest,
	errs.BodyTooLarge:      http.StatusRequestEntityTooLarge,
	errs.UnsupportedMedia:  http.StatusUnsupportedMediaType,
	errs.Unauthenticated:   http.StatusUnauthorized,
	errs.TokenExpired:      http.StatusUnauthorized,
	errs.Forbidden:         http.StatusForbidden,
	errs.TenantSuspended:   http.StatusForbidden,
	errs.NotFound:          http.StatusNotFound,
	errs.Conflict:          http.StatusConflict,
	errs.IdempotencyReused: http.StatusConflict,
	errs.InvalidState:      http.StatusConflict,
	errs.InsufficientStock: http.StatusConflict,
	errs.QuoteChanged:      http.StatusConflict,
	errs.QuotaExceeded:     http.StatusForbidden,
	errs.RateLimited:       http.StatusTooManyRequests,
	errs.LockedOut:         http.StatusTooManyRequests,
	errs.PluginUnavailable: http.StatusServiceUnavailable,
	errs.RefundFailed:      http.StatusBadGateway,
	errs.Internal:          http.StatusInternalServerError,
}

var titleOf = map[errs.Code]string{
	errs.Invalid:           "The request has invalid fields",
	errs.MalformedJSON:     "The body is not valid JSON",
	errs.UnknownField:      "The body has a field this endpoint does not accept",
	errs.BodyTooLarge:      "The body is too large",
	errs.UnsupportedMedia:  "Unsupported content type",
	errs.Unauthenticated:   "Authentication required",
	errs.TokenExpired:      "The token has expired",
	errs.Forbidden:         "Not allowed",
	errs.TenantSuspended:   "This shop is suspended",
	errs.NotFound:          "Not found",
	errs.Conflict:          "Conflict",
	errs.IdempotencyReused: "Idempotency key reused with another request",
	errs.InvalidState:      "Not possible in the current state",
	errs.InsufficientStock: "Not enough stock",
	errs.QuoteChanged:      "The price changed since the quote",
	errs.QuotaExceeded:     "Plan quota exceeded",
	errs.RateLimited:       "Too many requests",
	errs.LockedOut:         "Temporarily locked",
	errs.PluginUnavailable: "A plugin is unavailable",
	errs.RefundFailed:      "The payment provider refused the refund",
	errs.Internal:          "Internal error",
}

// PluginNamer is implemented by errors that name the plugin at fault.
type PluginNamer interface{ PluginName() string }

// writeError maps err to a problem document. Unknown errors are 500s whose
// detail is never shown; they are logged with the request id.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var e *errs.Error
	if !errors.As(err, &e) {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			e = &errs.Error{Code: errs.Internal, Message: "the request was cancelled or timed out", Err: err}
		} else {
			e = &errs.Error{Code: errs.Internal, Err: err}
		}
	}
	status := statusOf[e.Code]
	if status == 0 {
		status = http.StatusInternalServerError
	}
	p := Problem{
		Type:      "https://banyan.dev/problems/" + string(e.Code),
		Title:     titleOf[e.Code],
		Status:    status,
		Code:      e.Code,
		Detail:    e.Message,
		RequestID: reqctx.RequestID(r.Context()),
		Errors:    e.Fields,
	}
	var pn PluginNamer
	if errors.As(err, &pn) {
		p.Plugin = pn.PluginName()
	}
	if status >= 500 {
		s.Log.ErrorContext(r.Context(), "request failed", "err", err, "request_id", p.RequestID, "path", r.URL.Path)
		if e.Code == errs.Internal {
			p.Detail = "something went wrong on our side; quote the request id when you report it"
		}
	}
	var locked *identity.LockedError
	if errors.As(err, &locked) {
		w.Header().Set("Retry-After", strconv.Itoa(int(locked.RetryAfter.Seconds())+1))
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = jsonEncode(w, p)
}
