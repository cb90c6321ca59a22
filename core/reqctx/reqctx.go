// Package reqctx carries request-scoped values that every layer may log or
// record (the request id and the client address), without importing HTTP.
package reqctx

import "context"

type key int

const (
	requestIDKey key = iota
	addrKey
)

// WithRequestID returns ctx carrying id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey, id)
}

// RequestID returns the request id in ctx or "".
func RequestID(ctx context.Context) string {
	s, _ := ctx.Value(requestIDKey).(string)
	return s
}

// WithAddr returns ctx carrying the client address.
func WithAddr(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, addrKey, addr)
}

// Addr returns the client address in ctx or "".
func Addr(ctx context.Context) string {
	s, _ := ctx.Value(addrKey).(string)
	return s
}
