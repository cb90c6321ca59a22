package orders_test

import (
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/apptest"
)

func (f *fixture) place(t *testing.T, qty int, key string) order {
	t.Helper()
	in := map[string]any{"lines": []any{map[string]any{"sku_id": f.sku, "qty": qty}}}
	q := f.quote(t, f.token, f.address, in)
	res := f.order(t, f.token, key, orderBody(q, f.address, in))
	if res.Status != 201 {
		t.Fatalf("order: %s", res)
	}
	var o order
	res.Decode(t, &o)
	return o
}

func (f *fixture) stock(t *testing.T) int {
	t.Helper()
	res := f.e.Must(200, apptest.Req{Method: "POST", Path: "/api/v1/shop/guest-cart", Tenant: f.shop.Slug, Body: map[string]any{"sku_id": f.sku, "qty": 1},
		Header: map[string]string{"X-Visitor-Id": "stock-probe-0000000"}})
	var c struct {
		Lines []struct{ Stock int } `json:"lines"`
	}
	res.Decode(t, &c)
	return c.Lines[0].Stock
}

func TestAfterSales(t *testing.T) {
	f := setup(t, 10)
	e, shop := f.e, f.shop
	o := f.place(t, 2, "as-1")
	f.pay(t, f.token, o.ID)
	before := f.stock(t)
	line := o.Lines[0].ID
	admin := func(want int, path string, body any) *apptest.Resp {
		t.Helper()
		return e.Must(want, apptest.Req{Method: "POST", Path: "/api/v1/admin/after-sales/" + path, Token: shop.OwnerToken, Tenant: shop.Slug, Body: body})
	}
	res := e.Must(201, apptest.Req{Method: "POST", Path: "/api/v1/shop/orders/" + o.ID + "/after-sales", Token: f.token, Tenant: shop.Slug,
		Body: map[string]any{"kind": "return_and_refund", "reason": "wrong size", "photos": []string{"https://img.example/1.jpg"},
			"lines": []any{map[string]any{"line_id": line, "qty": 1}}}})
	var a struct {
		ID     string
		State  string
		Amount decimal.Decimal
	}
	res.Decode(t, &a)
	if !a.Amount.Equal(decimal.NewFromInt(100)) {
		t.Fatalf("amount %s", a.Amount)
	}
	// A second open request is refused; refunding before the goods are back too.
	e.Must(409, apptest.Req{Method: "POST", Path: "/api/v1/shop/orders/" + o.ID + "/after-sales", Token: f.token, Tenant: shop.Slug,
		Body: map[string]any{"kind": "refund_only", "reason": "x", "lines": []any{map[string]any{"line_id": line, "qty": 1}}}})
	admin(409, a.ID+"/refund", map[string]any{})
	admin(200, a.ID+"/approve", map[string]any{})
	e.Must(200, apptest.Req{Method: "POST", Path: "/api/v1/shop/after-sales/" + a.ID + "/return", Token: f.token, Tenant: shop.Slug,
		Body: map[string]any{"carrier": "SF", "tracking_no": "SF9"}})
	admin(200, a.ID+"/receive-return", map[string]any{})
	admin(200, a.ID+"/refund", map[string]any{"restock": true}).Decode(t, &a)
	if a.State != "refunded" || f.stock(t) != before+1 {
		t.Fatalf("after refund: %s, stock %d (was %d)", a.State, f.stock(t), before)
	}
	// refund_only of the rest, then nothing is left to refund.
	res = e.Must(201, apptest.Req{Method: "POST", Path: "/api/v1/shop/orders/" + o.ID + "/after-sales", Token: f.token, Tenant: shop.Slug,
		Body: map[string]any{"kind": "refund_only", "reason": "changed my mind", "lines": []any{map[string]any{"line_id": line, "qty": 1}}}})
	res.Decode(t, &a)
	admin(200, a.ID+"/approve", map[string]any{}).Decode(t, &a)
	if a.State != "refunded" {
		t.Fatalf("refund_only: %s", a.State)
	}
	e.Must(422, apptest.Req{Method: "POST", Path: "/api/v1/shop/orders/" + o.ID + "/after-sales", Token: f.token, Tenant: shop.Slug,
		Body: map[string]any{"kind": "refund_only", "reason": "again", "lines": []any{map[string]any{"line_id": line, "qty": 0, "amount": "0.01"}}}})
	f.trialBalanceZero(t, "after-sales")
	var got struct {
		RefundedAmount decimal.Decimal `json:"refunded_amount"`
	}
	e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/shop/orders/" + o.ID, Token: f.token, Tenant: shop.Slug}).Decode(t, &got)
	if !got.RefundedAmount.Equal(decimal.NewFromInt(200)) {
		t.Fatalf("refunded %s", got.RefundedAmount)
	}
}

