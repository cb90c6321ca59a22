package orders_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/apptest"
	"github.com/banyanmall/banyan/core/orders"
	"github.com/banyanmall/banyan/core/promotions"
	"github.com/banyanmall/banyan/core/tenancy"
	"github.com/banyanmall/banyan/sdk"
)

// fixture is a shop with the sandbox and promotion plugins enabled, a
// product and a member with an address.
type fixture struct {
	e       *apptest.Env
	shop    apptest.Shop
	sku     string
	member  string
	token   string
	address string
}

func setup(t testing.TB, stock int, opts ...apptest.Option) *fixture {
	t.Helper()
	return newShop(t, apptest.New(t, opts...), stock)
}

// newShop signs up another shop in e, set up as setup's.
func newShop(t testing.TB, e *apptest.Env, stock int) *fixture {
	t.Helper()
	shop := e.Signup(fmt.Sprintf("o%d", time.Now().UnixNano()%1e9))
	f := &fixture{e: e, shop: shop}
	e.Must(200, apptest.Req{Method: "PUT", Path: "/api/v1/admin/plugins/payment-sandbox", Token: shop.OwnerToken, Tenant: shop.Slug,
		Body: map[string]any{"enabled": true, "config": map[string]string{"webhook_secret": "0123456789abcdef0123"}}})
	res := e.Must(201, apptest.Req{Method: "POST", Path: "/api/v1/admin/products", Token: shop.OwnerToken, Tenant: shop.Slug,
		Body: map[string]any{"title": "茶杯", "status": "on_sale", "skus": []any{map[string]any{"code": "CUP-1", "price": "100.00", "stock": stock}}}})
	var p struct {
		SKUs []struct{ ID string } `json:"skus"`
	}
	res.Decode(t, &p)
	f.sku = p.SKUs[0].ID
	f.token, f.member = e.Member(shop)
	res = e.Must(201, apptest.Req{Method: "POST", Path: "/api/v1/shop/me/addresses", Token: f.token, Tenant: shop.Slug, Body: map[string]any{
		"name": "Li Lei", "phone": "13800138000", "province": "浙江省", "city": "杭州市", "district": "西湖区", "detail": "文三路 1 号"}})
	var a struct{ ID string }
	res.Decode(t, &a)
	f.address = a.ID
	return f
}

func (f *fixture) member2(t testing.TB) (token, address string) {
	t.Helper()
	token, _ = f.e.Member(f.shop)
	res := f.e.Must(201, apptest.Req{Method: "POST", Path: "/api/v1/shop/me/addresses", Token: token, Tenant: f.shop.Slug, Body: map[string]any{
		"name": "Han Meimei", "phone": "13800138001", "province": "上海市", "city": "上海市", "district": "徐汇区", "detail": "1 号"}})
	var a struct{ ID string }
	res.Decode(t, &a)
	return token, a.ID
}

type quote struct {
	Total      decimal.Decimal `json:"total"`
	Signature  string          `json:"signature"`
	ExpiresAt  time.Time       `json:"expires_at"`
	PointsUsed int64           `json:"points_used"`
	Promotions []any           `json:"promotions"`
	Lines      []struct {
		PromotionDiscount decimal.Decimal `json:"promotion_discount"`
		CouponDiscount    decimal.Decimal `json:"coupon_discount"`
		PointsDiscount    decimal.Decimal `json:"points_discount"`
		Paid              decimal.Decimal `json:"paid"`
	} `json:"lines"`
}

type order struct {
	ID      string          `json:"id"`
	OrderNo string          `json:"order_no"`
	State   string          `json:"state"`
	Total   decimal.Decimal `json:"total"`
	Lines   []struct {
		ID         string          `json:"id"`
		PaidAmount decimal.Decimal `json:"paid_amount"`
	} `json:"lines"`
	Events []struct{ Kind string } `json:"events"`
}

func (f *fixture) quote(t testing.TB, token, address string, body map[string]any) quote {
	t.Helper()
	body["address_id"] = address
	res := f.e.Must(200, apptest.Req{Method: "POST", Path: "/api/v1/shop/quote", Token: token, Tenant: f.shop.Slug, Body: body})
	var q quote
	res.Decode(t, &q)
	return q
}

