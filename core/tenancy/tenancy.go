// Package tenancy carries the current tenant through a request's context.
// Inside the core the tenant rides in ctx under an unexported key; it is set
// only by the tenant-resolution middleware (from Host or X-Tenant), never from
// a request body.
package tenancy

import (
	"context"

	"github.com/google/uuid"
)

// TenantID identifies a tenant (a shop). It is a UUID string.
type TenantID string

// Valid reports whether id is a well-formed UUID.
func (id TenantID) Valid() bool { return ValidUUID(string(id)) }

// ValidUUID reports whether s is a canonical UUID; ids that are not cannot
// name a row, so handlers answer 404 for them without asking the database.
func ValidUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	_, err := uuid.Parse(s)
	return err == nil
}

type ctxKey struct{}

// Tenant is what the middleware resolved for a request.
type Tenant struct {
	ID       TenantID
	Slug     string
	Name     string
	Status   string
	Currency string
	Timezone string
}

// With returns ctx carrying t.
func With(ctx context.Context, t Tenant) context.Context {
	return context.WithValue(ctx, ctxKey{}, t)
}

// From returns the tenant in ctx.
func From(ctx context.Context) (Tenant, bool) {
	t, ok := ctx.Value(ctxKey{}).(Tenant)
	return t, ok && t.ID != ""
}

// ID returns the tenant id in ctx or "".
func ID(ctx context.Context) TenantID {
	t, _ := From(ctx)
	return t.ID
}