func TestCancelAndLatePayment(t *testing.T) {
	f := setup(t, 10)
	e, shop := f.e, f.shop
	o := f.place(t, 3, "c-1")
	if s := f.stock(t); s != 7 {
		t.Fatalf("stock after order %d", s)
	}
	res := e.Must(200, apptest.Req{Method: "POST", Path: "/api/v1/shop/orders/" + o.ID + "/pay", Token: f.token, Tenant: shop.Slug,
		Body: map[string]string{"provider": "payment-sandbox"}})
	var p struct {
		ID          string          `json:"id"`
		ProviderRef string          `json:"provider_ref"`
		Amount      decimal.Decimal `json:"amount"`
	}
	res.Decode(t, &p)
	e.Must(200, apptest.Req{Method: "POST", Path: "/api/v1/shop/orders/" + o.ID + "/cancel", Token: f.token, Tenant: shop.Slug})
	e.Must(409, apptest.Req{Method: "POST", Path: "/api/v1/shop/orders/" + o.ID + "/cancel", Token: f.token, Tenant: shop.Slug})
	if s := f.stock(t); s != 10 {
		t.Fatalf("stock after cancel %d", s)
	}
	// The buyer paid anyway: recorded, held and refunded automatically.
	h := f.signedWebhook(t, p.ID, p.ProviderRef, p.Amount)
	res = e.Must(200, apptest.Req{Method: "POST", Path: "/api/v1/webhooks/payments/payment-sandbox/" + shop.Slug, Body: h.body, Header: h.headers})
	var out struct{ Outcome string }
	res.Decode(t, &out)
	if out.Outcome != "refunded" {
		t.Fatalf("late payment: %s", res)
	}
	if got := f.get(t, o.ID); got.State != "cancelled" {
		t.Fatalf("state %s", got.State)
	}
	f.trialBalanceZero(t, "late payment refunded")

	// A payment of another amount is flagged, not paid.
	o2 := f.place(t, 1, "c-2")
	res = e.Must(200, apptest.Req{Method: "POST", Path: "/api/v1/shop/orders/" + o2.ID + "/pay", Token: f.token, Tenant: shop.Slug,
		Body: map[string]string{"provider": "payment-sandbox"}})
	res.Decode(t, &p)
	h = f.signedWebhook(t, p.ID, p.ProviderRef, p.Amount.Sub(decimal.NewFromInt(1)))
	res = e.Must(200, apptest.Req{Method: "POST", Path: "/api/v1/webhooks/payments/payment-sandbox/" + shop.Slug, Body: h.body, Header: h.headers})
	res.Decode(t, &out)
	if out.Outcome != "mismatch" || f.get(t, o2.ID).State != "pending_payment" {
		t.Fatalf("mismatch: %s", res)
	}
	f.trialBalanceZero(t, "mismatch")
}