func orderBody(q quote, address string, in map[string]any) map[string]any {
	out := map[string]any{"address_id": address, "quote_signature": q.Signature, "quote_expires_at": q.ExpiresAt}
	for k, v := range in {
		if k != "address_id" {
			out[k] = v
		}
	}
	return out
}

func (f *fixture) order(t testing.TB, token, key string, body map[string]any) *apptest.Resp {
	t.Helper()
	return f.e.Do(apptest.Req{Method: "POST", Path: "/api/v1/shop/orders", Token: token, Tenant: f.shop.Slug, Body: body,
		Header: map[string]string{"Idempotency-Key": key}})
}

func (f *fixture) trialBalanceZero(t testing.TB, step string) {
	t.Helper()
	res := f.e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/admin/finance/trial-balance", Token: f.shop.OwnerToken, Tenant: f.shop.Slug})
	var tb struct {
		TotalDebit, TotalCredit, Difference decimal.Decimal
	}
	res.Decode(t, &tb)
	if !tb.Difference.IsZero() || !tb.TotalDebit.Equal(tb.TotalCredit) {
		t.Fatalf("%s: trial balance not zero: %s", step, res.Body)
	}
}

// pay starts a sandbox payment and approves it on the pay page.
func (f *fixture) pay(t testing.TB, token, orderID string) {
	t.Helper()
	res := f.e.Must(200, apptest.Req{Method: "POST", Path: "/api/v1/shop/orders/" + orderID + "/pay", Token: token, Tenant: f.shop.Slug,
		Body: map[string]string{"provider": "payment-sandbox"}})
	var p struct {
		ID     string `json:"id"`
		PayURL string `json:"pay_url"`
	}
	res.Decode(t, &p)
	u, err := url.Parse(p.PayURL)
	if err != nil || !strings.HasPrefix(u.Path, "/sandbox/pay/") {
		t.Fatalf("pay_url %q", p.PayURL)
	}
	page := f.e.Must(200, apptest.Req{Method: "GET", Path: u.RequestURI(), Tenant: f.shop.Slug})
	if !strings.Contains(string(page.Body), "Approve") {
		t.Fatalf("pay page: %s", page.Body)
	}
	f.e.Must(200, apptest.Req{Method: "POST", Path: u.Path, Tenant: f.shop.Slug, Body: "decision=approve&payment_id=" + p.ID,
		Header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}})
}

// answeredAsStored checks that the answer to an order's creation (built
// from the inserts' RETURNING) is what reading the order answers.
func (f *fixture) answeredAsStored(t testing.TB, created *apptest.Resp, id string) {
	t.Helper()
	read := f.e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/shop/orders/" + id, Token: f.token, Tenant: f.shop.Slug})
	var a, b any
	created.Decode(t, &a)
	read.Decode(t, &b)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("created order answered\n%s\nread back\n%s", created.Body, read.Body)
	}
}

// readsAgree checks that an order read with its row locked (the lines by a
// second statement) and without (the lines as JSON in one) is the same.
func (f *fixture) readsAgree(t testing.TB, id string) {
	t.Helper()
	locked, err := orders.LoadOrder(f.ctx(), f.e.App.Orders, orders.OrderID(id), true)
	if err != nil {
		t.Fatal(err)
	}
	unlocked, err := orders.LoadOrder(f.ctx(), f.e.App.Orders, orders.OrderID(id), false)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(locked)
	b, _ := json.Marshal(unlocked)
	if string(a) != string(b) || len(locked.Lines) == 0 {
		t.Fatalf("locked read\n%s\nunlocked read\n%s", a, b)
	}
}

func (f *fixture) get(t testing.TB, id string) order {
	t.Helper()
	var o order
	f.e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/admin/orders/" + id, Token: f.shop.OwnerToken, Tenant: f.shop.Slug}).Decode(t, &o)
	return o
}

