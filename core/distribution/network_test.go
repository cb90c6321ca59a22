package distribution_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/apptest"
	"github.com/banyanmall/banyan/core/distribution"
	"github.com/banyanmall/banyan/core/tenancy"
)

// network is a shop run end to end: the real HTTP API, PostgreSQL, River
// jobs and plugin processes.
type network struct {
	t    *testing.T
	e    *apptest.Env
	shop apptest.Shop
}

func (n *network) admin(want int, method, path string, body any) *apptest.Resp {
	n.t.Helper()
	return n.e.Must(want, apptest.Req{Method: method, Path: path, Token: n.shop.OwnerToken, Tenant: n.shop.Slug, Body: body})
}

func (n *network) member(want int, token, method, path string, body any) *apptest.Resp {
	n.t.Helper()
	return n.e.Must(want, apptest.Req{Method: method, Path: path, Token: token, Tenant: n.shop.Slug, Body: body})
}

// visitor follows a distributor's /r/{code} link in a browser-like client
// (a cookie jar), then registers in that same client: the banyan_ref cookie
// the link set travels with the registration.
func (n *network) visitor(link, email string) (token, id string) {
	n.t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		n.t.Fatal(err)
	}
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	do := func(method, path string, body io.Reader) *http.Response {
		req, err := http.NewRequest(method, n.e.Srv.URL+path, body)
		if err != nil {
			n.t.Fatal(err)
		}
		req.Header.Set("X-Tenant", n.shop.Slug)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		res, err := c.Do(req)
		if err != nil {
			n.t.Fatalf("%s %s: %v", method, path, err)
		}
		return res
	}
	// The link: 302 to the storefront with the cookie set.
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res := do("GET", link, nil)
	res.Body.Close()
	code := strings.TrimPrefix(link, "/r/")
	if res.StatusCode != http.StatusFound || res.Header.Get("Location") != "/" {
		n.t.Fatalf("GET %s: %d to %q", link, res.StatusCode, res.Header.Get("Location"))
	}
	u, _ := url.Parse(n.e.Srv.URL)
	var got string
	for _, ck := range jar.Cookies(u) {
		if ck.Name == distribution.RefCookie {
			got = ck.Value
		}
	}
	if got != code {
		n.t.Fatalf("banyan_ref cookie %q, want %q", got, code)
	}
	// Registration in the same browser.
	body, _ := json.Marshal(map[string]string{"email": email, "password": apptest.Password, "name": "Visitor"})
	res = do("POST", "/api/v1/shop/register", strings.NewReader(string(body)))
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 201 {
		n.t.Fatalf("register %s: %d %s", email, res.StatusCode, b)
	}
	var out struct {
		Token  string
		Member struct{ ID string }
	}
	if err := json.Unmarshal(b, &out); err != nil {
		n.t.Fatal(err)
	}
	return out.Token, out.Member.ID
}

type overview struct {
	Distributor struct {
		MemberID string `json:"member_id"`
		Status   string `json:"status"`
		Code     string `json:"code"`
		Link     string `json:"link"`
	} `json:"distributor"`
	Balances   distribution.Balances        `json:"balances"`
	Withdrawal distribution.WithdrawalTerms `json:"withdrawal"`
	Referrer   *struct {
		ReferrerID string `json:"referrer_id"`
	} `json:"referrer"`
}

// becomeDistributor applies in the shop (eligibility anyone: active at once).
func (n *network) becomeDistributor(token string) overview {
	n.t.Helper()
	var d struct{ Status, Code, Link string }
	n.member(201, token, "POST", "/api/v1/shop/distributor",
		map[string]string{"real_name": "张三", "phone": "13800138000", "reason": "I share"}).Decode(n.t, &d)
	if d.Status != "active" || d.Link != "/r/"+d.Code {
		n.t.Fatalf("apply: %+v", d)
	}
	var o overview
	n.member(200, token, "GET", "/api/v1/shop/distributor", nil).Decode(n.t, &o)
	return o
}

