package marketing_test

import (
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/apptest"
	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/identity"
	"github.com/banyanmall/banyan/core/marketing"
	"github.com/banyanmall/banyan/core/members"
	"github.com/banyanmall/banyan/core/members/memberstest"
)

func owner(shop apptest.Shop, method, path string, body any) apptest.Req {
	return apptest.Req{Method: method, Path: path, Token: shop.OwnerToken, Tenant: shop.Slug, Body: body}
}

func wantField(t *testing.T, res *apptest.Resp, status int, field, code string) {
	t.Helper()
	if res.Status != status {
		t.Fatalf("want %d naming %s, got %s", status, field, res)
	}
	for _, f := range res.Problem(t).Errors {
		if f.Field == field && (code == "" || f.Code == code) {
			return
		}
	}
	t.Fatalf("want an error on %s (%s), got %s", field, code, res)
}

// wantCouponErr fails unless err is a validation error on coupon_id with code.
func wantCouponErr(t *testing.T, err error, code string) {
	t.Helper()
	e, ok := err.(*errs.Error)
	if !ok || e.Code != errs.Invalid || len(e.Fields) == 0 || e.Fields[0].Field != "coupon_id" || e.Fields[0].Code != code {
		t.Fatalf("want a coupon_id %s error, got %v", code, err)
	}
}

func template(t *testing.T, e *apptest.Env, shop apptest.Shop, body map[string]any) marketing.Template {
	t.Helper()
	var tpl marketing.Template
	e.Must(201, owner(shop, "POST", "/api/v1/admin/coupons", body)).Decode(t, &tpl)
	return tpl
}

func claim(e *apptest.Env, shop apptest.Shop, token string, id marketing.TemplateID) *apptest.Resp {
	return e.Do(apptest.Req{Method: "POST", Path: "/api/v1/shop/coupons/" + string(id) + "/claim", Token: token, Tenant: shop.Slug})
}

func TestTemplateValidation(t *testing.T) {
	e := apptest.New(t)
	shop := e.Signup("coupon-rules")
	past := time.Now().Add(-time.Hour).Format(time.RFC3339)
	for _, tc := range []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"percent over 100", map[string]any{"name": "x", "kind": "percent", "percent": "101", "valid_days": 7}, "percent"},
		{"percent zero", map[string]any{"name": "x", "kind": "percent", "percent": "0", "valid_days": 7}, "percent"},
		{"negative amount", map[string]any{"name": "x", "kind": "fixed", "amount": "-5", "valid_days": 7}, "amount"},
		{"sub-cent amount", map[string]any{"name": "x", "kind": "fixed", "amount": "5.001", "valid_days": 7}, "amount"},
		{"negative threshold", map[string]any{"name": "x", "kind": "fixed", "amount": "5", "min_spend": "-1", "valid_days": 7}, "min_spend"},
		{"no validity", map[string]any{"name": "x", "kind": "fixed", "amount": "5"}, "valid_until"},
		{"already expired", map[string]any{"name": "x", "kind": "fixed", "amount": "5", "valid_until": past}, "valid_until"},
		{"scope without ids", map[string]any{"name": "x", "kind": "fixed", "amount": "5", "valid_days": 7, "scope": "products"}, "scope_ids"},
		{"unknown kind", map[string]any{"name": "x", "kind": "free", "valid_days": 7}, "kind"},
		{"fixed with a percent", map[string]any{"name": "x", "kind": "fixed", "amount": "5", "percent": "10", "valid_days": 7}, "percent"},
		{"limit zero", map[string]any{"name": "x", "kind": "fixed", "amount": "5", "valid_days": 7, "per_member_limit": 0}, "per_member_limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantField(t, e.Do(owner(shop, "POST", "/api/v1/admin/coupons", tc.body)), 422, tc.field, "")
		})
	}
	var out struct{ Items []marketing.Template }
	e.Must(200, owner(shop, "GET", "/api/v1/admin/coupons", nil)).Decode(t, &out)
	if len(out.Items) != 0 {
		t.Fatalf("refused templates were created: %+v", out.Items)
	}
	// The total cannot drop below what is out.
	tpl := template(t, e, shop, map[string]any{"name": "x", "kind": "fixed", "amount": "5", "valid_days": 7, "total_quantity": 5})
	m := memberstest.Fast(t, e, shop, 2)
	for _, mm := range m {
		if res := claim(e, shop, mm.Token, tpl.ID); res.Status != 201 {
			t.Fatal(res)
		}
	}
	wantField(t, e.Do(owner(shop, "PATCH", "/api/v1/admin/coupons/"+string(tpl.ID), map[string]any{"total_quantity": 1})), 422, "total_quantity", "below_issued")
}