func TestPurchaseFlow(t *testing.T) {
	f := setup(t, 10)
	e, shop := f.e, f.shop
	// A 10% promotion through the real promotion-basic plugin.
	e.Must(200, apptest.Req{Method: "PUT", Path: "/api/v1/admin/plugins/promotion-basic", Token: shop.OwnerToken, Tenant: shop.Slug,
		Body: map[string]any{"enabled": true, "config": map[string]any{}}})
	ctx := tenancy.With(context.Background(), tenancy.Tenant{ID: tenancy.TenantID(shop.ID), Slug: shop.Slug, Currency: "CNY"})
	if _, err := e.App.Promotions.Create(ctx, promotions.CampaignInput{Name: "九折", Plugin: "promotion-basic",
		Config: json.RawMessage(`{"type":"percent_off","percent":"10","scope":{"type":"all"}}`), Status: "active"}); err != nil {
		t.Fatal(err)
	}
	// A 10 off coupon, claimed; 1,000 points (10.00 at 100 a unit).
	res := e.Must(201, apptest.Req{Method: "POST", Path: "/api/v1/admin/coupons", Token: shop.OwnerToken, Tenant: shop.Slug,
		Body: map[string]any{"name": "10 off", "kind": "fixed", "amount": "10", "valid_days": 30}})
	var tpl struct{ ID string }
	res.Decode(t, &tpl)
	res = e.Must(201, apptest.Req{Method: "POST", Path: "/api/v1/shop/coupons/" + tpl.ID + "/claim", Token: f.token, Tenant: shop.Slug})
	var coupon struct{ ID string }
	res.Decode(t, &coupon)
	e.Must(201, apptest.Req{Method: "POST", Path: "/api/v1/admin/members/" + f.member + "/points", Token: shop.OwnerToken, Tenant: shop.Slug,
		Body: map[string]any{"points": 1000, "reason": "welcome"}})

	in := map[string]any{"lines": []any{map[string]any{"sku_id": f.sku, "qty": 2}}, "coupon_id": coupon.ID, "points": 1000}
	q := f.quote(t, f.token, f.address, in)
	// 200.00 − 10% (20.00) − coupon 10.00 − points 10.00 = 160.00.
	if !q.Total.Equal(decimal.RequireFromString("160")) || len(q.Promotions) != 1 || q.PointsUsed != 1000 {
		t.Fatalf("quote: %+v", q)
	}
	res = f.order(t, f.token, "k-flow", orderBody(q, f.address, in))
	if res.Status != 201 {
		t.Fatalf("create: %s", res)
	}
	var o order
	res.Decode(t, &o)
	if o.State != "pending_payment" || !o.Total.Equal(q.Total) || len(o.OrderNo) != 16 {
		t.Fatalf("order: %+v", o)
	}
	f.answeredAsStored(t, res, o.ID)
	// The same key and body again: the same answer, read back.
	if again := f.order(t, f.token, "k-flow", orderBody(q, f.address, in)); again.Status != 200 || string(again.Body) != string(res.Body) {
		t.Fatalf("replayed order: %s", again)
	}
	f.trialBalanceZero(t, "created")
	// Shipping an unpaid order is refused.
	e.Must(409, apptest.Req{Method: "POST", Path: "/api/v1/admin/orders/" + o.ID + "/ship", Token: shop.OwnerToken, Tenant: shop.Slug,
		Body: map[string]any{"parcels": []any{map[string]string{"carrier": "SF", "tracking_no": "SF1"}}}})

	f.pay(t, f.token, o.ID)
	if got := f.get(t, o.ID); got.State != "paid" {
		t.Fatalf("after pay: %s", got.State)
	}
	f.trialBalanceZero(t, "paid")

	e.Must(200, apptest.Req{Method: "POST", Path: "/api/v1/admin/orders/" + o.ID + "/ship", Token: shop.OwnerToken, Tenant: shop.Slug,
		Body: map[string]any{"parcels": []any{map[string]string{"carrier": "SF", "tracking_no": "SF1"}}}})
	e.Must(200, apptest.Req{Method: "POST", Path: "/api/v1/shop/orders/" + o.ID + "/confirm-receipt", Token: f.token, Tenant: shop.Slug})
	// Refund part of it; more than was paid is refused and changes nothing.
	line := o.Lines[0]
	e.Must(422, apptest.Req{Method: "POST", Path: "/api/v1/admin/orders/" + o.ID + "/refunds", Token: shop.OwnerToken, Tenant: shop.Slug,
		Body: map[string]any{"lines": []any{map[string]any{"line_id": line.ID, "amount": "160.01"}}}})
	e.Must(201, apptest.Req{Method: "POST", Path: "/api/v1/admin/orders/" + o.ID + "/refunds", Token: shop.OwnerToken, Tenant: shop.Slug,
		Body: map[string]any{"lines": []any{map[string]any{"line_id": line.ID, "qty": 1, "amount": "80.00"}}, "reason": "one cup broken", "restock": true}})
	e.Must(422, apptest.Req{Method: "POST", Path: "/api/v1/admin/orders/" + o.ID + "/refunds", Token: shop.OwnerToken, Tenant: shop.Slug,
		Body: map[string]any{"lines": []any{map[string]any{"line_id": line.ID, "amount": "80.01"}}}})
	f.trialBalanceZero(t, "refunded")
	got := f.get(t, o.ID)
	var kinds []string
	for _, ev := range got.Events {
		kinds = append(kinds, ev.Kind)
	}
	if got.State != "completed" || strings.Join(kinds, ",") != "created,paid,shipped,completed,refund_requested,refunded" {
		t.Fatalf("final: %s %v", got.State, kinds)
	}
	f.readsAgree(t, o.ID)
	// Completion counted 160.00 towards the member's spend; the refund takes 80.00 off.
	if spend := f.totalSpend(t, f.member); !spend.Equal(decimal.NewFromInt(80)) {
		t.Fatalf("member spend after the refund: %s", spend)
	}
}