func (n *network) overview(id string) overview {
	n.t.Helper()
	var o overview
	n.admin(200, "GET", "/api/v1/admin/distributors/"+id, nil).Decode(n.t, &o)
	return o
}

type commission struct {
	ID            string          `json:"id"`
	LineID        string          `json:"line_id"`
	BeneficiaryID string          `json:"beneficiary_id"`
	Level         int             `json:"level"`
	Base          decimal.Decimal `json:"base"`
	Rate          decimal.Decimal `json:"rate"`
	Amount        decimal.Decimal `json:"amount"`
	Refunded      decimal.Decimal `json:"refunded"`
	Net           decimal.Decimal `json:"net"`
	Status        string          `json:"status"`
}

func (n *network) commissions(order string) []commission {
	n.t.Helper()
	var l struct{ Items []commission }
	n.admin(200, "GET", "/api/v1/admin/commissions?order_id="+order, nil).Decode(n.t, &l)
	return l.Items
}

// ledger checks, through the API, that the trial balance is zero, every
// distributor's ledger balances equal distribution's own records, and the
// journal's totals per account are as expected (nil: not checked).
func (n *network) ledger(step string, accounts map[string]string) {
	n.t.Helper()
	var tb struct {
		Accounts []struct {
			Account string          `json:"account"`
			Balance decimal.Decimal `json:"balance"`
		} `json:"accounts"`
		TotalDebit  decimal.Decimal `json:"total_debit"`
		TotalCredit decimal.Decimal `json:"total_credit"`
		Difference  decimal.Decimal `json:"difference"`
	}
	res := n.admin(200, "GET", "/api/v1/admin/finance/trial-balance", nil)
	res.Decode(n.t, &tb)
	if !tb.Difference.IsZero() || !tb.TotalDebit.Equal(tb.TotalCredit) {
		n.t.Fatalf("%s: trial balance not zero: %s", step, res.Body)
	}
	got := map[string]decimal.Decimal{}
	for _, a := range tb.Accounts {
		got[a.Account] = a.Balance
	}
	for acct, want := range accounts {
		if !got[acct].Equal(decimal.RequireFromString(want)) {
			n.t.Fatalf("%s: %s balance %s, want %s (%s)", step, acct, got[acct], want, res.Body)
		}
	}
	var rec struct {
		Distributors     int             `json:"distributors"`
		TrialZero        bool            `json:"trial_balance_zero"`
		Differences      json.RawMessage `json:"differences"`
		OK               bool            `json:"ok"`
		DerivedAvailable bool            `json:"derived_available"`
	}
	res = n.admin(200, "GET", "/api/v1/admin/finance/reconciliation", nil)
	res.Decode(n.t, &rec)
	if !rec.OK || !rec.TrialZero || !rec.DerivedAvailable || (string(rec.Differences) != "[]" && string(rec.Differences) != "null") {
		n.t.Fatalf("%s: reconciliation: %s", step, res.Body)
	}
}

// balances checks each distributor's balances from the ledger as the
// merchant sees them.
func (n *network) balances(step string, want map[string]distribution.Balances, names map[string]string) {
	n.t.Helper()
	for id, w := range want {
		b := n.overview(id).Balances
		if !b.Frozen.Equal(w.Frozen) || !b.Available.Equal(w.Available) || !b.InTransit.Equal(w.InTransit) || !b.Withdrawn.Equal(w.Withdrawn) {
			n.t.Fatalf("%s: %s balances frozen %s available %s in transit %s withdrawn %s; want %s %s %s %s", step, names[id],
				b.Frozen, b.Available, b.InTransit, b.Withdrawn, w.Frozen, w.Available, w.InTransit, w.Withdrawn)
		}
	}
}

