package members_test

import (
	"context"
	"testing"
	"time"

	"github.com/banyanmall/banyan/core/apptest"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/members"
	"github.com/banyanmall/banyan/core/members/memberstest"
)

func authOK(t *testing.T, ctx context.Context, s *members.Service, token, who string) {
	t.Helper()
	if _, err := s.Authenticate(ctx, token); err != nil {
		t.Fatalf("%s: %v", who, err)
	}
}

// rejectedSoon waits for s to refuse token: another replica hears of a
// revocation through PostgreSQL, a moment after it commits.
func rejectedSoon(t *testing.T, ctx context.Context, s *members.Service, token, who string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := s.Authenticate(ctx, token)
		if errs.Is(err, errs.Unauthenticated) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still accepts the token: %v", who, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Sessions are cached per replica; a logout or a disabled member ends them
// at once on the replica that made the change and on every other one as
// soon as the announcement arrives.
func TestSessionCacheAcrossReplicas(t *testing.T) {
	e := apptest.New(t)
	shop := e.Signup("sessions")
	ctx := memberstest.Ctx(shop)
	one, two := e.App.Members, &members.Service{DB: e.ReplicaDB()}
	ms := memberstest.Fast(t, e, shop, 3)

	for _, m := range ms {
		authOK(t, ctx, one, m.Token, "replica 1")
		authOK(t, ctx, two, m.Token, "replica 2")
	}

	// The replicas answer from their caches: a revocation no trigger
	// announces is not seen (which is why every write is announced).
	if _, err := e.DB.Owner.Exec(`ALTER TABLE member_sessions DISABLE TRIGGER member_sessions_announce`); err != nil {
		t.Fatal(err)
	}
	if _, err := e.DB.Owner.Exec(`UPDATE member_sessions SET revoked_at = now() WHERE member_id = $1`, ms[0].ID); err != nil {
		t.Fatal(err)
	}
	authOK(t, ctx, one, ms[0].Token, "replica 1 (cached)")
	if _, err := e.DB.Owner.Exec(`ALTER TABLE member_sessions ENABLE TRIGGER member_sessions_announce`); err != nil {
		t.Fatal(err)
	}
	// Any announced change of the shop's sessions drops them all.
	if _, err := e.DB.Owner.Exec(`UPDATE member_sessions SET revoked_at = revoked_at WHERE member_id = $1`, ms[0].ID); err != nil {
		t.Fatal(err)
	}
	rejectedSoon(t, ctx, one, ms[0].Token, "replica 1")
	rejectedSoon(t, ctx, two, ms[0].Token, "replica 2")

	// Logout on replica 2: refused there at once, on replica 1 soon.
	authOK(t, ctx, two, ms[1].Token, "replica 2")
	if err := two.Logout(ctx, ms[1].Token); err != nil {
		t.Fatal(err)
	}
	if _, err := two.Authenticate(ctx, ms[1].Token); !errs.Is(err, errs.Unauthenticated) {
		t.Fatalf("replica 2 right after its logout: %v", err)
	}
	rejectedSoon(t, ctx, one, ms[1].Token, "replica 1")

	// The merchant disables a member through replica 1 (the API).
	authOK(t, ctx, two, ms[2].Token, "replica 2")
	e.Must(200, apptest.Req{Method: "PATCH", Path: "/api/v1/admin/members/" + string(ms[2].ID), Token: shop.OwnerToken, Tenant: shop.Slug,
		Body: map[string]any{"status": "disabled"}})
	if _, err := one.Authenticate(ctx, ms[2].Token); !errs.Is(err, errs.Unauthenticated) {
		t.Fatalf("replica 1 right after disabling: %v", err)
	}
	rejectedSoon(t, ctx, two, ms[2].Token, "replica 2")

	// Another shop's token is no more valid here for being cached there.
	other := e.Signup("sessions-other")
	om := memberstest.Fast(t, e, other, 1)[0]
	authOK(t, memberstest.Ctx(other), one, om.Token, "replica 1, other shop")
	if _, err := one.Authenticate(ctx, om.Token); !errs.Is(err, errs.Unauthenticated) {
		t.Fatalf("another shop's cached token accepted: %v", err)
	}
}