func TestClaimQuoteLockRelease(t *testing.T) {
	e := apptest.New(t)
	shop := e.Signup("coupon-flow")
	ctx := memberstest.Ctx(shop)
	token, id := e.Member(shop)
	mid := identity.MemberID(id)
	catA, catB, prod := uuid.NewString(), uuid.NewString(), uuid.NewString()

	tenOff := template(t, e, shop, map[string]any{"name": "满100减10", "kind": "fixed", "amount": "10", "min_spend": "100", "valid_days": 30})
	pct := template(t, e, shop, map[string]any{"name": "服饰 85 折", "kind": "percent", "percent": "15", "max_discount": "20", "valid_days": 30,
		"scope": "categories", "scope_ids": []string{catA}})

	var claimable struct{ Items []marketing.Template }
	e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/shop/coupons", Tenant: shop.Slug}).Decode(t, &claimable)
	if len(claimable.Items) != 2 {
		t.Fatalf("claimable: %d", len(claimable.Items))
	}
	var c1, c2 marketing.Coupon
	if res := claim(e, shop, token, tenOff.ID); res.Status != 201 {
		t.Fatal(res)
	} else {
		res.Decode(t, &c1)
	}
	claim(e, shop, token, pct.ID).Decode(t, &c2)
	if res := claim(e, shop, token, tenOff.ID); res.Status != 409 {
		t.Fatalf("second claim over the per-member limit of 1: %s", res)
	}
	if c1.Status != marketing.StatusUnused || c1.ValidUntil.Sub(c1.ValidFrom) != 30*24*time.Hour {
		t.Fatalf("claimed coupon: %+v", c1)
	}

	quote := func(id marketing.CouponID, lines ...marketing.Line) (marketing.CouponQuote, error) {
		var d marketing.CouponQuote
		err := memberstest.InTx(ctx, e, func(tx *db.Tx) error {
			var err error
			d, err = e.App.Marketing.QuoteCoupon(ctx, tx, mid, id, lines)
			return err
		})
		return d, err
	}
	line := func(cat, amount string) marketing.Line {
		return marketing.Line{ProductID: prod, CategoryID: cat, Amount: decimal.RequireFromString(amount)}
	}
	for _, tc := range []struct {
		name   string
		coupon marketing.CouponID
		lines  []marketing.Line
		want   string
		cover  string // per line: 1 covered, 0 not
		code   string
	}{
		{"threshold reached", c1.ID, []marketing.Line{line(catA, "60"), line(catB, "40")}, "10", "11", ""},
		{"below threshold", c1.ID, []marketing.Line{line(catA, "99.99")}, "", "", "below_threshold"},
		{"percent of in-scope lines", c2.ID, []marketing.Line{line(catA, "33.30"), line(catB, "500")}, "5", "10", ""}, // 4.995 → 5.00 half-even
		{"percent capped", c2.ID, []marketing.Line{line(catA, "1000")}, "20", "1", ""},
		{"out of scope", c2.ID, []marketing.Line{line(catB, "100")}, "", "", "not_applicable"},
		{"someone else's coupon", marketing.CouponID(uuid.NewString()), []marketing.Line{line(catA, "100")}, "", "", "not_found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := quote(tc.coupon, tc.lines...)
			if tc.code != "" {
				wantCouponErr(t, err, tc.code)
				return
			}
			if err != nil || !d.Discount.Equal(decimal.RequireFromString(tc.want)) {
				t.Fatalf("discount %s (%v), want %s", d.Discount, err, tc.want)
			}
			cover := ""
			for _, c := range d.Covered {
				cover += map[bool]string{true: "1", false: "0"}[c]
			}
			if cover != tc.cover {
				t.Fatalf("covered %s, want %s", cover, tc.cover)
			}
		})
	}

	order := uuid.NewString()
	lock := func(id marketing.CouponID, order string) error {
		return memberstest.InTx(ctx, e, func(tx *db.Tx) error { return e.App.Marketing.LockCoupon(ctx, tx, mid, id, order) })
	}
	release := func(id marketing.CouponID, order string) error {
		return memberstest.InTx(ctx, e, func(tx *db.Tx) error { return e.App.Marketing.ReleaseCoupon(ctx, tx, mid, id, order) })
	}
	if err := lock(c1.ID, order); err != nil {
		t.Fatal(err)
	}
	if err := lock(c1.ID, order); err != nil {
		t.Fatalf("locking again for the same order: %v", err)
	}
	wantCouponErr(t, lock(c1.ID, uuid.NewString()), "used")
	_, err := quote(c1.ID, line(catA, "200"))
	wantCouponErr(t, err, "used")
	myCoupons := func(status string) []marketing.Coupon {
		var out struct{ Items []marketing.Coupon }
		e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/shop/me/coupons?status=" + status, Token: token, Tenant: shop.Slug}).Decode(t, &out)
		return out.Items
	}
	if used := myCoupons("used"); len(used) != 1 || used[0].ID != c1.ID || *used[0].OrderID != order {
		t.Fatalf("used coupons: %+v", used)
	}
	if err := release(c1.ID, uuid.NewString()); !errs.Is(err, errs.Conflict) {
		t.Fatalf("releasing for another order: %v", err)
	}
	if err := release(c1.ID, order); err != nil {
		t.Fatal(err)
	}
	if n := len(myCoupons("unused")); n != 2 {
		t.Fatalf("%d unused after release", n)
	}

	t.Run("expired coupons", func(t *testing.T) {
		if _, err := e.DB.Owner.Exec(`UPDATE coupons SET valid_until = now() - interval '1 second' WHERE id = $1`, c1.ID); err != nil {
			t.Fatal(err)
		}
		_, err := quote(c1.ID, line(catA, "200"))
		wantCouponErr(t, err, "expired")
		wantCouponErr(t, lock(c1.ID, uuid.NewString()), "expired")
		if exp := myCoupons("expired"); len(exp) != 1 || exp[0].Status != marketing.StatusExpired {
			t.Fatalf("expired list: %+v", exp)
		}
		var d members.Detail
		e.Must(200, owner(shop, "GET", "/api/v1/admin/members/"+id, nil)).Decode(t, &d)
		if d.Coupons["expired"] != 1 || d.Coupons["unused"] != 1 {
			t.Fatalf("coupon counts: %v", d.Coupons)
		}
	})

	t.Run("disabled templates stop claims", func(t *testing.T) {
		other := memberstest.Fast(t, e, shop, 1)[0]
		e.Must(204, owner(shop, "DELETE", "/api/v1/admin/coupons/"+string(pct.ID), nil))
		if res := claim(e, shop, other.Token, pct.ID); res.Status != 409 {
			t.Fatalf("claiming a disabled coupon: %s", res)
		}
		// Coupons already held stay usable.
		if d, err := quote(c2.ID, line(catA, "100")); err != nil || !d.Discount.Equal(decimal.NewFromInt(15)) {
			t.Fatalf("held coupon of a disabled template: %s %v", d.Discount, err)
		}
	})
}