func TestBadInput(t *testing.T) {
	f := setup(t, 10)
	e, shop := f.e, f.shop
	other := e.Signup(fmt.Sprintf("x%d", time.Now().UnixNano()%1e9))
	res := e.Must(201, apptest.Req{Method: "POST", Path: "/api/v1/admin/products", Token: other.OwnerToken, Tenant: other.Slug,
		Body: map[string]any{"title": "别家", "status": "on_sale", "skus": []any{map[string]any{"code": "X-1", "price": "1.00", "stock": 5}}}})
	var p struct {
		SKUs []struct{ ID string } `json:"skus"`
	}
	res.Decode(t, &p)
	for name, lines := range map[string]any{
		"qty 0":        []any{map[string]any{"sku_id": f.sku, "qty": 0}},
		"qty -1":       []any{map[string]any{"sku_id": f.sku, "qty": -1}},
		"other tenant": []any{map[string]any{"sku_id": p.SKUs[0].ID, "qty": 1}},
		"no lines":     []any{},
	} {
		t.Run(name, func(t *testing.T) {
			res := e.Do(apptest.Req{Method: "POST", Path: "/api/v1/shop/quote", Token: f.token, Tenant: shop.Slug, Body: map[string]any{"lines": lines}})
			if res.Status != 422 {
				t.Fatalf("%s", res)
			}
		})
	}
	in := map[string]any{"lines": []any{map[string]any{"sku_id": f.sku, "qty": 1}}}
	q := f.quote(t, f.token, f.address, in)
	t.Run("no idempotency key", func(t *testing.T) {
		if res := f.order(t, f.token, "", orderBody(q, f.address, in)); res.Status != 422 {
			t.Fatalf("%s", res)
		}
	})
	t.Run("tampered quote", func(t *testing.T) {
		b := orderBody(q, f.address, in)
		b["quote_signature"] = tamper(q.Signature)
		if res := f.order(t, f.token, "k-tamper", b); res.Status != 409 || res.Problem(t).Code != "quote_changed" {
			t.Fatalf("%s", res)
		}
	})
	t.Run("expired quote", func(t *testing.T) {
		b := orderBody(q, f.address, in)
		b["quote_expires_at"] = time.Now().Add(-time.Minute)
		if res := f.order(t, f.token, "k-expired", b); res.Status != 409 || res.Problem(t).Code != "quote_changed" {
			t.Fatalf("%s", res)
		}
	})
	t.Run("price changed", func(t *testing.T) {
		pid := ""
		res := e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/admin/products?limit=1", Token: shop.OwnerToken, Tenant: shop.Slug})
		var l struct{ Items []struct{ ID string } }
		res.Decode(t, &l)
		pid = l.Items[0].ID
		e.Must(200, apptest.Req{Method: "PATCH", Path: "/api/v1/admin/products/" + pid, Token: shop.OwnerToken, Tenant: shop.Slug,
			Body: map[string]any{"skus": []any{map[string]any{"id": f.sku, "code": "CUP-1", "price": "101.00", "stock": 10}}}})
		if res := f.order(t, f.token, "k-changed", orderBody(q, f.address, in)); res.Status != 409 || res.Problem(t).Code != "quote_changed" {
			t.Fatalf("%s", res)
		}
	})
	t.Run("tampered webhook", func(t *testing.T) {
		res := e.Do(apptest.Req{Method: "POST", Path: "/api/v1/webhooks/payments/payment-sandbox/" + shop.Slug,
			Body:   `{"event_id":"e1","type":"payment.succeeded","payment_id":"x","amount":"1.00","currency":"CNY"}`,
			Header: map[string]string{"X-Sandbox-Signature": "00", "X-Sandbox-Timestamp": fmt.Sprint(time.Now().Unix())}})
		if res.Status != 401 {
			t.Fatalf("%s", res)
		}
	})
	// Nothing was created by any of it.
	res = e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/admin/orders", Token: shop.OwnerToken, Tenant: shop.Slug})
	var l struct{ Items []order }
	res.Decode(t, &l)
	if len(l.Items) != 0 {
		t.Fatalf("orders created: %d", len(l.Items))
	}
}