func TestCartSettingsStats(t *testing.T) {
	f := setup(t, 3)
	e, shop := f.e, f.shop
	cart := func(r apptest.Req) []struct {
		Qty     int
		Valid   bool
		Problem string
	} {
		t.Helper()
		var c struct {
			Lines []struct {
				Qty     int
				Valid   bool
				Problem string
			}
		}
		e.Must(200, r).Decode(t, &c)
		return c.Lines
	}
	visitor := map[string]string{"X-Visitor-Id": "visitor-aaaaaaaaaaaa"}
	cart(apptest.Req{Method: "POST", Path: "/api/v1/shop/guest-cart", Tenant: shop.Slug, Header: visitor, Body: map[string]any{"sku_id": f.sku, "qty": 2}})
	cart(apptest.Req{Method: "POST", Path: "/api/v1/shop/cart", Token: f.token, Tenant: shop.Slug, Body: map[string]any{"sku_id": f.sku, "qty": 1}})
	lines := cart(apptest.Req{Method: "POST", Path: "/api/v1/shop/cart/merge", Token: f.token, Tenant: shop.Slug, Body: map[string]any{"visitor_id": "visitor-aaaaaaaaaaaa"}})
	if len(lines) != 1 || lines[0].Qty != 3 || !lines[0].Valid {
		t.Fatalf("merged: %+v", lines)
	}
	lines = cart(apptest.Req{Method: "PATCH", Path: "/api/v1/shop/cart/" + f.sku, Token: f.token, Tenant: shop.Slug, Body: map[string]any{"qty": 4}})
	if lines[0].Valid || lines[0].Problem != "insufficient_stock" {
		t.Fatalf("short: %+v", lines)
	}
	e.Must(422, apptest.Req{Method: "PATCH", Path: "/api/v1/shop/cart/" + f.sku, Token: f.token, Tenant: shop.Slug, Body: map[string]any{"qty": 0}})

	e.Must(200, apptest.Req{Method: "PATCH", Path: "/api/v1/admin/settings/orders", Token: shop.OwnerToken, Tenant: shop.Slug,
		Body: map[string]any{"shipping_flat": "8.00", "shipping_free_over": "500.00", "shipping_regions": map[string]string{"浙江省": "6.00"}}})
	in := map[string]any{"lines": []any{map[string]any{"sku_id": f.sku, "qty": 1}}}
	var q struct {
		Shipping struct {
			Fee  decimal.Decimal
			Rule string
		}
		Total decimal.Decimal
	}
	e.Must(200, apptest.Req{Method: "POST", Path: "/api/v1/shop/quote", Token: f.token, Tenant: shop.Slug,
		Body: map[string]any{"lines": in["lines"], "address_id": f.address}}).Decode(t, &q)
	if q.Shipping.Rule != "region" || !q.Total.Equal(decimal.RequireFromString("106")) {
		t.Fatalf("shipping: %+v", q)
	}
	o := f.place(t, 1, "s-1")
	e.Must(200, apptest.Req{Method: "POST", Path: "/api/v1/admin/orders/" + o.ID + "/mark-paid", Token: shop.OwnerToken, Tenant: shop.Slug,
		Body: map[string]string{"reference": "bank 7"}})
	res := e.Must(200, apptest.Req{Method: "POST", Path: "/api/v1/admin/orders/" + o.ID + "/ship", Token: shop.OwnerToken, Tenant: shop.Slug,
		Body: map[string]any{"parcels": []any{map[string]any{"carrier": "SF", "tracking_no": "SF1", "line_ids": []string{o.Lines[0].ID}}}}})
	var shipped struct {
		Parcels []struct{ ID string }
	}
	res.Decode(t, &shipped)
	e.Must(200, apptest.Req{Method: "POST", Path: "/api/v1/admin/orders/" + o.ID + "/parcels/" + shipped.Parcels[0].ID + "/tracking", Token: shop.OwnerToken, Tenant: shop.Slug,
		Body: map[string]any{"events": []any{map[string]any{"at": time.Now().UTC(), "status": "in_transit", "description": "杭州转运中心"}}}})
	var mine struct {
		Parcels []struct{ Tracking []struct{ Status string } }
	}
	e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/shop/orders/" + o.ID, Token: f.token, Tenant: shop.Slug}).Decode(t, &mine)
	if len(mine.Parcels) != 1 || len(mine.Parcels[0].Tracking) != 1 {
		t.Fatalf("tracking: %+v", mine)
	}
	from := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	to := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	var st struct {
		Created        int64           `json:"created"`
		GMV            decimal.Decimal `json:"gmv"`
		PaidConversion decimal.Decimal `json:"paid_conversion"`
	}
	e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/admin/stats?from=" + from + "&to=" + to, Token: shop.OwnerToken, Tenant: shop.Slug}).Decode(t, &st)
	if st.Created != 1 || !st.GMV.Equal(decimal.RequireFromString("106")) || !st.PaidConversion.Equal(decimal.NewFromInt(1)) {
		t.Fatalf("stats: %+v", st)
	}
	csv := e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/admin/orders/export", Token: shop.OwnerToken, Tenant: shop.Slug})
	if n := strings.Count(strings.TrimSpace(string(csv.Body)), "\n"); n != 1 {
		t.Fatalf("export: %s", csv.Body)
	}
}
