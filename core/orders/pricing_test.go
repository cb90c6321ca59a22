package orders_test

import (
	"testing"

	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/apptest"
)

// owner is a request by the shop's owner.
func (f *fixture) owner(method, path string, body any) apptest.Req {
	return apptest.Req{Method: method, Path: path, Token: f.shop.OwnerToken, Tenant: f.shop.Slug, Body: body}
}

// product adds an on-sale product with one SKU and answers the SKU id;
// extra fields (category_id, points_price) go into the product.
func (f *fixture) product(t testing.TB, code, price string, stock int, extra map[string]any) string {
	t.Helper()
	body := map[string]any{"title": code, "status": "on_sale", "skus": []any{map[string]any{"code": code, "price": price, "stock": stock}}}
	for k, v := range extra {
		body[k] = v
	}
	var p struct {
		SKUs []struct{ ID string } `json:"skus"`
	}
	f.e.Must(201, f.owner("POST", "/api/v1/admin/products", body)).Decode(t, &p)
	return p.SKUs[0].ID
}

// totalSpend is the member's cumulative spend as the admin sees it.
func (f *fixture) totalSpend(t testing.TB, member string) decimal.Decimal {
	t.Helper()
	var d struct {
		TotalSpend decimal.Decimal `json:"total_spend"`
	}
	f.e.Must(200, f.owner("GET", "/api/v1/admin/members/"+member, nil)).Decode(t, &d)
	return d.TotalSpend
}

func (f *fixture) category(t testing.TB, name string) string {
	t.Helper()
	var c struct{ ID string }
	f.e.Must(201, f.owner("POST", "/api/v1/admin/categories", map[string]any{"name": name})).Decode(t, &c)
	return c.ID
}

// coupon creates a coupon template and claims one for the fixture's member.
func (f *fixture) coupon(t testing.TB, tpl map[string]any) string {
	t.Helper()
	var x struct{ ID string }
	f.e.Must(201, f.owner("POST", "/api/v1/admin/coupons", tpl)).Decode(t, &x)
	var c struct{ ID string }
	f.e.Must(201, apptest.Req{Method: "POST", Path: "/api/v1/shop/coupons/" + x.ID + "/claim", Token: f.token, Tenant: f.shop.Slug}).Decode(t, &c)
	return c.ID
}

// A coupon scoped to a category is spread over that category's lines only:
// the line outside its scope keeps its price, the threshold counts only the
// covered lines, and refunding the uncovered line gives no coupon value back.
func TestCouponOnlyOnItsScope(t *testing.T) {
	f := setup(t, 10)
	tea, cups := f.category(t, "茶叶"), f.category(t, "茶具")
	teaSKU := f.product(t, "TEA-1", "66.67", 10, map[string]any{"category_id": tea})
	cupSKU := f.product(t, "CUP-X", "50.00", 10, map[string]any{"category_id": cups})
	lines := []any{map[string]any{"sku_id": teaSKU, "qty": 3}, map[string]any{"sku_id": cupSKU, "qty": 1}} // 200.01 + 50.00

	for _, tc := range []struct {
		name      string
		minSpend  string
		status    int
		code      string
		wantTea   string
		wantCup   string
		wantTotal string
	}{
		// The cart (250.01) reaches 210, the covered tea (200.01) does not.
		{name: "threshold on covered lines", minSpend: "210", status: 422, code: "below_threshold"},
		{name: "in scope", minSpend: "200", status: 200, wantTea: "30", wantCup: "0", wantTotal: "220.01"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := f.coupon(t, map[string]any{"name": tc.name, "kind": "fixed", "amount": "30", "min_spend": tc.minSpend, "valid_days": 30,
				"scope": "categories", "scope_ids": []string{tea}})
			body := map[string]any{"lines": lines, "coupon_id": c, "address_id": f.address}
			res := f.e.Do(apptest.Req{Method: "POST", Path: "/api/v1/shop/quote", Token: f.token, Tenant: f.shop.Slug, Body: body})
			if res.Status != tc.status {
				t.Fatalf("quote: %s", res)
			}
			if tc.code != "" {
				if p := res.Problem(t); len(p.Errors) == 0 || p.Errors[0].Field != "coupon_id" || p.Errors[0].Code != tc.code {
					t.Fatalf("problem: %s", res)
				}
				return
			}
			var q quote
			res.Decode(t, &q)
			if !q.Lines[0].CouponDiscount.Equal(decimal.RequireFromString(tc.wantTea)) || !q.Lines[1].CouponDiscount.Equal(decimal.RequireFromString(tc.wantCup)) ||
				!q.Lines[0].CouponDiscount.Add(q.Lines[1].CouponDiscount).Equal(decimal.NewFromInt(30)) || !q.Total.Equal(decimal.RequireFromString(tc.wantTotal)) {
				t.Fatalf("quote: %+v", q)
			}
			res = f.order(t, f.token, "k-"+c, orderBody(q, f.address, map[string]any{"lines": lines, "coupon_id": c}))
			if res.Status != 201 {
				t.Fatalf("create: %s", res)
			}
			var o order
			res.Decode(t, &o)
			f.pay(t, f.token, o.ID)
			cup := o.Lines[1]
			if !cup.PaidAmount.Equal(decimal.RequireFromString("50")) {
				t.Fatalf("cup line paid %s", cup.PaidAmount)
			}
			// The cup carries none of the coupon: its refund is its price, no more.
			f.e.Must(422, f.owner("POST", "/api/v1/admin/orders/"+o.ID+"/refunds",
				map[string]any{"lines": []any{map[string]any{"line_id": cup.ID, "qty": 1, "amount": "50.01"}}}))
			f.e.Must(201, f.owner("POST", "/api/v1/admin/orders/"+o.ID+"/refunds",
				map[string]any{"lines": []any{map[string]any{"line_id": cup.ID, "qty": 1, "amount": "50.00"}}}))
			f.trialBalanceZero(t, "refunded")
		})
	}
}