func TestConcurrency(t *testing.T) {
	f := setup(t, 50)
	e, shop := f.e, f.shop
	in := map[string]any{"lines": []any{map[string]any{"sku_id": f.sku, "qty": 1}}}

	t.Run("same key 10 times: one order", func(t *testing.T) {
		q := f.quote(t, f.token, f.address, in)
		body := orderBody(q, f.address, in)
		ids := make([]string, 10)
		codes := make([]int, 10)
		var wg sync.WaitGroup
		for i := range 10 {
			wg.Go(func() {
				res := f.order(t, f.token, "same-key", body)
				codes[i] = res.Status
				var o order
				_ = json.Unmarshal(res.Body, &o)
				ids[i] = o.ID
			})
		}
		wg.Wait()
		created := 0
		for i := range ids {
			if codes[i] == 201 {
				created++
			}
			if (codes[i] != 200 && codes[i] != 201) || ids[i] != ids[0] {
				t.Fatalf("answers %v %v", codes, ids)
			}
		}
		if created != 1 {
			t.Fatalf("created %d", created)
		}
		// Same key, another body.
		body2 := orderBody(q, f.address, in)
		body2["remark"] = "other"
		if res := f.order(t, f.token, "same-key", body2); res.Status != 409 || res.Problem(t).Code != "idempotency_key_reused" {
			t.Fatalf("%s", res)
		}

		// The same webhook delivered 10 times at once: one payment.
		res := e.Must(200, apptest.Req{Method: "POST", Path: "/api/v1/shop/orders/" + ids[0] + "/pay", Token: f.token, Tenant: shop.Slug,
			Body: map[string]string{"provider": "payment-sandbox"}})
		var p struct {
			ID          string          `json:"id"`
			ProviderRef string          `json:"provider_ref"`
			Amount      decimal.Decimal `json:"amount"`
		}
		res.Decode(t, &p)
		hook := f.signedWebhook(t, p.ID, p.ProviderRef, p.Amount)
		outcomes := make([]string, 10)
		for i := range 10 {
			wg.Go(func() {
				res := e.Do(apptest.Req{Method: "POST", Path: "/api/v1/webhooks/payments/payment-sandbox/" + shop.Slug, Body: hook.body, Header: hook.headers})
				var out struct{ Outcome string }
				_ = json.Unmarshal(res.Body, &out)
				outcomes[i] = fmt.Sprint(res.Status, out.Outcome)
			})
		}
		wg.Wait()
		paid := 0
		for _, o := range outcomes {
			switch o {
			case "200paid":
				paid++
			case "200duplicate":
			default:
				t.Fatalf("outcomes %v", outcomes)
			}
		}
		if paid != 1 {
			t.Fatalf("outcomes %v", outcomes)
		}
		f.trialBalanceZero(t, "paid once")
	})

	t.Run("200 buyers, stock 50", func(t *testing.T) {
		const buyers = 200
		in := map[string]any{"lines": []any{map[string]any{"sku_id": f.newSKUStock(t, "RUSH-1", 50), "qty": 1}}}
		type buyer struct{ token, address string }
		bs := make([]buyer, 40)
		for i := range bs {
			bs[i].token, bs[i].address = f.member2(t)
		}
		qs := make([]quote, len(bs))
		for i, b := range bs {
			qs[i] = f.quote(t, b.token, b.address, map[string]any{"lines": in["lines"]})
		}
		codes := make([]int, buyers)
		var wg sync.WaitGroup
		for i := range buyers {
			wg.Go(func() {
				b := bs[i%len(bs)]
				res := f.order(t, b.token, fmt.Sprintf("buy-%d", i), orderBody(qs[i%len(bs)], b.address, map[string]any{"lines": in["lines"]}))
				codes[i] = res.Status
			})
		}
		wg.Wait()
		ok := 0
		for _, c := range codes {
			switch c {
			case 201:
				ok++
			case 409:
			default:
				t.Fatalf("codes %v", codes)
			}
		}
		if ok != 50 {
			t.Fatalf("%d orders for 50 in stock", ok)
		}
	})
}

