// Package memberstest helps tests that need many members, a tenant context
// for calling services directly, and a transaction to call the APIs that
// checkout uses.
package memberstest

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/banyanmall/banyan/core/apptest"
	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/identity"
	"github.com/banyanmall/banyan/core/tenancy"
)

// Member is a member with a valid token.
type Member struct {
	ID    identity.MemberID
	Token string
}

var seq atomic.Int64

// Fast creates n members of shop with sessions, straight in the database
// (registering through the API hashes a password per member, which is slow
// under -race). Use the API (apptest.Env.Member) when registration itself
// is under test.
func Fast(tb testing.TB, e *apptest.Env, shop apptest.Shop, n int) []Member {
	tb.Helper()
	out := make([]Member, n)
	for i := range out {
		var id string
		err := e.DB.Owner.Get(&id, `INSERT INTO members (tenant_id, email, name) VALUES ($1, $2, $3) RETURNING id`,
			shop.ID, fmt.Sprintf("fast%d@example.com", seq.Add(1)), fmt.Sprintf("Member %d", i))
		if err != nil {
			tb.Fatal(err)
		}
		tok, hash := identity.NewToken(identity.MemberTokenPrefix)
		if _, err := e.DB.Owner.Exec(`INSERT INTO member_sessions (tenant_id, token_hash, member_id, expires_at) VALUES ($1, $2, $3, $4)`,
			shop.ID, hash, id, time.Now().Add(time.Hour)); err != nil {
			tb.Fatal(err)
		}
		out[i] = Member{ID: identity.MemberID(id), Token: tok}
	}
	return out
}

// Ctx is a context inside shop, as the tenant middleware makes it.
func Ctx(shop apptest.Shop) context.Context {
	return tenancy.With(context.Background(), tenancy.Tenant{ID: tenancy.TenantID(shop.ID), Slug: shop.Slug, Status: "active", Currency: "CNY", Timezone: "Asia/Shanghai"})
}

// InTx runs fn in a transaction of shop, as checkout would.
func InTx(ctx context.Context, e *apptest.Env, fn func(tx *db.Tx) error) error {
	return e.App.DB.InTenant(ctx, fn)
}
