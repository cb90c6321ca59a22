package orders_test

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/apptest"
	"github.com/banyanmall/banyan/core/catalog"
	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/promotions"
)

// owner is a request by the shop's owner.
func (f *fixture) owner(method, path string, body any) apptest.Req {
	return apptest.Req{Method: method, Path: path, Token: f.shop.OwnerToken, Tenant: f.shop.Slug, Body: body}
}

// product adds an on-sale product with one SKU and answers the SKU id;
// extra fields (category_id, points_price) go into the product.
func (f *fixture) product(t testing.TB, code, price string, stock int, extra map[string]any) string {
	t.Helper()
	sku, _ := f.productIDs(t, code, price, stock, extra)
	return sku
}

func (f *fixture) productIDs(t testing.TB, code, price string, stock int, extra map[string]any) (sku, product string) {
	t.Helper()
	body := map[string]any{"title": code, "status": "on_sale", "skus": []any{map[string]any{"code": code, "price": price, "stock": stock}}}
	for k, v := range extra {
		body[k] = v
	}
	var p struct {
		ID   string
		SKUs []struct{ ID string } `json:"skus"`
	}
	f.e.Must(201, f.owner("POST", "/api/v1/admin/products", body)).Decode(t, &p)
	return p.SKUs[0].ID, p.ID
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
			f.answeredAsStored(t, res, o.ID)
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
			f.readsAgree(t, o.ID)
			f.trialBalanceZero(t, "refunded")
		})
	}
}

// pricedLine is a quote or order line as these tests read it.
type pricedLine struct {
	ID             string          `json:"id"`
	LineID         string          `json:"line_id"`
	SKUID          string          `json:"sku_id"`
	Title          string          `json:"title"`
	SKUCode        string          `json:"sku_code"`
	Kind           string          `json:"kind"`
	Qty            int             `json:"qty"`
	Points         int64           `json:"points"`
	CouponDiscount decimal.Decimal `json:"coupon_discount"`
	Paid           decimal.Decimal `json:"paid"`
	PaidAmount     decimal.Decimal `json:"paid_amount"`
}

type pricedQuote struct {
	Total          decimal.Decimal `json:"total"`
	Signature      string          `json:"signature"`
	ExpiresAt      time.Time       `json:"expires_at"`
	ExchangePoints int64           `json:"exchange_points"`
	Lines          []pricedLine    `json:"lines"`
	Promotions     []struct {
		CampaignID string   `json:"campaign_id"`
		Gift       bool     `json:"gift"`
		LineIDs    []string `json:"line_ids"`
		Note       string   `json:"note"`
	} `json:"promotions"`
}

type pricedOrder struct {
	ID             string       `json:"id"`
	State          string       `json:"state"`
	ExchangePoints int64        `json:"exchange_points"`
	Lines          []pricedLine `json:"lines"`
}

func (f *fixture) pricedQuote(t testing.TB, token, address string, body map[string]any) (pricedQuote, *apptest.Resp) {
	t.Helper()
	body["address_id"] = address
	res := f.e.Do(apptest.Req{Method: "POST", Path: "/api/v1/shop/quote", Token: token, Tenant: f.shop.Slug, Body: body})
	var q pricedQuote
	if res.Status == 200 {
		res.Decode(t, &q)
	}
	return q, res
}

func (f *fixture) placeOrder(t testing.TB, token, address, key string, q pricedQuote, in map[string]any) (pricedOrder, *apptest.Resp) {
	t.Helper()
	body := map[string]any{"address_id": address, "quote_signature": q.Signature, "quote_expires_at": q.ExpiresAt}
	for k, v := range in {
		if k != "address_id" {
			body[k] = v
		}
	}
	res := f.order(t, token, key, body)
	var o pricedOrder
	if res.Status == 201 || res.Status == 200 {
		res.Decode(t, &o)
	}
	return o, res
}

func (f *fixture) stockOf(t testing.TB, sku string) int {
	t.Helper()
	var v []catalog.SKUView
	err := f.e.App.DB.InTenant(f.ctx(), func(tx *db.Tx) error {
		var err error
		v, err = f.e.App.Catalog.SKUsForQuote(f.ctx(), tx, []catalog.SKUID{catalog.SKUID(sku)})
		return err
	})
	if err != nil || len(v) != 1 {
		t.Fatalf("stock of %s: %v", sku, err)
	}
	return v[0].Stock
}