func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestThreeLevelNetwork builds D1 ← D2 ← D3 ← B through /r/{code} links,
// has B buy and pay through the sandbox, and checks every beneficiary's
// commission to the cent against an independent computation; then a
// partial refund, completion and settlement, and D3's withdrawal paid out
// through the sandbox — the balances, the trial balance and the
// reconciliation checked at each step.
func TestThreeLevelNetwork(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	shop := e.Signup(fmt.Sprintf("net%d", time.Now().UnixNano()%1e9))
	n := &network{t: t, e: e, shop: shop}

	// Plugins, order and distribution settings.
	rates := []string{"0.10", "0.05", "0.02"}
	n.admin(200, "PUT", "/api/v1/admin/plugins/payment-sandbox", map[string]any{"enabled": true,
		"config": map[string]string{"webhook_secret": "0123456789abcdef0123"}})
	n.admin(200, "PUT", "/api/v1/admin/plugins/commission-tiered", map[string]any{"enabled": true,
		"config": map[string]any{"rates": rates}})
	n.admin(200, "PATCH", "/api/v1/admin/settings/orders", map[string]any{"after_sales_days": 0, "shipping_flat": "8.00"})
	st := distribution.DefaultSettings
	st.Eligibility = "anyone"
	st.BindingMode = "registration"
	st.Depth = 3
	st.SelfPurchase = false
	st.FreezeDays = 0
	st.WithdrawalMin = decimal.RequireFromString("5")
	st.WithdrawalFeePercent = decimal.RequireFromString("1")
	st.SecondApproverAbove = decimal.Zero
	st.Channels = []string{"alipay", "sandbox"}
	st.PaymentPlugin = "payment-sandbox"
	var saved distribution.Settings
	n.admin(200, "PUT", "/api/v1/admin/distribution-settings", st).Decode(t, &saved)
	if saved.Depth != 3 || saved.BindingMode != "registration" || saved.PaymentPlugin != "payment-sandbox" {
		t.Fatalf("settings: %+v", saved)
	}

	// A product whose commission has awkward cents: 33.35 × 3 = 100.05;
	// 10% is 10.005, exactly half a cent (half-even: 10.00).
	res := n.admin(201, "POST", "/api/v1/admin/products", map[string]any{"title": "茶叶", "status": "on_sale",
		"skus": []any{map[string]any{"code": "TEA-1", "price": "33.35", "stock": 100}}})
	var p struct {
		SKUs []struct{ ID string } `json:"skus"`
	}
	res.Decode(t, &p)
	sku := p.SKUs[0].ID

	// The network: D1 applies (anyone may); D2 through D1's link, D3
	// through D2's, the buyer through D3's.
	names := map[string]string{}
	d1Token, d1 := e.Member(shop)
	o1 := n.becomeDistributor(d1Token)
	names[d1] = "D1"
	d2Token, d2 := n.visitor(o1.Distributor.Link, "d2@example.com")
	o2 := n.becomeDistributor(d2Token)
	names[d2] = "D2"
	d3Token, d3 := n.visitor(o2.Distributor.Link, "d3@example.com")
	o3 := n.becomeDistributor(d3Token)
	names[d3] = "D3"
	bToken, b := n.visitor(o3.Distributor.Link, "buyer@example.com")
	for who, want := range map[string]string{d2: d1, d3: d2} {
		if o := n.overview(who); o.Referrer == nil || o.Referrer.ReferrerID != want {
			t.Fatalf("%s referrer %+v, want %s", names[who], o.Referrer, names[want])
		}
	}
	// D1's team, through the links alone: D2, D3, the buyer at levels 1–3.
	var team struct {
		Levels []struct {
			Level int   `json:"level"`
			Count int64 `json:"count"`
		} `json:"levels"`
		Members []struct {
			MemberID   string `json:"member_id"`
			Level      int    `json:"level"`
			ReferrerID string `json:"referrer_id"`
		} `json:"members"`
	}
	n.member(200, d1Token, "GET", "/api/v1/shop/distributor/team", nil).Decode(t, &team)
	if len(team.Levels) != 3 || team.Levels[0].Count != 1 || team.Levels[1].Count != 1 || team.Levels[2].Count != 1 || len(team.Members) != 3 {
		t.Fatalf("D1's team: %+v", team)
	}
	for i, m := range team.Members {
		if want := [][2]string{{d2, d1}, {d3, d2}, {b, d3}}[i]; m.MemberID != want[0] || m.ReferrerID != want[1] || m.Level != i+1 {
			t.Fatalf("D1's team member %d: %+v", i, m)
		}
	}
	n.ledger("network built", nil)

	// The buyer orders and pays through the sandbox pay page.
	var addr struct{ ID string }
	n.member(201, bToken, "POST", "/api/v1/shop/me/addresses", map[string]any{"name": "Li Lei", "phone": "13800138000",
		"province": "浙江省", "city": "杭州市", "district": "西湖区", "detail": "文三路 1 号"}).Decode(t, &addr)
	lines := []any{map[string]any{"sku_id": sku, "qty": 3}}
	var q struct {
		Total     decimal.Decimal `json:"total"`
		Signature string          `json:"signature"`
		ExpiresAt time.Time       `json:"expires_at"`
	}
	n.member(200, bToken, "POST", "/api/v1/shop/quote", map[string]any{"lines": lines, "address_id": addr.ID}).Decode(t, &q)
	res = e.Must(201, apptest.Req{Method: "POST", Path: "/api/v1/shop/orders", Token: bToken, Tenant: shop.Slug,
		Header: map[string]string{"Idempotency-Key": "net-order-1"},
		Body:   map[string]any{"lines": lines, "address_id": addr.ID, "quote_signature": q.Signature, "quote_expires_at": q.ExpiresAt}})
	var o struct {
		ID          string          `json:"id"`
		State       string          `json:"state"`
		Total       decimal.Decimal `json:"total"`
		ShippingFee decimal.Decimal `json:"shipping_fee"`
		Lines       []struct {
			ID         string          `json:"id"`
			PaidAmount decimal.Decimal `json:"paid_amount"`
		} `json:"lines"`
	}
	res.Decode(t, &o)
	if o.State != "pending_payment" || len(o.Lines) != 1 || !o.Total.Equal(dec("108.05")) {
		t.Fatalf("order: %s", res.Body)
	}
	paid := o.Lines[0].PaidAmount
	if !paid.Equal(dec("100.05")) {
		t.Fatalf("line paid %s, want 100.05", paid)
	}
	var pay struct {
		ID     string `json:"id"`
		PayURL string `json:"pay_url"`
	}
	n.member(200, bToken, "POST", "/api/v1/shop/orders/"+o.ID+"/pay", map[string]string{"provider": "payment-sandbox"}).Decode(t, &pay)
	u, err := url.Parse(pay.PayURL)
	if err != nil || !strings.HasPrefix(u.Path, "/sandbox/pay/") {
		t.Fatalf("pay_url %q", pay.PayURL)
	}
	e.Must(200, apptest.Req{Method: "GET", Path: u.RequestURI(), Tenant: shop.Slug})
	e.Must(200, apptest.Req{Method: "POST", Path: u.Path, Tenant: shop.Slug, Body: "decision=approve&payment_id=" + pay.ID,
		Header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}})

	// The commission job (River) records the commission, frozen.
	var cs []commission
	waitFor(t, "the commission job", 15*time.Second, func() bool { cs = n.commissions(o.ID); return len(cs) == 3 })

	// The independent computation: the line's paid amount (shipping
	// excluded) × the level's rate, half-even to the cent.
	upline := []string{d3, d2, d1}
	want := map[string]decimal.Decimal{}
	for i, id := range upline {
		want[id] = paid.Mul(dec(rates[i])).RoundBank(2)
	}
	// Spelled out, so a wrong computation above cannot hide a wrong answer.
	if !want[d3].Equal(dec("10.00")) || !want[d2].Equal(dec("5.00")) || !want[d1].Equal(dec("2.00")) {
		t.Fatalf("independent computation: %v", want)
	}
	for _, c := range cs {
		i := c.Level - 1
		if i < 0 || i > 2 || c.BeneficiaryID != upline[i] || c.Status != "frozen" || !c.Base.Equal(paid) ||
			!c.Rate.Equal(dec(rates[i])) || !c.Amount.Equal(want[upline[i]]) {
			t.Fatalf("commission %+v; want level %d to %s of %s", c, c.Level, names[upline[max(i, 0)]], want[upline[max(i, 0)]])
		}
	}
	// The buyer is not a distributor and earns nothing; only D1..D3 appear.
	var bc struct{ Items []commission }
	n.member(200, bToken, "GET", "/api/v1/shop/distributor/commissions", nil).Decode(t, &bc)
	if len(bc.Items) != 0 {
		t.Fatalf("buyer commission: %+v", bc.Items)
	}
	zero := decimal.Zero
	bal := map[string]distribution.Balances{}
	for _, id := range upline {
		bal[id] = distribution.Balances{Frozen: want[id], Available: zero, InTransit: zero, Withdrawn: zero}
	}
	n.balances("paid", bal, names)
	total := want[d1].Add(want[d2]).Add(want[d3])
	n.ledger("paid", map[string]string{"commission_expense": total.String(), "distributor_frozen_payable": total.String(),
		"sales_revenue": "100.05", "shipping_revenue": "8.00"})
	// A distributor sees the same in the shop.
	var me overview
	n.member(200, d3Token, "GET", "/api/v1/shop/distributor", nil).Decode(t, &me)
	if !me.Balances.Frozen.Equal(want[d3]) {
		t.Fatalf("D3's own page: frozen %s", me.Balances.Frozen)
	}
	// ... and the shop's withdrawal terms the storefront offers.
	if w := me.Withdrawal; strings.Join(w.Channels, ",") != "alipay,sandbox" || !w.Min.Equal(dec("5")) || !w.FeePercent.Equal(dec("1")) {
		t.Fatalf("D3's withdrawal terms %+v", w)
	}

	// A partial refund before the window closes: each commission loses
	// amount × refunded / paid, half-even (10.00 × 25 / 100.05 = 2.4987… → 2.50).
	refund := dec("25.00")
	n.admin(201, "POST", "/api/v1/admin/orders/"+o.ID+"/refunds", map[string]any{
		"lines": []any{map[string]any{"line_id": o.Lines[0].ID, "amount": refund.StringFixed(2)}}, "reason": "one tin dented"})
	back := map[string]decimal.Decimal{}
	for _, id := range upline {
		back[id] = want[id].Mul(refund).Div(paid).RoundBank(2)
	}
	if !back[d3].Equal(dec("2.50")) || !back[d2].Equal(dec("1.25")) || !back[d1].Equal(dec("0.50")) {
		t.Fatalf("independent refund computation: %v", back)
	}
	for _, id := range upline {
		bal[id] = distribution.Balances{Frozen: want[id].Sub(back[id]), Available: zero, InTransit: zero, Withdrawn: zero}
	}
	n.balances("refunded", bal, names)
	for _, c := range n.commissions(o.ID) {
		if id := c.BeneficiaryID; !c.Refunded.Equal(back[id]) || !c.Net.Equal(want[id].Sub(back[id])) || c.Status != "frozen" {
			t.Fatalf("after the refund: %+v", c)
		}
	}
	net := total.Sub(back[d1]).Sub(back[d2]).Sub(back[d3])
	n.ledger("refunded", map[string]string{"commission_expense": net.String(), "distributor_frozen_payable": net.String(),
		"refunds": "25.00"})

	// Ship, the buyer confirms: completed. With a 0-day after-sales window
	// the orders job closes the line's window at once; settlement makes the
	// commission available.
	n.admin(200, "POST", "/api/v1/admin/orders/"+o.ID+"/ship", map[string]any{
		"parcels": []any{map[string]string{"carrier": "SF", "tracking_no": "SF1"}}})
	n.member(200, bToken, "POST", "/api/v1/shop/orders/"+o.ID+"/confirm-receipt", nil)
	ctx := tenancy.With(context.Background(), tenancy.Tenant{ID: tenancy.TenantID(shop.ID), Slug: shop.Slug, Status: "active", Currency: "CNY"})
	waitFor(t, "the after-sales window job and settlement", 15*time.Second, func() bool {
		if _, err := e.App.Distribution.Settle(ctx); err != nil {
			t.Fatal(err)
		}
		for _, c := range n.commissions(o.ID) {
			if c.Status != "available" {
				return false
			}
		}
		return true
	})
	for _, id := range upline {
		bal[id] = distribution.Balances{Frozen: zero, Available: want[id].Sub(back[id]), InTransit: zero, Withdrawn: zero}
	}
	n.balances("settled", bal, names)
	n.ledger("settled", map[string]string{"commission_expense": net.String(), "distributor_frozen_payable": "0",
		"distributor_available_payable": net.String()})

	// D3 withdraws all of it (7.50; fee 1% = 0.075 → 0.08 half-even) to
	// the sandbox; the merchant approves and the sandbox pays out.
	amount := want[d3].Sub(back[d3])
	fee := amount.Mul(dec("0.01")).RoundBank(2)
	if !amount.Equal(dec("7.50")) || !fee.Equal(dec("0.08")) {
		t.Fatalf("independent withdrawal computation: %s %s", amount, fee)
	}
	n.member(422, d3Token, "POST", "/api/v1/shop/distributor/withdrawals", map[string]string{
		"amount": "4.99", "channel": "sandbox", "account": "d3@sandbox.test", "name": "D3"}) // below the minimum
	var w struct {
		ID        string          `json:"id"`
		Amount    decimal.Decimal `json:"amount"`
		Fee       decimal.Decimal `json:"fee"`
		Net       decimal.Decimal `json:"net"`
		Status    string          `json:"status"`
		PayoutRef string          `json:"payout_ref"`
	}
	n.member(201, d3Token, "POST", "/api/v1/shop/distributor/withdrawals", map[string]string{
		"amount": amount.StringFixed(2), "channel": "sandbox", "account": "d3@sandbox.test", "name": "D3"}).Decode(t, &w)
	if w.Status != "requested" || !w.Amount.Equal(amount) || !w.Fee.Equal(fee) || !w.Net.Equal(amount.Sub(fee)) {
		t.Fatalf("withdrawal: %+v", w)
	}
	bal[d3] = distribution.Balances{Frozen: zero, Available: zero, InTransit: amount, Withdrawn: zero}
	n.balances("withdrawal requested", bal, names)
	n.ledger("withdrawal requested", map[string]string{"withdrawals_in_transit": amount.String(),
		"distributor_available_payable": net.Sub(amount).String()})
	n.member(422, d3Token, "POST", "/api/v1/shop/distributor/withdrawals", map[string]string{
		"amount": "5.00", "channel": "sandbox", "account": "d3@sandbox.test", "name": "D3"}) // nothing left

	n.admin(200, "POST", "/api/v1/admin/withdrawals/"+w.ID+"/approve", nil).Decode(t, &w)
	if w.Status != "paid" || !strings.HasPrefix(w.PayoutRef, "sbp_") {
		t.Fatalf("approved withdrawal: %+v", w)
	}
	bal[d3] = distribution.Balances{Frozen: zero, Available: zero, InTransit: zero, Withdrawn: amount}
	n.balances("paid out", bal, names)
	n.ledger("paid out", map[string]string{"withdrawals_in_transit": "0", "fee_income": fee.String(),
		"distributor_available_payable": net.Sub(amount).String(), "commission_expense": net.String()})
	var ws struct {
		Items []struct {
			ID, Status string
		}
	}
	n.member(200, d3Token, "GET", "/api/v1/shop/distributor/withdrawals", nil).Decode(t, &ws)
	if len(ws.Items) != 1 || ws.Items[0].ID != w.ID || ws.Items[0].Status != "paid" {
		t.Fatalf("D3's withdrawals: %+v", ws.Items)
	}
}