// tamper changes a signature's first character (to another one: "x" + the
// rest left it unchanged for one signature in 64).
func tamper(sig string) string {
	if sig[0] == 'x' {
		return "y" + sig[1:]
	}
	return "x" + sig[1:]
}

type hook struct {
	body    []byte
	headers map[string]string
}

// signedWebhook has the sandbox plugin sign a payment webhook, as the pay
// page does.
func (f *fixture) signedWebhook(t testing.TB, paymentID, ref string, amount decimal.Decimal) hook {
	t.Helper()
	return f.signedHook(t, paymentID, ref, amount, true, time.Now())
}

// signedWebhookAt signs it at the time now (the orders clock, when a test
// moved it: the webhook's timestamp is checked against it).
func (f *fixture) signedWebhookAt(t testing.TB, paymentID, ref string, amount decimal.Decimal, now time.Time) hook {
	t.Helper()
	return f.signedHook(t, paymentID, ref, amount, true, now)
}

// signedDecision is signedWebhook for an approved or a declined payment.
func (f *fixture) signedDecision(t testing.TB, paymentID, ref string, amount decimal.Decimal, approve bool) hook {
	t.Helper()
	return f.signedHook(t, paymentID, ref, amount, approve, time.Now())
}

// signedHook has the sandbox sign the webhook of a decision at now.
func (f *fixture) signedHook(t testing.TB, paymentID, ref string, amount decimal.Decimal, approve bool, now time.Time) hook {
	t.Helper()
	prov, err := f.e.App.Plugins.Payment("payment-sandbox")
	if err != nil {
		t.Fatal(err)
	}
	signed, err := prov.(sdk.SandboxSimulator).SimulatePayment(context.Background(), sdk.SimulateRequest{
		Context: sdk.PluginContext{TenantID: f.shop.ID, ConfigJSON: json.RawMessage(`{"webhook_secret":"0123456789abcdef0123"}`),
			Currency: "CNY", MinorUnits: 2, Now: now},
		PaymentID: paymentID, ProviderRef: ref, Amount: amount, Currency: "CNY", Approve: approve})
	if err != nil {
		t.Fatal(err)
	}
	return hook{body: signed.Body, headers: signed.Headers}
}

// newSKU adds a product with one SKU on sale and plenty of stock.
func (f *fixture) newSKU(t testing.TB, code string) string {
	t.Helper()
	return f.newSKUStock(t, code, 1000000)
}