// Two checkouts with the same coupon at once: exactly one gets it.
func TestConcurrentCheckoutsUseACouponOnce(t *testing.T) {
	e := apptest.New(t)
	shop := e.Signup("coupon-race")
	ctx := memberstest.Ctx(shop)
	m := memberstest.Fast(t, e, shop, 1)[0]
	tpl := template(t, e, shop, map[string]any{"name": "5 off", "kind": "fixed", "amount": "5", "valid_days": 7})
	var c marketing.Coupon
	claim(e, shop, m.Token, tpl.ID).Decode(t, &c)

	for round := range 5 {
		if round > 0 {
			if _, err := e.DB.Owner.Exec(`UPDATE coupons SET status = 'unused', order_id = NULL, used_at = NULL WHERE id = $1`, c.ID); err != nil {
				t.Fatal(err)
			}
		}
		start := make(chan struct{})
		var wg sync.WaitGroup
		results := make([]error, 2)
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				results[i] = memberstest.InTx(ctx, e, func(tx *db.Tx) error {
					if _, err := e.App.Marketing.QuoteCoupon(ctx, tx, m.ID, c.ID, []marketing.Line{{Amount: decimal.NewFromInt(50)}}); err != nil {
						return err
					}
					return e.App.Marketing.LockCoupon(ctx, tx, m.ID, c.ID, uuid.NewString())
				})
			}()
		}
		close(start)
		wg.Wait()
		ok := 0
		for _, err := range results {
			if err == nil {
				ok++
			} else {
				wantCouponErr(t, err, "used")
			}
		}
		if ok != 1 {
			t.Fatalf("round %d: %d checkouts used the coupon: %v", round, ok, results)
		}
	}
}

