package members_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/apptest"
	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/identity"
	"github.com/banyanmall/banyan/core/members"
	"github.com/banyanmall/banyan/core/members/memberstest"
)

type pointsEnv struct {
	t    *testing.T
	e    *apptest.Env
	shop apptest.Shop
	ctx  context.Context
}

func (p pointsEnv) tx(fn func(tx *db.Tx) error) error { return memberstest.InTx(p.ctx, p.e, fn) }

func (p pointsEnv) balance(token string) members.PointsPage {
	p.t.Helper()
	var out members.PointsPage
	p.e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/shop/me/points?limit=100", Token: token, Tenant: p.shop.Slug}).Decode(p.t, &out)
	return out
}

func (p pointsEnv) earn(id identity.MemberID, order, paid string) int64 {
	p.t.Helper()
	var n int64
	if err := p.tx(func(tx *db.Tx) error {
		var err error
		n, err = p.e.App.Members.EarnPoints(p.ctx, tx, id, order, decimal.RequireFromString(paid))
		return err
	}); err != nil {
		p.t.Fatal(err)
	}
	return n
}

func (p pointsEnv) spend(id identity.MemberID, order string, pts int64) error {
	return p.tx(func(tx *db.Tx) error {
		return p.e.App.Members.SpendPoints(p.ctx, tx, id, order, pts, members.PointsSpend)
	})
}

func (p pointsEnv) quote(id identity.MemberID, amount string, req int64) (int64, string) {
	p.t.Helper()
	var n int64
	var a decimal.Decimal
	if err := p.tx(func(tx *db.Tx) error {
		var err error
		n, a, err = p.e.App.Members.QuotePoints(p.ctx, tx, id, decimal.RequireFromString(amount), req)
		return err
	}); err != nil {
		p.t.Fatal(err)
	}
	return n, a.StringFixed(2)
}

// refund gives back share of the money's points and exchange exchanged
// points.
func (p pointsEnv) refund(id identity.MemberID, order, ref, share string, exchange int64) members.PointsRefund {
	p.t.Helper()
	var r members.PointsRefund
	if err := p.tx(func(tx *db.Tx) error {
		var err error
		r, err = p.e.App.Members.RefundPoints(p.ctx, tx, id, order, ref, members.PointsBack{Share: decimal.RequireFromString(share), Exchange: exchange})
		return err
	}); err != nil {
		p.t.Fatal(err)
	}
	return r
}

