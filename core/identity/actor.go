// Package identity holds staff users (merchant staff and platform operators),
// their sessions, passwords and login throttling, and the authenticated actor
// of a request.
package identity

import (
	"context"
	"time"
)

// UserID identifies a staff user (global: one user may work for many tenants).
type UserID string

// MemberID identifies a member (a customer of one tenant).
type MemberID string

// Actor is who is making a request.
type Actor struct {
	Kind     string // "staff" or "member"
	UserID   UserID
	MemberID MemberID
	Expires  time.Time
}

type actorKey struct{}

// WithActor returns ctx carrying a.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor in ctx.
func ActorFrom(ctx context.Context) (Actor, bool) {
	a, ok := ctx.Value(actorKey{}).(Actor)
	return a, ok
}