func TestConcurrentClaims(t *testing.T) {
	e := apptest.New(t)
	shop := e.Signup("coupon-rush")
	ms := memberstest.Fast(t, e, shop, 50)

	t.Run("total quantity", func(t *testing.T) {
		tpl := template(t, e, shop, map[string]any{"name": "限量 10", "kind": "fixed", "amount": "5", "valid_days": 7, "total_quantity": 10})
		statuses := make([]int, len(ms))
		var wg sync.WaitGroup
		for i, m := range ms {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses[i] = claim(e, shop, m.Token, tpl.ID).Status
			}()
		}
		wg.Wait()
		won := 0
		for _, s := range statuses {
			switch s {
			case 201:
				won++
			case 409:
			default:
				t.Errorf("claim answered %d", s)
			}
		}
		var got marketing.Template
		e.Must(200, owner(shop, "GET", "/api/v1/admin/coupons/"+string(tpl.ID), nil)).Decode(t, &got)
		var held int
		if err := e.DB.Owner.Get(&held, `SELECT count(*) FROM coupons WHERE template_id = $1`, tpl.ID); err != nil {
			t.Fatal(err)
		}
		if won != 10 || got.IssuedCount != 10 || held != 10 {
			t.Fatalf("50 claims of 10: %d won, issued_count %d, %d held", won, got.IssuedCount, held)
		}
	})

	t.Run("per-member limit", func(t *testing.T) {
		tpl := template(t, e, shop, map[string]any{"name": "每人 2 张", "kind": "fixed", "amount": "5", "valid_days": 7, "per_member_limit": 2})
		var wg sync.WaitGroup
		var mu sync.Mutex
		won := 0
		for range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if claim(e, shop, ms[0].Token, tpl.ID).Status == 201 {
					mu.Lock()
					won++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if won != 2 {
			t.Fatalf("one member claimed %d with a limit of 2", won)
		}
	})
}