func wantProblem(t testing.TB, res *apptest.Resp, status int, field, code string) {
	t.Helper()
	if res.Status != status {
		t.Fatalf("want %d, got %s", status, res)
	}
	for _, e := range res.Problem(t).Errors {
		if e.Field == field && e.Code == code {
			return
		}
	}
	t.Fatalf("want %s %s: %s", field, code, res)
}

// Buy 2 cups, get a saucer: promotion-basic's gift becomes a line at price
// 0 with its snapshot, takes stock, earns no commission, and its campaign's
// use is recorded; once the saucers run out the quote still prices the cups
// and says the gift is out of stock.
func TestPromotionGifts(t *testing.T) {
	f := setup(t, 10)
	e := f.e
	e.Must(200, f.owner("PUT", "/api/v1/admin/plugins/promotion-basic", map[string]any{"enabled": true, "config": map[string]any{}}))
	cup, cupProduct := f.productIDs(t, "CUP-G", "30.00", 10, nil)
	saucer := f.product(t, "SAUCER", "12.00", 1, nil)
	c, err := e.App.Promotions.Create(f.ctx(), promotions.CampaignInput{Name: "买二送碟", Plugin: "promotion-basic", Status: "active",
		Config: json.RawMessage(fmt.Sprintf(`{"type":"buy_x_get_y","scope":{"type":"products","ids":[%q]},"buy_quantity":2,"gift_sku_id":%q,"gift_quantity":1}`, cupProduct, saucer))})
	if err != nil {
		t.Fatal(err)
	}
	in := map[string]any{"lines": []any{map[string]any{"sku_id": cup, "qty": 2}}}
	q, res := f.pricedQuote(t, f.token, f.address, in)
	if res.Status != 200 || len(q.Lines) != 2 || len(q.Promotions) != 1 {
		t.Fatalf("quote: %s", res)
	}
	gift := q.Lines[1]
	if gift.Kind != "gift" || gift.SKUID != saucer || gift.SKUCode != "SAUCER" || gift.Title != "SAUCER" || !gift.Paid.IsZero() ||
		!q.Total.Equal(decimal.NewFromInt(60)) || !q.Promotions[0].Gift || q.Promotions[0].LineIDs[0] != gift.LineID || q.Promotions[0].Note != "" {
		t.Fatalf("gift line: %s", res)
	}
	o, res := f.placeOrder(t, f.token, f.address, "k-gift", q, in)
	if res.Status != 201 || len(o.Lines) != 2 || o.Lines[1].Kind != "gift" || !o.Lines[1].PaidAmount.IsZero() {
		t.Fatalf("order: %s", res)
	}
	if n := f.stockOf(t, saucer); n != 0 {
		t.Fatalf("saucer stock %d: the gift must be reserved", n)
	}
	f.answeredAsStored(t, res, o.ID)
	f.pay(t, f.token, o.ID)
	f.readsAgree(t, o.ID)
	f.trialBalanceZero(t, "paid")
	var camp struct {
		UsedCount int64 `json:"used_count"`
	}
	e.Must(200, f.owner("GET", "/api/v1/admin/promotions/"+string(c.ID), nil)).Decode(t, &camp)
	if camp.UsedCount != 1 {
		t.Fatalf("gift campaign used %d times", camp.UsedCount)
	}
	err = e.App.DB.InTenant(f.ctx(), func(tx *db.Tx) error {
		po, err := e.App.Orders.PaidOrder(f.ctx(), tx, o.ID)
		if err == nil && (po.Lines[0].Distribution != "default" || po.Lines[1].Distribution != "none") {
			t.Errorf("commission modes: %+v", po.Lines)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	// No saucer left: the cups still sell, the gift is noted as missing.
	q, res = f.pricedQuote(t, f.token, f.address, in)
	if res.Status != 200 || len(q.Lines) != 1 || len(q.Promotions) != 1 || len(q.Promotions[0].LineIDs) != 0 || q.Promotions[0].Note == "" {
		t.Fatalf("quote without stock for the gift: %s", res)
	}
	if _, res := f.placeOrder(t, f.token, f.address, "k-gift-2", q, in); res.Status != 201 {
		t.Fatalf("order without the gift: %s", res)
	}
}

// points adds points to a member by hand and answers the member's balance.
func (f *fixture) points(t testing.TB, member, token string, add int64) int64 {
	t.Helper()
	if add != 0 {
		f.e.Must(201, f.owner("POST", "/api/v1/admin/members/"+member+"/points", map[string]any{"points": add, "reason": "test"}))
	}
	var p struct{ Balance int64 }
	f.e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/shop/me/points", Token: token, Tenant: f.shop.Slug}).Decode(t, &p)
	return p.Balance
}

// Points goods: a line with "exchange": true costs 0 and points_price × qty
// points, spent with the order; an order of points goods only, with no
// shipping fee, is paid at once; cancelling gives the points back.
func TestPointsExchange(t *testing.T) {
	f := setup(t, 10)
	mug := f.product(t, "MUG-P", "80.00", 10, map[string]any{"points_price": 500})
	if b := f.points(t, f.member, f.token, 1200); b != 1200 {
		t.Fatalf("balance %d", b)
	}
	exchange := func(sku string, qty int) map[string]any {
		return map[string]any{"lines": []any{map[string]any{"sku_id": sku, "qty": qty, "exchange": true}}}
	}

	t.Run("happy path: paid at once, no money", func(t *testing.T) {
		q, res := f.pricedQuote(t, f.token, f.address, exchange(mug, 2))
		if res.Status != 200 || q.ExchangePoints != 1000 || !q.Total.IsZero() || q.Lines[0].Kind != "exchange" || q.Lines[0].Points != 1000 || !q.Lines[0].Paid.IsZero() {
			t.Fatalf("quote: %s", res)
		}
		o, res := f.placeOrder(t, f.token, f.address, "k-ex-1", q, exchange(mug, 2))
		if res.Status != 201 || o.State != "paid" || o.ExchangePoints != 1000 || o.Lines[0].Kind != "exchange" || o.Lines[0].Points != 1000 {
			t.Fatalf("order: %s", res)
		}
		f.answeredAsStored(t, res, o.ID) // paid at once, and answered paid
		f.readsAgree(t, o.ID)
		if b := f.points(t, f.member, f.token, 0); b != 200 {
			t.Fatalf("balance after the exchange: %d", b)
		}
		if n := f.stockOf(t, mug); n != 8 {
			t.Fatalf("stock %d", n)
		}
		f.trialBalanceZero(t, "exchanged")
		err := f.e.App.DB.InTenant(f.ctx(), func(tx *db.Tx) error {
			po, err := f.e.App.Orders.PaidOrder(f.ctx(), tx, o.ID)
			if err == nil && po.Lines[0].Distribution != "none" {
				t.Errorf("an exchange line takes part in distribution: %+v", po.Lines[0])
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	})

	t.Run("refused: not enough points, not points goods; nothing changes", func(t *testing.T) {
		_, res := f.pricedQuote(t, f.token, f.address, exchange(mug, 1))
		wantProblem(t, res, 409, "points", "insufficient_points")
		_, res = f.pricedQuote(t, f.token, f.address, exchange(f.sku, 1))
		wantProblem(t, res, 422, "lines[0].exchange", "not_points_goods")
		if b := f.points(t, f.member, f.token, 0); b != 200 {
			t.Fatalf("balance %d", b)
		}
		if n := f.stockOf(t, mug); n != 8 {
			t.Fatalf("stock %d", n)
		}
	})

	t.Run("mixed order pays money; cancelling returns the points", func(t *testing.T) {
		f.points(t, f.member, f.token, 1000) // 1200
		in := map[string]any{"lines": []any{map[string]any{"sku_id": mug, "qty": 1, "exchange": true}, map[string]any{"sku_id": f.sku, "qty": 1}}}
		q, res := f.pricedQuote(t, f.token, f.address, in)
		if res.Status != 200 || q.ExchangePoints != 500 || !q.Total.Equal(decimal.NewFromInt(100)) {
			t.Fatalf("quote: %s", res)
		}
		o, res := f.placeOrder(t, f.token, f.address, "k-ex-mixed", q, in)
		if res.Status != 201 || o.State != "pending_payment" {
			t.Fatalf("order: %s", res)
		}
		if b := f.points(t, f.member, f.token, 0); b != 700 {
			t.Fatalf("balance after ordering: %d", b)
		}
		f.e.Must(200, apptest.Req{Method: "POST", Path: "/api/v1/shop/orders/" + o.ID + "/cancel", Token: f.token, Tenant: f.shop.Slug})
		f.holds(t, 1200, mug, 8, "cancelled")
	})

	t.Run("concurrent exchanges beyond the balance", func(t *testing.T) {
		token, member := f.e.Member(f.shop)
		var a struct{ ID string }
		f.e.Must(201, apptest.Req{Method: "POST", Path: "/api/v1/shop/me/addresses", Token: token, Tenant: f.shop.Slug, Body: map[string]any{
			"name": "Han Meimei", "phone": "13800138001", "province": "上海市", "city": "上海市", "district": "徐汇区", "detail": "1 号"}}).Decode(t, &a)
		f.points(t, member, token, 1000) // two mugs' worth
		q, res := f.pricedQuote(t, token, a.ID, exchange(mug, 1))
		if res.Status != 200 {
			t.Fatalf("quote: %s", res)
		}
		const n = 5
		statuses := make([]int, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, res := f.placeOrder(t, token, a.ID, fmt.Sprintf("k-race-%d", i), q, exchange(mug, 1))
				statuses[i] = res.Status
				if res.Status != 201 {
					for _, e := range res.Problem(t).Errors {
						if e.Code != "insufficient_points" {
							t.Errorf("refusal: %s", res)
						}
					}
				}
			}()
		}
		close(start)
		wg.Wait()
		ok := 0
		for _, s := range statuses {
			if s == 201 {
				ok++
			}
		}
		if ok != 2 {
			t.Fatalf("%d exchanges succeeded (%v), want 2", ok, statuses)
		}
		if b := f.points(t, member, token, 0); b != 0 {
			t.Fatalf("balance %d", b)
		}
		if s := f.stockOf(t, mug); s != 6 {
			t.Fatalf("stock %d", s)
		}
	})
}

// holds checks the fixture member's points balance, sku's stock and that
// the ledger balances, after what when says.
func (f *fixture) holds(t *testing.T, points int64, sku string, stock int, when string) {
	t.Helper()
	if b := f.points(t, f.member, f.token, 0); b != points {
		t.Fatalf("%s: balance %d points, want %d", when, b, points)
	}
	if n := f.stockOf(t, sku); n != stock {
		t.Fatalf("%s: stock %d, want %d", when, n, stock)
	}
	f.trialBalanceZero(t, when)
}

// Points goods come back through after-sales and staff refunds: their points
// go back exactly (points_price × quantity), no money moves and no provider
// is asked, restocking is as asked; a money refund of the other lines of a
// mixed order never returns exchanged points.
func TestPointsGoodsComeBack(t *testing.T) {
	f := setup(t, 10)
	mug := f.product(t, "MUG-R", "80.00", 10, map[string]any{"points_price": 500})
	f.points(t, f.member, f.token, 2000)
	lines := func(in ...map[string]any) map[string]any {
		out := []any{}
		for _, l := range in {
			out = append(out, l)
		}
		return map[string]any{"lines": out}
	}
	mugs := func(n int) map[string]any { return map[string]any{"sku_id": mug, "qty": n, "exchange": true} }
	q, res := f.pricedQuote(t, f.token, f.address, lines(mugs(3)))
	if res.Status != 200 {
		t.Fatalf("quote: %s", res)
	}
	o, res := f.placeOrder(t, f.token, f.address, "k-back-1", q, lines(mugs(3)))
	if res.Status != 201 || o.State != "paid" {
		t.Fatalf("order: %s", res)
	}
	line := o.Lines[0].ID
	if b := f.points(t, f.member, f.token, 0); b != 500 {
		t.Fatalf("balance after exchanging 3: %d", b)
	}

	t.Run("after-sales: one mug back, 500 points back, no money", func(t *testing.T) {
		var a struct {
			ID     string
			Amount decimal.Decimal
			State  string
		}
		f.e.Must(201, apptest.Req{Method: "POST", Path: "/api/v1/shop/orders/" + o.ID + "/after-sales", Token: f.token, Tenant: f.shop.Slug,
			Body: map[string]any{"kind": "refund_only", "reason": "cracked", "lines": []any{map[string]any{"line_id": line, "qty": 1}}}}).Decode(t, &a)
		if !a.Amount.IsZero() {
			t.Fatalf("a points-goods request asks for %s of money", a.Amount)
		}
		f.e.Must(200, apptest.Req{Method: "POST", Path: "/api/v1/admin/after-sales/" + a.ID + "/approve", Token: f.shop.OwnerToken, Tenant: f.shop.Slug,
			Body: map[string]any{}}).Decode(t, &a)
		if a.State != "refunded" {
			t.Fatalf("after approval the request is %s, want refunded (no provider to wait for)", a.State)
		}
		f.holds(t, 1000, mug, 7, "one back by refund_only (no restock)")
	})

	t.Run("refused: money on points goods, too many, 0 on a sale line", func(t *testing.T) {
		res := f.e.Do(apptest.Req{Method: "POST", Path: "/api/v1/admin/orders/" + o.ID + "/refunds", Token: f.shop.OwnerToken, Tenant: f.shop.Slug,
			Body: map[string]any{"lines": []any{map[string]any{"line_id": line, "qty": 1, "amount": "1.00"}}}})
		wantProblem(t, res, 422, "lines[0].amount", "above_paid")
		res = f.e.Do(apptest.Req{Method: "POST", Path: "/api/v1/admin/orders/" + o.ID + "/refunds", Token: f.shop.OwnerToken, Tenant: f.shop.Slug,
			Body: map[string]any{"lines": []any{map[string]any{"line_id": line, "qty": 3, "amount": "0"}}}})
		wantProblem(t, res, 422, "lines[0].amount", "above_paid")
		res = f.e.Do(apptest.Req{Method: "POST", Path: "/api/v1/admin/orders/" + o.ID + "/refunds", Token: f.shop.OwnerToken, Tenant: f.shop.Slug,
			Body: map[string]any{"lines": []any{map[string]any{"line_id": line, "qty": 0, "amount": "0"}}}})
		wantProblem(t, res, 422, "lines[0].amount", "out_of_range")
		if b := f.points(t, f.member, f.token, 0); b != 1000 {
			t.Fatalf("balance %d after refusals", b)
		}
	})

	t.Run("staff refund with restock: the other two back", func(t *testing.T) {
		var r struct {
			Status string
			Amount decimal.Decimal
		}
		f.e.Must(201, apptest.Req{Method: "POST", Path: "/api/v1/admin/orders/" + o.ID + "/refunds", Token: f.shop.OwnerToken, Tenant: f.shop.Slug,
			Body: map[string]any{"lines": []any{map[string]any{"line_id": line, "qty": 2, "amount": "0"}}, "restock": true, "reason": "returned"}}).Decode(t, &r)
		if r.Status != "succeeded" || !r.Amount.IsZero() {
			t.Fatalf("refund %+v", r)
		}
		f.holds(t, 2000, mug, 9, "the other two back, restocked")
	})

	t.Run("mixed order: refunding the money keeps the exchanged points spent", func(t *testing.T) {
		in := lines(mugs(1), map[string]any{"sku_id": f.sku, "qty": 1})
		q, res := f.pricedQuote(t, f.token, f.address, in)
		if res.Status != 200 {
			t.Fatalf("quote: %s", res)
		}
		o, res := f.placeOrder(t, f.token, f.address, "k-back-mixed", q, in)
		if res.Status != 201 {
			t.Fatalf("order: %s", res)
		}
		f.pay(t, f.token, o.ID)
		d := f.refunds(t, o.ID)
		refunded := 0
		for _, l := range d.Lines {
			if l.PaidAmount.IsPositive() { // the sale line
				if res := f.refund(o.ID, l.ID, l.PaidAmount, "whole money back"); res.Status != 201 {
					t.Fatalf("refund: %s", res)
				}
				refunded++
			}
		}
		if refunded != 1 {
			t.Fatalf("%d lines with money in %+v", refunded, d.Lines)
		}
		if b := f.points(t, f.member, f.token, 0); b != 1500 {
			t.Fatalf("balance %d after refunding all the money, want 1500: the mug's 500 stay spent", b)
		}
		f.trialBalanceZero(t, "mixed refunded")
	})
}

// Points goods and points redeemed as money draw on one balance: asking to
// redeem more than the exchange leaves gets what is left (the quote used to
// offer both in full and order creation then refused).
func TestExchangeAndRedeemShareOneBalance(t *testing.T) {
	f := setup(t, 10)
	mug := f.product(t, "MUG-S", "80.00", 10, map[string]any{"points_price": 500})
	f.points(t, f.member, f.token, 800)
	in := map[string]any{"lines": []any{map[string]any{"sku_id": mug, "qty": 1, "exchange": true}, map[string]any{"sku_id": f.sku, "qty": 1}}, "points": 1000}
	q, res := f.pricedQuote(t, f.token, f.address, in)
	if res.Status != 200 {
		t.Fatalf("quote: %s", res)
	}
	var used struct {
		PointsUsed int64 `json:"points_used"`
	}
	res.Decode(t, &used)
	if q.ExchangePoints != 500 || used.PointsUsed != 300 {
		t.Fatalf("exchange %d, redeemed %d: want 500 and the 300 left", q.ExchangePoints, used.PointsUsed)
	}
	o, res := f.placeOrder(t, f.token, f.address, "k-one-balance", q, in)
	if res.Status != 201 || o.ExchangePoints != 500 {
		t.Fatalf("order: %s", res)
	}
	if b := f.points(t, f.member, f.token, 0); b != 0 {
		t.Fatalf("balance %d, want 0", b)
	}
}

// The last gift, wanted by many orders at once: one order gets it. Every
// other order was quoted with the gift, so it must quote again
// (quote_changed) — whether its re-run quote already saw the gift gone or
// the gift went between that re-run and its reservation — and is never
// refused for a shortage of a line its customer did not add.
func TestLastGiftUnderConcurrency(t *testing.T) {
	f := setup(t, 10)
	e := f.e
	e.Must(200, f.owner("PUT", "/api/v1/admin/plugins/promotion-basic", map[string]any{"enabled": true, "config": map[string]any{}}))
	cup, cupProduct := f.productIDs(t, "CUP-L", "30.00", 100, nil)
	saucer := f.product(t, "SAUCER-L", "12.00", 1, nil)
	if _, err := e.App.Promotions.Create(f.ctx(), promotions.CampaignInput{Name: "买二送碟", Plugin: "promotion-basic", Status: "active",
		Config: json.RawMessage(fmt.Sprintf(`{"type":"buy_x_get_y","scope":{"type":"products","ids":[%q]},"buy_quantity":2,"gift_sku_id":%q,"gift_quantity":1}`, cupProduct, saucer))}); err != nil {
		t.Fatal(err)
	}
	in := map[string]any{"lines": []any{map[string]any{"sku_id": cup, "qty": 2}}}
	const n = 12
	bodies := make([]map[string]any, n)
	for i := range bodies {
		q, res := f.pricedQuote(t, f.token, f.address, in)
		if res.Status != 200 || len(q.Lines) != 2 {
			t.Fatalf("quote %d: %s", i, res)
		}
		bodies[i] = map[string]any{"address_id": f.address, "quote_signature": q.Signature, "quote_expires_at": q.ExpiresAt, "lines": in["lines"]}
	}
	type answer struct {
		status int
		code   string
	}
	answers := make([]answer, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			res := f.order(t, f.token, fmt.Sprintf("k-last-gift-%d", i), bodies[i])
			var p struct{ Code string }
			_ = json.Unmarshal(res.Body, &p)
			answers[i] = answer{res.Status, p.Code}
		})
	}
	wg.Wait()
	placed, requote := 0, 0
	for _, a := range answers {
		switch {
		case a.status == 201:
			placed++
		case a.status == 409 && a.code == "quote_changed":
			requote++
		}
	}
	if placed != 1 || requote != n-1 {
		t.Fatalf("answers %+v: want one 201 and the rest 409 quote_changed", answers)
	}
	if s, c := f.stockOf(t, saucer), f.stockOf(t, cup); s != 0 || c != 98 {
		t.Fatalf("stock: saucers %d, cups %d; want 0 and 98", s, c)
	}
}