func TestPoints(t *testing.T) {
	e := apptest.New(t)
	shop := e.Signup("points-shop")
	p := pointsEnv{t: t, e: e, shop: shop, ctx: memberstest.Ctx(shop)}
	createLevel(t, e, shop, "银牌", 1, "spend", "0", map[string]any{"points_multiplier": "1.5"})
	token, id := e.Member(shop)
	mid := identity.MemberID(id)

	t.Run("settings", func(t *testing.T) {
		var st members.PointsSettings
		e.Must(200, owner(shop, "GET", "/api/v1/admin/settings/points", nil)).Decode(t, &st)
		if st.PointsPerUnit != 100 || !st.MaxRedeemShare.Equal(decimal.RequireFromString("0.5")) || !st.EarnPerUnit.Equal(decimal.NewFromInt(1)) {
			t.Fatalf("defaults: %+v", st)
		}
		for _, tc := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"max_redeem_share": "1.5", "points_per_unit": 50}, "max_redeem_share"},
			{map[string]any{"points_per_unit": 0}, "points_per_unit"},
			{map[string]any{"earn_per_unit": "-1"}, "earn_per_unit"},
			{map[string]any{"expiry_months": 500}, "expiry_months"},
		} {
			wantField(t, e.Do(owner(shop, "PATCH", "/api/v1/admin/settings/points", tc.body)), 422, tc.field, "")
		}
		e.Must(200, owner(shop, "GET", "/api/v1/admin/settings/points", nil)).Decode(t, &st)
		if st.PointsPerUnit != 100 {
			t.Fatalf("refused settings changed: %+v", st)
		}
	})

	orderA, orderB := uuid.NewString(), uuid.NewString()
	if n := p.earn(mid, orderA, "200.50"); n != 300 {
		t.Fatalf("earned %d, want floor(200.50 × 1 × 1.5) = 300", n)
	}
	if n := p.earn(mid, orderA, "999"); n != 300 {
		t.Fatalf("earning twice for one order: %d", n)
	}

	t.Run("quote", func(t *testing.T) {
		for _, tc := range []struct {
			amount string
			req    int64
			pts    int64
			value  string
		}{
			{"10.00", 1000, 300, "3.00"}, // the balance caps it
			{"4.00", 300, 200, "2.00"},   // half the order caps it
			{"100", 0, 0, "0.00"},
			{"0.01", 300, 0, "0.00"}, // half a cent is not a cent
		} {
			if n, v := p.quote(mid, tc.amount, tc.req); n != tc.pts || v != tc.value {
				t.Errorf("quote %s for %d: %d worth %s, want %d worth %s", tc.amount, tc.req, n, v, tc.pts, tc.value)
			}
		}
		e.Must(200, owner(shop, "PATCH", "/api/v1/admin/settings/points", map[string]any{"points_per_unit": 1000}))
		// 1000 points = 1 CNY: only multiples of 10 are whole cents.
		if n, v := p.quote(mid, "100", 295); n != 290 || v != "0.29" {
			t.Errorf("quote at 1000/unit: %d worth %s", n, v)
		}
		e.Must(200, owner(shop, "PATCH", "/api/v1/admin/settings/points", map[string]any{"points_per_unit": 100}))
		err := p.tx(func(tx *db.Tx) error {
			_, _, err := e.App.Members.QuotePoints(p.ctx, tx, mid, decimal.NewFromInt(10), -1)
			return err
		})
		if errs.CodeOf(err) != errs.Invalid {
			t.Errorf("negative request: %v", err)
		}
	})

	t.Run("spend and refund", func(t *testing.T) {
		if err := p.spend(mid, orderB, 200); err != nil {
			t.Fatal(err)
		}
		if err := p.spend(mid, orderB, 200); err != nil {
			t.Fatalf("repeating a spend: %v", err)
		}
		if err := p.spend(mid, orderB, 50); !errs.Is(err, errs.Conflict) {
			t.Fatalf("another amount for the same order: %v", err)
		}
		err := p.spend(mid, uuid.NewString(), 500)
		var ee *errs.Error
		if !errs.Is(err, errs.InvalidState) || !asErr(err, &ee) || ee.Fields[0].Field != "points" {
			t.Fatalf("overspend: %v", err)
		}
		if b := p.balance(token).Balance; b != 100 {
			t.Fatalf("balance %d", b)
		}
		if r := p.refund(mid, orderB, "r1", "0.5", 0); r.Returned != 100 || r.Reversed != 0 {
			t.Fatalf("half refund: %+v", r)
		}
		if r := p.refund(mid, orderB, "r1", "0.5", 0); r.Returned != 100 {
			t.Fatalf("replayed refund: %+v", r)
		}
		if r := p.refund(mid, orderB, "r2", "1", 0); r.Returned != 100 {
			t.Fatalf("final refund: %+v", r)
		}
		// Refunding the order that earned takes the points back.
		if r := p.refund(mid, orderA, "r3", "1", 0); r.Reversed != 300 {
			t.Fatalf("earn reversal: %+v", r)
		}
		if b := p.balance(token).Balance; b != 0 {
			t.Fatalf("balance after refunds %d, want 300-200+200-300 = 0", b)
		}
	})

	// One order both redeemed points and exchanged points for goods: a money
	// refund returns only the redeemed share; the exchanged points come back
	// exactly with the goods, never beyond what was exchanged.
	t.Run("exchange comes back with its goods only", func(t *testing.T) {
		if _, err := p.e.App.Members.AdjustPoints(p.ctx, mid, members.PointsAdjustment{Points: 1000, Reason: "test"}); err != nil {
			t.Fatal(err)
		}
		before := p.balance(token).Balance
		order := uuid.NewString()
		if err := p.spend(mid, order, 100); err != nil {
			t.Fatal(err)
		}
		if err := p.tx(func(tx *db.Tx) error {
			return p.e.App.Members.SpendPoints(p.ctx, tx, mid, order, 600, members.PointsExchange)
		}); err != nil {
			t.Fatal(err)
		}
		if r := p.refund(mid, order, "money", "1", 0); r.Returned != 100 {
			t.Fatalf("a full money refund returned %+v, want the 100 redeemed only", r)
		}
		if r := p.refund(mid, order, "goods1", "0", 200); r.Returned != 200 {
			t.Fatalf("one exchanged item back: %+v", r)
		}
		if r := p.refund(mid, order, "goods2", "0", 1000); r.Returned != 400 {
			t.Fatalf("asking more than is left: %+v, want the 400 left", r)
		}
		if b := p.balance(token).Balance; b != before {
			t.Fatalf("balance %d, want %d again", b, before)
		}
		err := p.tx(func(tx *db.Tx) error {
			_, err := p.e.App.Members.RefundPoints(p.ctx, tx, mid, order, "nothing", members.PointsBack{})
			return err
		})
		if !errs.Is(err, errs.Invalid) {
			t.Fatalf("giving back nothing: %v", err)
		}
		// The subtests after this one expect the balance it found.
		if _, err := p.e.App.Members.AdjustPoints(p.ctx, mid, members.PointsAdjustment{Points: -1000, Reason: "test"}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("manual adjustment", func(t *testing.T) {
		path := "/api/v1/admin/members/" + id + "/points"
		var entry members.PointsEntry
		e.Must(201, owner(shop, "POST", path, map[string]any{"points": 50, "reason": "补偿"})).Decode(t, &entry)
		if entry.Delta != 50 || entry.BalanceAfter != 50 || entry.Kind != members.PointsAdjust {
			t.Fatalf("entry %+v", entry)
		}
		res := e.Do(owner(shop, "POST", path, map[string]any{"points": -51, "reason": "too much"}))
		if res.Status != 409 {
			t.Fatalf("removing more than the balance: %s", res)
		}
		wantField(t, e.Do(owner(shop, "POST", path, map[string]any{"points": 5})), 422, "reason", "required")
		var page members.PointsPage
		e.Must(200, owner(shop, "GET", path, nil)).Decode(t, &page)
		if page.Balance != 50 || page.Items[0].Reason != "补偿" {
			t.Fatalf("admin ledger: %+v", page)
		}
	})

	t.Run("the ledger is append-only for the app", func(t *testing.T) {
		for _, q := range []string{`UPDATE member_points SET delta = 1000000`, `DELETE FROM member_points`} {
			err := p.tx(func(tx *db.Tx) error { _, err := tx.ExecContext(p.ctx, q); return err })
			if err == nil || !strings.Contains(err.Error(), "permission denied") {
				t.Errorf("%s: %v", q, err)
			}
		}
	})

	t.Run("ledger sums to the balance", func(t *testing.T) {
		pg := p.balance(token)
		var sum int64
		for _, it := range pg.Items {
			sum += it.Delta
		}
		if sum != pg.Balance || pg.Items[0].BalanceAfter != pg.Balance {
			t.Fatalf("sum %d, balance %d, last balance_after %d", sum, pg.Balance, pg.Items[0].BalanceAfter)
		}
	})
}

func asErr(err error, target **errs.Error) bool {
	e, ok := err.(*errs.Error)
	if ok {
		*target = e
	}
	return ok
}

// Concurrent spends never take the balance below zero.
func TestPointsConcurrentSpends(t *testing.T) {
	e := apptest.New(t)
	shop := e.Signup("points-race")
	p := pointsEnv{t: t, e: e, shop: shop, ctx: memberstest.Ctx(shop)}
	m := memberstest.Fast(t, e, shop, 1)[0]
	e.Must(201, owner(shop, "POST", "/api/v1/admin/members/"+string(m.ID)+"/points", map[string]any{"points": 100, "reason": "seed"}))

	var wg sync.WaitGroup
	results := make(chan error, 10)
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results <- p.spend(m.ID, uuid.NewString(), 30)
		}()
	}
	wg.Wait()
	close(results)
	ok := 0
	for err := range results {
		switch {
		case err == nil:
			ok++
		case !errs.Is(err, errs.InvalidState):
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != 3 {
		t.Fatalf("%d spends of 30 out of 100 succeeded, want 3", ok)
	}
	pg := p.balance(m.Token)
	if pg.Balance != 10 {
		t.Fatalf("balance %d, want 10", pg.Balance)
	}
	for _, it := range pg.Items {
		if it.BalanceAfter < 0 {
			t.Fatalf("balance went negative: %+v", it)
		}
	}
}

// Credits expire first-in-first-out: spends consume the credits that expire
// soonest, and what is left of an expired credit is written off as an
// expire row when the ledger is next read or changed.
func TestPointsExpiry(t *testing.T) {
	e := apptest.New(t)
	shop := e.Signup("points-expiry")
	p := pointsEnv{t: t, e: e, shop: shop, ctx: memberstest.Ctx(shop)}
	m := memberstest.Fast(t, e, shop, 1)[0]
	e.Must(201, owner(shop, "POST", "/api/v1/admin/members/"+string(m.ID)+"/points", map[string]any{"points": 50, "reason": "never expires"}))
	e.Must(200, owner(shop, "PATCH", "/api/v1/admin/settings/points", map[string]any{"expiry_months": 1}))
	order := uuid.NewString()
	if n := p.earn(m.ID, order, "100"); n != 100 {
		t.Fatalf("earned %d", n)
	}
	if err := p.spend(m.ID, uuid.NewString(), 30); err != nil {
		t.Fatal(err)
	}
	// One calendar month is 28 to 31 days: bring the credit inside the
	// 30-day "expiring soon" window whatever today's date.
	if _, err := e.DB.Owner.Exec(`UPDATE member_points SET expires_at = now() + interval '10 days' WHERE member_id = $1 AND kind = 'earn'`, m.ID); err != nil {
		t.Fatal(err)
	}
	if pg := p.balance(m.Token); pg.Balance != 120 || pg.ExpiringSoon != 70 {
		t.Fatalf("before expiry: %+v", pg)
	}
	// A month passes (the owner may rewrite history; the app may not).
	if _, err := e.DB.Owner.Exec(`UPDATE member_points SET expires_at = now() - interval '1 day' WHERE member_id = $1 AND kind = 'earn'`, m.ID); err != nil {
		t.Fatal(err)
	}
	pg := p.balance(m.Token)
	if pg.Balance != 50 || pg.Items[0].Kind != members.PointsExpire || pg.Items[0].Delta != -70 {
		t.Fatalf("after expiry: balance %d, last %+v", pg.Balance, pg.Items[0])
	}
	if again := p.balance(m.Token); again.Balance != 50 || len(again.Items) != len(pg.Items) {
		t.Fatalf("expiry written twice: %+v", again)
	}
	if err := p.spend(m.ID, uuid.NewString(), 51); !errs.Is(err, errs.InvalidState) {
		t.Fatalf("spending expired points: %v", err)
	}
}
