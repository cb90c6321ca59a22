package marketing_test

import (
	"testing"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/apptest"
	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/marketing"
	"github.com/banyanmall/banyan/core/members"
	"github.com/banyanmall/banyan/core/members/memberstest"
)

// A member registers, climbs a level by spending, earns points at the
// level's multiplier, and at the next checkout uses a claimed coupon and
// redeems points, the way the orders capability will call these services.
func TestMemberJourney(t *testing.T) {
	e := apptest.New(t)
	shop := e.Signup("journey")
	ctx := memberstest.Ctx(shop)
	for _, l := range []map[string]any{
		{"name": "普通", "rank": 0, "threshold_kind": "spend", "threshold": "0"},
		{"name": "银牌", "rank": 1, "threshold_kind": "spend", "threshold": "500", "price_factor": "0.95", "points_multiplier": "2"},
	} {
		e.Must(201, owner(shop, "POST", "/api/v1/admin/member-levels", l))
	}
	res := e.Must(201, apptest.Req{Method: "POST", Path: "/api/v1/shop/register", Tenant: shop.Slug,
		Body: map[string]string{"email": "journey@example.com", "password": apptest.Password, "name": "Journey"}})
	var auth members.Auth
	res.Decode(t, &auth)
	me := auth.Member.ID
	shopReq := func(method, path string) apptest.Req {
		return apptest.Req{Method: method, Path: path, Token: auth.Token, Tenant: shop.Slug}
	}

	// Order 1 completes: 600 paid. Points at the level held when paying (×1),
	// then the level moves up.
	order1 := uuid.NewString()
	err := memberstest.InTx(ctx, e, func(tx *db.Tx) error {
		if n, err := e.App.Members.EarnPoints(ctx, tx, me, order1, decimal.NewFromInt(600)); err != nil || n != 600 {
			t.Errorf("earned %d (%v)", n, err)
		}
		l, err := e.App.Members.RecordCompletedOrder(ctx, tx, me, order1, decimal.NewFromInt(600))
		if err == nil && l.Name != "银牌" {
			t.Errorf("level after 600: %q", l.Name)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var m members.Member
	e.Must(200, shopReq("GET", "/api/v1/shop/me")).Decode(t, &m)
	if m.LevelID == nil || !m.TotalSpend.Equal(decimal.NewFromInt(600)) {
		t.Fatalf("me: %+v", m)
	}

	// A coupon claimed in the storefront.
	tpl := template(t, e, shop, map[string]any{"name": "满200减30", "kind": "fixed", "amount": "30", "min_spend": "200", "valid_days": 7})
	var coupon marketing.Coupon
	e.Must(201, shopReq("POST", "/api/v1/shop/coupons/"+string(tpl.ID)+"/claim")).Decode(t, &coupon)

	// Checkout of order 2, in one transaction: level price → coupon →
	// points → (shipping).
	order2 := uuid.NewString()
	err = memberstest.InTx(ctx, e, func(tx *db.Tx) error {
		lvl, err := e.App.Members.LevelOf(ctx, tx, me)
		if err != nil {
			return err
		}
		subtotal := decimal.NewFromInt(300).Mul(lvl.PriceFactor) // 285.00
		cq, err := e.App.Marketing.QuoteCoupon(ctx, tx, me, coupon.ID, []marketing.Line{{ProductID: uuid.NewString(), Amount: subtotal}})
		if err != nil {
			return err
		}
		off := cq.Discount
		afterCoupon := subtotal.Sub(off) // 255.00
		pts, value, err := e.App.Members.QuotePoints(ctx, tx, me, afterCoupon, 100000)
		if err != nil {
			return err
		}
		// Balance 600 caps it: 600 points = 6.00.
		if off.String() != "30" || pts != 600 || value.StringFixed(2) != "6.00" {
			t.Errorf("quote: coupon %s, points %d worth %s", off, pts, value)
		}
		if err := e.App.Marketing.LockCoupon(ctx, tx, me, coupon.ID, order2); err != nil {
			return err
		}
		return e.App.Members.SpendPoints(ctx, tx, me, order2, pts, members.PointsSpend)
	})
	if err != nil {
		t.Fatal(err)
	}
	var pg members.PointsPage
	e.Must(200, shopReq("GET", "/api/v1/shop/me/points")).Decode(t, &pg)
	if pg.Balance != 0 || len(pg.Items) != 2 {
		t.Fatalf("points after checkout: %+v", pg)
	}
	var used struct{ Items []marketing.Coupon }
	e.Must(200, shopReq("GET", "/api/v1/shop/me/coupons?status=used")).Decode(t, &used)
	if len(used.Items) != 1 || *used.Items[0].OrderID != order2 {
		t.Fatalf("used coupons: %+v", used.Items)
	}

	// Order 2 is cancelled: the coupon and the points come back.
	err = memberstest.InTx(ctx, e, func(tx *db.Tx) error {
		if err := e.App.Marketing.ReleaseCoupon(ctx, tx, me, coupon.ID, order2); err != nil {
			return err
		}
		r, err := e.App.Members.RefundPoints(ctx, tx, me, order2, "cancel", members.PointsBack{Share: decimal.NewFromInt(1)})
		if err == nil && r.Returned != 600 {
			t.Errorf("refund: %+v", r)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	e.Must(200, shopReq("GET", "/api/v1/shop/me/points")).Decode(t, &pg)
	if pg.Balance != 600 {
		t.Fatalf("balance after cancel: %d", pg.Balance)
	}
}