// newSKUStock adds a product with one SKU on sale and stock.
func (f *fixture) newSKUStock(t testing.TB, code string, stock int) string {
	t.Helper()
	res := f.e.Must(201, apptest.Req{Method: "POST", Path: "/api/v1/admin/products", Token: f.shop.OwnerToken, Tenant: f.shop.Slug,
		Body: map[string]any{"title": "商品 " + code, "status": "on_sale", "skus": []any{map[string]any{"code": code, "price": "3.30", "stock": stock}}}})
	var p struct {
		SKUs []struct{ ID string } `json:"skus"`
	}
	res.Decode(t, &p)
	return p.SKUs[0].ID
}

// TestOrderEmptiesItsCartLines: creating an order takes the SKUs it bought
// out of the member's cart and leaves the others; a refused order leaves
// the cart as it was.
func TestOrderEmptiesItsCartLines(t *testing.T) {
	f := setup(t, 10)
	other := f.newSKU(t, "OTHER-1")
	cartSKUs := func() []string {
		t.Helper()
		var cart struct {
			Lines []struct {
				SKUID string `json:"sku_id"`
			} `json:"lines"`
		}
		f.e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/shop/cart", Token: f.token, Tenant: f.shop.Slug}).Decode(t, &cart)
		var out []string
		for _, l := range cart.Lines {
			out = append(out, l.SKUID)
		}
		sort.Strings(out)
		return out
	}
	for _, sku := range []string{f.sku, other} {
		f.e.Must(200, apptest.Req{Method: "POST", Path: "/api/v1/shop/cart", Token: f.token, Tenant: f.shop.Slug, Body: map[string]any{"sku_id": sku, "qty": 1}})
	}
	both := []string{f.sku, other}
	sort.Strings(both)
	in := map[string]any{"lines": []any{map[string]any{"sku_id": f.sku, "qty": 1}}}
	q := f.quote(t, f.token, f.address, in)
	bad := orderBody(q, f.address, in)
	bad["quote_signature"] = tamper(q.Signature)
	if res := f.order(t, f.token, "cart-bad", bad); res.Status != 409 {
		t.Fatalf("tampered order: %s", res)
	}
	if got := cartSKUs(); !reflect.DeepEqual(got, both) {
		t.Fatalf("cart after a refused order: %v", got)
	}
	if res := f.order(t, f.token, "cart-1", orderBody(q, f.address, in)); res.Status != 201 {
		t.Fatalf("order: %s", res)
	}
	if got := cartSKUs(); !reflect.DeepEqual(got, []string{other}) {
		t.Fatalf("cart after the order: %v, want only %s", got, other)
	}
}

// An idempotent replay answers the original order even when placing it
// again would now fail: its stock is gone, its quote has expired. The key
// is only looked up once creation fails, so these are the paths that
// answer it.
func TestReplayAfterTheWorldChanged(t *testing.T) {
	f := setup(t, 1)
	clk := f.useClock()
	in := map[string]any{"lines": []any{map[string]any{"sku_id": f.sku, "qty": 1}}}
	q := f.quote(t, f.token, f.address, in)
	body := orderBody(q, f.address, in)
	res := f.order(t, f.token, "only-one", body)
	if res.Status != 201 {
		t.Fatalf("first: %s", res)
	}
	var first order
	res.Decode(t, &first)
	if s := f.stock(t); s != 0 {
		t.Fatalf("stock %d", s)
	}
	same := func(when string) {
		t.Helper()
		res := f.order(t, f.token, "only-one", body)
		var o order
		res.Decode(t, &o)
		if res.Status != 200 || o.ID != first.ID {
			t.Fatalf("replay %s: want 200 with order %s, got %s", when, first.ID, res)
		}
	}
	same("with the stock gone")
	// Another key with the same body fails as it should.
	if res := f.order(t, f.token, "another", body); res.Status < 400 || res.Status >= 500 {
		t.Fatalf("a new key with no stock left: %s", res)
	}
	// Another body with the key: reused, whatever else is wrong with it.
	other := orderBody(q, f.address, in)
	other["remark"] = "other"
	if res := f.order(t, f.token, "only-one", other); res.Status != 409 || res.Problem(t).Code != "idempotency_key_reused" {
		t.Fatalf("another body: %s", res)
	}
	clk.move(24 * time.Hour)
	same("after the quote expired")
	if s := f.stock(t); s != 0 {
		t.Fatalf("stock %d after the replays", s)
	}
}
