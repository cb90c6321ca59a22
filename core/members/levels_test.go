package members_test

import (
	"testing"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/apptest"
	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/identity"
	"github.com/banyanmall/banyan/core/members"
	"github.com/banyanmall/banyan/core/members/memberstest"
)

func owner(shop apptest.Shop, method, path string, body any) apptest.Req {
	return apptest.Req{Method: method, Path: path, Token: shop.OwnerToken, Tenant: shop.Slug, Body: body}
}

func createLevel(t *testing.T, e *apptest.Env, shop apptest.Shop, name string, rank int, kind, threshold string, extra map[string]any) members.Level {
	t.Helper()
	body := map[string]any{"name": name, "rank": rank, "threshold_kind": kind, "threshold": threshold}
	for k, v := range extra {
		body[k] = v
	}
	var l members.Level
	e.Must(201, owner(shop, "POST", "/api/v1/admin/member-levels", body)).Decode(t, &l)
	return l
}

func detail(t *testing.T, e *apptest.Env, shop apptest.Shop, id string) members.Detail {
	t.Helper()
	var d members.Detail
	e.Must(200, owner(shop, "GET", "/api/v1/admin/members/"+id, nil)).Decode(t, &d)
	return d
}

func TestLevels(t *testing.T) {
	e := apptest.New(t)
	shop := e.Signup("level-shop")
	ctx := memberstest.Ctx(shop)

	base := createLevel(t, e, shop, "普通", 0, "spend", "0", nil)
	silver := createLevel(t, e, shop, "银牌", 1, "spend", "1000", map[string]any{"price_factor": "0.95", "points_multiplier": "1.5"})
	gold := createLevel(t, e, shop, "金牌", 2, "growth", "5000", map[string]any{"price_factor": "0.9", "points_multiplier": "2", "free_shipping": true})

	t.Run("bad levels name the field and change nothing", func(t *testing.T) {
		for _, tc := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"name": "负", "rank": 5, "threshold_kind": "spend", "threshold": "-1"}, "threshold"},
			{map[string]any{"name": "x", "rank": 5, "threshold_kind": "spend", "threshold": "1", "price_factor": "1.2"}, "price_factor"},
			{map[string]any{"name": "x", "rank": 5, "threshold_kind": "spend", "threshold": "1", "price_factor": "0"}, "price_factor"},
			{map[string]any{"name": "x", "rank": 5, "threshold_kind": "visits", "threshold": "1"}, "threshold_kind"},
			{map[string]any{"name": "x", "rank": 1, "threshold_kind": "spend", "threshold": "1"}, "rank"},
			{map[string]any{"name": "银牌", "rank": 7, "threshold_kind": "spend", "threshold": "1"}, "name"},
			{map[string]any{"rank": 7, "threshold_kind": "spend", "threshold": "1"}, "name"},
		} {
			wantField(t, e.Do(owner(shop, "POST", "/api/v1/admin/member-levels", tc.body)), 422, tc.field, "")
		}
		wantField(t, e.Do(owner(shop, "PATCH", "/api/v1/admin/member-levels/"+string(silver.ID), map[string]any{"threshold": "-5"})), 422, "threshold", "out_of_range")
		var ls []members.Level
		e.Must(200, owner(shop, "GET", "/api/v1/admin/member-levels", nil)).Decode(t, &ls)
		if len(ls) != 3 || !ls[1].Threshold.Equal(decimal.NewFromInt(1000)) {
			t.Fatalf("levels changed: %+v", ls)
		}
	})

	// A member registers at the entry level.
	_, id := e.Member(shop)
	mid := identity.MemberID(id)
	if d := detail(t, e, shop, id); d.Level == nil || d.Level.ID != base.ID {
		t.Fatalf("new member's level: %+v", d.Level)
	}

	record := func(order string, paid string) members.Level {
		t.Helper()
		var l members.Level
		err := memberstest.InTx(ctx, e, func(tx *db.Tx) error {
			var err error
			l, err = e.App.Members.RecordCompletedOrder(ctx, tx, mid, order, decimal.RequireFromString(paid))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	o1, o2, o3 := uuid.NewString(), uuid.NewString(), uuid.NewString()
	if l := record(o1, "600.00"); l.ID != base.ID {
		t.Fatalf("after 600: %s", l.Name)
	}
	if l := record(o1, "600.00"); l.ID != base.ID {
		t.Fatalf("replayed order: %s", l.Name)
	}
	if l := record(o2, "400.00"); l.ID != silver.ID {
		t.Fatalf("after 1000: %s", l.Name)
	}
	d := detail(t, e, shop, id)
	if !d.TotalSpend.Equal(decimal.NewFromInt(1000)) || d.Growth != 1000 {
		t.Fatalf("spend %s growth %d (a replayed order must count once)", d.TotalSpend, d.Growth)
	}
	if len(d.LevelHistory) != 2 || d.LevelHistory[0].Reason != "order" || d.LevelHistory[0].ToName != "银牌" || d.LevelHistory[1].Reason != "register" {
		t.Fatalf("history: %+v", d.LevelHistory)
	}
	// Growth reaches gold (a growth threshold).
	if l := record(o3, "4000"); l.ID != gold.ID || !l.FreeShipping || !l.PriceFactor.Equal(decimal.RequireFromString("0.9")) {
		t.Fatalf("after growth 5000: %+v", l)
	}

	t.Run("LevelOf for quoting", func(t *testing.T) {
		err := memberstest.InTx(ctx, e, func(tx *db.Tx) error {
			l, err := e.App.Members.LevelOf(ctx, tx, mid)
			if err == nil && l.ID != gold.ID {
				t.Errorf("LevelOf: %s", l.Name)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	})

	t.Run("refunds of completed orders reduce spend, the level stays", func(t *testing.T) {
		refund := func(order, refundID, amount string) bool {
			t.Helper()
			var counted bool
			err := memberstest.InTx(ctx, e, func(tx *db.Tx) error {
				var err error
				counted, err = e.App.Members.RecordOrderRefund(ctx, tx, mid, order, refundID, decimal.RequireFromString(amount))
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return counted
		}
		for _, tc := range []struct {
			name, order, refund, amount string
			counted                     bool
			spend                       string
			growth                      int64
		}{
			{"a partial refund", o3, "r1", "1000.50", true, "3999.50", 4000},
			{"the same refund again", o3, "r1", "1000.50", true, "3999.50", 4000},
			// Growth is taken back rounded down, like it was given. o2 counted 400:
			// a refund never takes back more than the order added.
			{"more than the order counted", o2, "r2", "999", true, "3599.50", 3600},
			{"an order never counted", uuid.NewString(), "r3", "50", false, "3599.50", 3600},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if got := refund(tc.order, tc.refund, tc.amount); got != tc.counted {
					t.Fatalf("counted %v", got)
				}
				d := detail(t, e, shop, id)
				if !d.TotalSpend.Equal(decimal.RequireFromString(tc.spend)) || d.Growth != tc.growth || d.Level.ID != gold.ID {
					t.Fatalf("spend %s growth %d level %s", d.TotalSpend, d.Growth, d.Level.Name)
				}
			})
		}
	})

	t.Run("a new lower threshold moves members up, never down", func(t *testing.T) {
		fresh := memberstest.Fast(t, e, shop, 1)[0]
		// Lowering silver to 0 moves the fresh member (no level yet) to
		// silver; the gold member stays gold.
		e.Must(200, owner(shop, "PATCH", "/api/v1/admin/member-levels/"+string(silver.ID), map[string]any{"threshold": "0"}))
		if d := detail(t, e, shop, string(fresh.ID)); d.Level == nil || d.Level.ID != silver.ID {
			t.Fatalf("fresh member: %+v", d.Level)
		}
		if d := detail(t, e, shop, id); d.Level.ID != gold.ID {
			t.Fatalf("gold member moved: %s", d.Level.Name)
		}
	})

	t.Run("manual level and delete rules", func(t *testing.T) {
		d := patchMember(t, e, shop, id, map[string]any{"level_id": base.ID})
		if d.Level.ID != base.ID || d.LevelHistory[0].Reason != "manual" {
			t.Fatalf("manual: %+v %+v", d.Level, d.LevelHistory[0])
		}
		res := e.Do(owner(shop, "DELETE", "/api/v1/admin/member-levels/"+string(base.ID), nil))
		if res.Status != 409 {
			t.Fatalf("deleting a held level: %s", res)
		}
		wantField(t, e.Do(owner(shop, "PATCH", "/api/v1/admin/members/"+id, map[string]any{"level_id": uuid.NewString()})), 422, "level_id", "not_found")
		empty := createLevel(t, e, shop, "钻石", 9, "spend", "1000000", nil)
		e.Must(204, owner(shop, "DELETE", "/api/v1/admin/member-levels/"+string(empty.ID), nil))
	})
}

func patchMember(t *testing.T, e *apptest.Env, shop apptest.Shop, id string, body map[string]any) members.Detail {
	t.Helper()
	var d members.Detail
	e.Must(200, owner(shop, "PATCH", "/api/v1/admin/members/"+id, body)).Decode(t, &d)
	return d
}

func TestAdminMembers(t *testing.T) {
	e := apptest.New(t)
	shop := e.Signup("admin-members")
	token, id := e.Member(shop)
	others := memberstest.Fast(t, e, shop, 3)

	var vip, cold members.Tag
	e.Must(201, owner(shop, "POST", "/api/v1/admin/member-tags", map[string]any{"name": "VIP"})).Decode(t, &vip)
	e.Must(201, owner(shop, "POST", "/api/v1/admin/member-tags", map[string]any{"name": "沉睡"})).Decode(t, &cold)
	wantField(t, e.Do(owner(shop, "POST", "/api/v1/admin/member-tags", map[string]any{"name": "VIP"})), 422, "name", "taken")

	d := patchMember(t, e, shop, id, map[string]any{"tags": []string{string(vip.ID), string(cold.ID)}})
	if len(d.Tags) != 2 {
		t.Fatalf("tags: %+v", d.Tags)
	}
	patchMember(t, e, shop, string(others[0].ID), map[string]any{"tags": []string{string(vip.ID)}})
	wantField(t, e.Do(owner(shop, "PATCH", "/api/v1/admin/members/"+id, map[string]any{"tags": []string{uuid.NewString()}})), 422, "tags", "not_found")
	if d := detail(t, e, shop, id); len(d.Tags) != 2 || d.Coupons == nil || d.Orders != nil {
		t.Fatalf("a refused tag change changed tags, or counts are wrong: %+v", d)
	}

	list := func(q string) []members.Summary {
		t.Helper()
		var out struct{ Items []members.Summary }
		e.Must(200, owner(shop, "GET", "/api/v1/admin/members?"+q, nil)).Decode(t, &out)
		return out.Items
	}
	if n := len(list("")); n != 4 {
		t.Fatalf("%d members", n)
	}
	if got := list("tag_id=" + string(vip.ID)); len(got) != 2 {
		t.Fatalf("tag filter: %d", len(got))
	}
	if got := list("keyword=member+1"); len(got) != 1 || got[0].ID != others[1].ID {
		t.Fatalf("keyword filter: %+v", got)
	}
	if got := list("keyword=%25"); len(got) != 0 {
		t.Fatalf("a %% keyword matched everything: %d", len(got))
	}
	if got := list("limit=3"); len(got) != 3 {
		t.Fatalf("limit: %d", len(got))
	}
	wantField(t, e.Do(owner(shop, "GET", "/api/v1/admin/members?phone=12", nil)), 422, "phone", "")

	t.Run("disabling ends sessions", func(t *testing.T) {
		e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/shop/me", Token: token, Tenant: shop.Slug})
		patchMember(t, e, shop, id, map[string]any{"status": "disabled"})
		e.Must(401, apptest.Req{Method: "GET", Path: "/api/v1/shop/me", Token: token, Tenant: shop.Slug})
		if got := list("status=disabled"); len(got) != 1 || string(got[0].ID) != id {
			t.Fatalf("status filter: %+v", got)
		}
		patchMember(t, e, shop, id, map[string]any{"status": "active"})
		// Re-enabling does not bring the old session back.
		e.Must(401, apptest.Req{Method: "GET", Path: "/api/v1/shop/me", Token: token, Tenant: shop.Slug})
	})

	t.Run("support may read, not write", func(t *testing.T) {
		support, _ := e.AddStaff(shop, "support")
		e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/admin/members/" + id, Token: support, Tenant: shop.Slug})
		e.Must(403, apptest.Req{Method: "PATCH", Path: "/api/v1/admin/members/" + id, Token: support, Tenant: shop.Slug, Body: map[string]any{"status": "disabled"}})
	})

	t.Run("deleting a tag untags members", func(t *testing.T) {
		e.Must(204, owner(shop, "DELETE", "/api/v1/admin/member-tags/"+string(cold.ID), nil))
		if d := detail(t, e, shop, id); len(d.Tags) != 1 || d.Tags[0].ID != vip.ID {
			t.Fatalf("tags: %+v", d.Tags)
		}
	})
}
