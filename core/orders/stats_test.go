package orders_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/apptest"
)

type topProducts struct {
	TimeZone string `json:"time_zone"`
	Items    []struct {
		ProductID string          `json:"product_id"`
		Title     string          `json:"title"`
		Quantity  int64           `json:"quantity"`
		Amount    decimal.Decimal `json:"amount"`
		Orders    int64           `json:"orders"`
	} `json:"items"`
}

func (f *fixture) topProducts(t *testing.T, status int, from, to, limit string) topProducts {
	t.Helper()
	q := url.Values{"from": {from}, "to": {to}}
	if limit != "" {
		q.Set("limit", limit)
	}
	var out topProducts
	res := f.e.Must(status, apptest.Req{Method: "GET", Path: "/api/v1/admin/stats/top-products?" + q.Encode(), Token: f.shop.OwnerToken, Tenant: f.shop.Slug})
	if status == 200 {
		res.Decode(t, &out)
	}
	return out
}

// rank is "title:quantity:amount" per item, best first.
func (tp topProducts) rank() []string {
	var out []string
	for _, it := range tp.Items {
		out = append(out, it.Title+":"+decimal.NewFromInt(it.Quantity).String()+":"+it.Amount.StringFixed(2))
	}
	return out
}

func TestTopProducts(t *testing.T) {
	f := setup(t, 20)
	e, shop := f.e, f.shop
	mug := f.newSKU(t, "MUG-1")

	// 3 cups (100.00 each) in one paid order, 2 mugs (3.30) in another, 5
	// mugs in an order never paid (not counted).
	cups := f.place(t, 3, "top-1")
	f.pay(t, f.token, cups.ID)
	for i, qty := range []int{2, 5} {
		in := map[string]any{"lines": []any{map[string]any{"sku_id": mug, "qty": qty}}}
		q := f.quote(t, f.token, f.address, in)
		res := f.order(t, f.token, []string{"top-2", "top-3"}[i], orderBody(q, f.address, in))
		var o order
		res.Decode(t, &o)
		if i == 0 {
			f.pay(t, f.token, o.ID)
		}
	}
	from := time.Now().Add(-48 * time.Hour).UTC().Format(time.DateOnly) // a date: midnight in the shop's time zone
	to := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	got := f.topProducts(t, 200, from, to, "")
	if r := got.rank(); len(r) != 2 || r[0] != "茶杯:3:300.00" || r[1] != "商品 MUG-1:2:6.60" || got.TimeZone == "" {
		t.Fatalf("top products: %v (%s)", r, got.TimeZone)
	}
	if got.Items[0].Orders != 1 {
		t.Fatalf("orders: %+v", got.Items[0])
	}

	// Two cups refunded: 1 cup left, the mugs lead.
	e.Must(201, apptest.Req{Method: "POST", Path: "/api/v1/admin/orders/" + cups.ID + "/refunds", Token: shop.OwnerToken, Tenant: shop.Slug,
		Body: map[string]any{"lines": []any{map[string]any{"line_id": cups.Lines[0].ID, "qty": 2, "amount": "200.00"}}, "reason": "broken"}})
	if r := f.topProducts(t, 200, from, to, "").rank(); len(r) != 2 || r[0] != "商品 MUG-1:2:6.60" || r[1] != "茶杯:1:100.00" {
		t.Fatalf("after refund: %v", r)
	}
	if r := f.topProducts(t, 200, from, to, "1").rank(); len(r) != 1 {
		t.Fatalf("limit 1: %v", r)
	}
	// Nothing was paid before the range.
	if r := f.topProducts(t, 200, "2020-01-01", "2020-02-01", "").rank(); len(r) != 0 {
		t.Fatalf("empty range: %v", r)
	}
	for _, bad := range [][3]string{{to, from, ""}, {"yesterday", to, ""}, {from, to, "0"}, {from, to, "51"}, {from, to, "ten"}} {
		f.topProducts(t, 422, bad[0], bad[1], bad[2])
	}
}