func TestIssue(t *testing.T) {
	e := apptest.New(t)
	shop := e.Signup("coupon-issue")
	ms := memberstest.Fast(t, e, shop, 5)
	var level members.Level
	e.Must(201, owner(shop, "POST", "/api/v1/admin/member-levels", map[string]any{"name": "普通", "rank": 0, "threshold_kind": "spend", "threshold": "0"})).Decode(t, &level)
	var tag members.Tag
	e.Must(201, owner(shop, "POST", "/api/v1/admin/member-tags", map[string]any{"name": "VIP"})).Decode(t, &tag)
	for _, m := range ms[:2] {
		e.Must(200, owner(shop, "PATCH", "/api/v1/admin/members/"+string(m.ID), map[string]any{"tags": []string{string(tag.ID)}}))
	}
	e.Must(200, owner(shop, "PATCH", "/api/v1/admin/members/"+string(ms[4].ID), map[string]any{"status": "disabled"}))
	tpl := template(t, e, shop, map[string]any{"name": "会员礼", "kind": "fixed", "amount": "20", "valid_days": 14, "claimable": false, "total_quantity": 6})

	issue := func(body map[string]any) marketing.IssueResult {
		t.Helper()
		if body["member_ids"] == nil {
			return waitIssue(t, e, shop, startIssue(t, e, shop, tpl.ID, body).ID).IssueResult
		}
		var r marketing.IssueResult
		e.Must(200, owner(shop, "POST", "/api/v1/admin/coupons/"+string(tpl.ID)+"/issue", body)).Decode(t, &r)
		return r
	}
	if r := issue(map[string]any{"tag_id": tag.ID}); r.Targeted != 2 || r.Issued != 2 {
		t.Fatalf("to a tag: %+v", r)
	}
	// The level holds 4 active members; 2 already hold their one coupon and
	// 4 are left of the 6.
	if r := issue(map[string]any{"level_id": level.ID}); r.Targeted != 4 || r.Issued != 2 || r.SkippedLimit != 2 {
		t.Fatalf("to a level: %+v", r)
	}
	if r := issue(map[string]any{"member_ids": []string{string(ms[4].ID), uuid.NewString()}}); r.Targeted != 0 || r.Issued != 0 {
		t.Fatalf("to a disabled and an unknown member: %+v", r)
	}
	e.Must(200, owner(shop, "PATCH", "/api/v1/admin/coupons/"+string(tpl.ID), map[string]any{"per_member_limit": 5}))
	if r := issue(map[string]any{"level_id": level.ID}); r.Issued != 2 || r.SkippedQuantity != 2 {
		t.Fatalf("past the quantity: %+v", r)
	}
	var list []marketing.IssueJob
	e.Must(200, owner(shop, "GET", "/api/v1/admin/coupons/"+string(tpl.ID)+"/issues", nil)).Decode(t, &list)
	if len(list) != 3 || list[0].Total != 4 || list[0].Status != marketing.IssueDone || list[2].TagID == nil {
		t.Fatalf("issues of the template: %+v", list)
	}
	// A level or a tag is issued in the background only; a list at once only.
	wantField(t, e.Do(owner(shop, "POST", "/api/v1/admin/coupons/"+string(tpl.ID)+"/issue", map[string]any{"level_id": level.ID})), 422, "member_ids", "required")
	wantField(t, e.Do(owner(shop, "POST", "/api/v1/admin/coupons/"+string(tpl.ID)+"/issues", map[string]any{"member_ids": []string{string(ms[0].ID)}})), 422, "level_id", "required")
	wantField(t, e.Do(owner(shop, "POST", "/api/v1/admin/coupons/"+string(tpl.ID)+"/issues", map[string]any{"level_id": level.ID, "tag_id": tag.ID})), 422, "member_ids", "one_target")
	wantField(t, e.Do(owner(shop, "POST", "/api/v1/admin/coupons/"+string(tpl.ID)+"/issues", map[string]any{"level_id": uuid.NewString()})), 422, "level_id", "not_found")
	wantField(t, e.Do(owner(shop, "POST", "/api/v1/admin/coupons/"+string(tpl.ID)+"/issue", map[string]any{"level_id": level.ID, "tag_id": tag.ID})), 422, "member_ids", "one_target")
	wantField(t, e.Do(owner(shop, "POST", "/api/v1/admin/coupons/"+string(tpl.ID)+"/issues", map[string]any{"tag_id": uuid.NewString()})), 422, "tag_id", "not_found")
	// Not claimable: members cannot claim it themselves.
	if res := claim(e, shop, ms[3].Token, tpl.ID); res.Status != 404 {
		t.Fatalf("claiming an issue-only coupon: %s", res)
	}
	var got marketing.Template
	e.Must(200, owner(shop, "GET", "/api/v1/admin/coupons/"+string(tpl.ID), nil)).Decode(t, &got)
	if got.IssuedCount != 6 {
		t.Fatalf("issued_count %d", got.IssuedCount)
	}
}
