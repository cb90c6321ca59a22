package orders_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/apptest"
	"github.com/banyanmall/banyan/core/orders"
	"github.com/banyanmall/banyan/core/tenancy"
	"github.com/banyanmall/banyan/sdk"
)

// refundDetail is the refund side of the merchant's order detail.
type refundDetail struct {
	RefundedAmount decimal.Decimal `json:"refunded_amount"`
	Lines          []struct {
		ID             string          `json:"id"`
		PaidAmount     decimal.Decimal `json:"paid_amount"`
		RefundedAmount decimal.Decimal `json:"refunded_amount"`
	} `json:"lines"`
	Refunds []struct {
		ID      string          `json:"id"`
		Amount  decimal.Decimal `json:"amount"`
		Status  string          `json:"status"`
		Message string          `json:"message"`
	} `json:"refunds"`
}

// paidOrder places an order of qty cups and pays it through the sandbox.
func (f *fixture) paidOrder(t *testing.T, qty int, key string) refundDetail {
	t.Helper()
	o := f.place(t, qty, key)
	f.pay(t, f.token, o.ID)
	d := f.refunds(t, o.ID)
	if len(d.Lines) != 1 || !d.Lines[0].PaidAmount.IsPositive() {
		t.Fatalf("paid order: %+v", d)
	}
	return d
}

func (f *fixture) refunds(t *testing.T, orderID string) refundDetail {
	t.Helper()
	var d refundDetail
	f.e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/admin/orders/" + orderID, Token: f.shop.OwnerToken, Tenant: f.shop.Slug}).Decode(t, &d)
	return d
}

// refund asks for a refund of amount on the order's only line.
func (f *fixture) refund(orderID, lineID string, amount decimal.Decimal, reason string) *apptest.Resp {
	return f.e.Do(apptest.Req{Method: "POST", Path: "/api/v1/admin/orders/" + orderID + "/refunds", Token: f.shop.OwnerToken, Tenant: f.shop.Slug,
		Body: map[string]any{"lines": []any{map[string]any{"line_id": lineID, "amount": amount.StringFixed(2)}}, "reason": reason}})
}

func (f *fixture) ctx() context.Context {
	return tenancy.With(context.Background(), tenancy.Tenant{ID: tenancy.TenantID(f.shop.ID), Slug: f.shop.Slug, Currency: "CNY"})
}

// postings counts the journal entries a refund posted.
func (f *fixture) postings(t *testing.T, refundID string) int {
	t.Helper()
	var n int
	if err := f.e.DB.Owner.Get(&n, `SELECT count(*) FROM journal_entries WHERE kind = 'order_refund' AND ref = $1`, refundID); err != nil {
		t.Fatal(err)
	}
	return n
}

func (f *fixture) orderID(t *testing.T, d refundDetail) string {
	t.Helper()
	var id string
	if err := f.e.DB.Owner.Get(&id, `SELECT order_id FROM order_lines WHERE id = $1`, d.Lines[0].ID); err != nil {
		t.Fatal(err)
	}
	return id
}

// waitSettled waits for the job to settle a refund (it polls every 100 ms
// in tests); it asserts nothing about how long that takes.
func (f *fixture) waitSettled(t *testing.T, orderID, refundID string) string {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		for _, r := range f.refunds(t, orderID).Refunds {
			if r.ID == refundID && r.Status != orders.RefundPending {
				return r.Status
			}
		}
	}
	t.Fatalf("refund %s never settled", refundID)
	return ""
}

// TestRefundProviderCallOutsideLock holds a real sandbox refund inside the
// provider call: meanwhile the order row is free (another transaction
// locks it at once, staff ship the order), and the pending refund already
// counts against what can be refunded.
func TestRefundProviderCallOutsideLock(t *testing.T) {
	f := setup(t, 10)
	d := f.paidOrder(t, 2, "k-lock")
	id, line := f.orderID(t, d), d.Lines[0]
	held, release := make(chan string), make(chan struct{})
	orders.SetRefundHook(f.e.App.Orders, func(ctx context.Context, prov sdk.PaymentProvider, req sdk.RefundRequest) (sdk.RefundResult, error) {
		if req.Reason == "hold" {
			held <- req.RefundID
			<-release
		}
		return prov.Refund(ctx, req)
	})
	first := decimal.RequireFromString("50.00")
	done := make(chan *apptest.Resp)
	go func() { done <- f.refund(id, line.ID, first, "hold") }()
	refundID := <-held

	tx := f.e.DB.Owner.MustBegin()
	_, lockErr := tx.Exec(`SELECT id FROM orders WHERE id = $1 FOR UPDATE NOWAIT`, id)
	_ = tx.Rollback()
	if lockErr != nil {
		close(release)
		<-done
		t.Fatalf("the order row is locked while the provider works: %v", lockErr)
	}
	f.e.Must(200, apptest.Req{Method: "POST", Path: "/api/v1/admin/orders/" + id + "/ship", Token: f.shop.OwnerToken, Tenant: f.shop.Slug,
		Body: map[string]any{"parcels": []any{map[string]string{"carrier": "SF", "tracking_no": "SF9"}}}})
	pending := f.refunds(t, id)
	if len(pending.Refunds) != 1 || pending.Refunds[0].Status != "pending" || !pending.RefundedAmount.IsZero() {
		t.Errorf("while the provider works: %+v", pending)
	}
	// The rest of the line, and not a cent more, while the first is pending.
	rest := line.PaidAmount.Sub(first)
	over := f.refund(id, line.ID, rest.Add(decimal.RequireFromString("0.01")), "too much")
	if over.Status != 422 || !strings.Contains(string(over.Body), "above_paid") || !strings.Contains(string(over.Body), "pending") {
		t.Errorf("refund above what is left while another is pending: %s", over)
	}
	close(release)
	res := <-done
	var r orders.Refund
	if res.Status != 201 {
		t.Fatalf("held refund: %s", res)
	}
	res.Decode(t, &r)
	if r.ID != refundID || r.Status != "succeeded" || r.ProviderRef == "" {
		t.Errorf("held refund answered %+v", r)
	}
	if got := f.refunds(t, id); !got.RefundedAmount.Equal(first) || f.postings(t, refundID) != 1 {
		t.Errorf("after: refunded %s, postings %d", got.RefundedAmount, f.postings(t, refundID))
	}
	f.trialBalanceZero(t, "held refund")
}

// TestConcurrentRefundsNeverExceedPaid: concurrent refunds whose sum
// exceeds what was paid — the ones that fit succeed, the others are refused
// with above_paid, and exactly what succeeded is refunded and posted.
func TestConcurrentRefundsNeverExceedPaid(t *testing.T) {
	f := setup(t, 10)
	d := f.paidOrder(t, 2, "k-conc")
	id, line := f.orderID(t, d), d.Lines[0]
	each := line.PaidAmount.Mul(decimal.RequireFromString("0.3")).RoundBank(2) // three fit, five are asked
	const n = 5
	statuses := make([]int, n)
	bodies := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := f.refund(id, line.ID, each, fmt.Sprintf("part %d", i))
			statuses[i], bodies[i] = res.Status, string(res.Body)
		}()
	}
	wg.Wait()
	ok := 0
	for i, st := range statuses {
		switch {
		case st == 201:
			ok++
		case st == 422 && strings.Contains(bodies[i], "above_paid"):
		default:
			t.Errorf("refund %d: %d %s", i, st, bodies[i])
		}
	}
	got := f.refunds(t, id)
	if ok != 3 || !got.RefundedAmount.Equal(each.Mul(decimal.NewFromInt(3))) || len(got.Refunds) != 3 {
		t.Errorf("%d succeeded, refunded %s, %d refunds; want 3, %s, 3", ok, got.RefundedAmount, len(got.Refunds), each.Mul(decimal.NewFromInt(3)))
	}
	f.trialBalanceZero(t, "concurrent refunds")
}

// TestRefundFinishedOnce: a refund whose request died after phase 1 is
// finished by its job; the job and several finishers racing post it once.
func TestRefundFinishedOnce(t *testing.T) {
	f := setup(t, 10)
	s := f.e.App.Orders
	for _, tc := range []struct {
		name  string
		racer int // finishers racing the job
	}{{"the job alone (crash after phase 1)", 0}, {"the job and four finishers", 4}} {
		t.Run(tc.name, func(t *testing.T) {
			d := f.paidOrder(t, 1, "k-once-"+fmt.Sprint(tc.racer))
			id, line := f.orderID(t, d), d.Lines[0]
			r, err := orders.BeginRefundOnly(f.ctx(), s, orders.OrderID(id), orders.RefundInput{Lines: []orders.RefundLine{{LineID: line.ID, Qty: 1, Amount: line.PaidAmount}}, Reason: "crash"})
			if err != nil || r.Status != "pending" {
				t.Fatalf("phase 1: %+v, %v", r, err)
			}
			var wg sync.WaitGroup
			for range tc.racer {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if got, err := orders.FinishRefund(f.ctx(), s, r.ID); err != nil || got.Status != "succeeded" {
						t.Errorf("finish: %+v, %v", got, err)
					}
				}()
			}
			wg.Wait()
			if st := f.waitSettled(t, id, r.ID); st != "succeeded" {
				t.Fatalf("settled %s", st)
			}
			got := f.refunds(t, id)
			if n := f.postings(t, r.ID); n != 1 || !got.RefundedAmount.Equal(line.PaidAmount) {
				t.Errorf("posted %d times, refunded %s of %s", n, got.RefundedAmount, line.PaidAmount)
			}
			f.trialBalanceZero(t, tc.name)
		})
	}
}

// TestRefundProviderOutcomes: a refusal is recorded failed with the
// provider's message and posts nothing (the amount can be refunded again);
// an unreachable provider leaves the refund pending (202) for the job, or
// for staff to settle by hand.
func TestRefundProviderOutcomes(t *testing.T) {
	f := setup(t, 10)
	s := f.e.App.Orders
	d := f.paidOrder(t, 2, "k-outcomes")
	id, line := f.orderID(t, d), d.Lines[0]
	ten := decimal.RequireFromString("10.00")

	res := f.refund(id, line.ID, line.PaidAmount, "sandbox-fail: account closed")
	if res.Status != 502 || !strings.Contains(string(res.Body), "refund_failed") || !strings.Contains(string(res.Body), "simulated refusal") {
		t.Fatalf("refused refund: %s", res)
	}
	got := f.refunds(t, id)
	if len(got.Refunds) != 1 || got.Refunds[0].Status != "failed" || !strings.Contains(got.Refunds[0].Message, "simulated refusal") || !got.RefundedAmount.IsZero() {
		t.Fatalf("after a refusal: %+v", got)
	}
	if n := f.postings(t, got.Refunds[0].ID); n != 0 {
		t.Errorf("a failed refund posted %d entries", n)
	}
	f.trialBalanceZero(t, "refused refund")

	orders.SetRefundHook(s, func(context.Context, sdk.PaymentProvider, sdk.RefundRequest) (sdk.RefundResult, error) {
		return sdk.RefundResult{}, errors.New("dial tcp: connection refused")
	})
	var pending orders.Refund
	res = f.refund(id, line.ID, ten, "unreachable")
	if res.Status != 202 {
		t.Fatalf("unreachable provider: %s", res)
	}
	res.Decode(t, &pending)
	var byHand orders.Refund
	res = f.refund(id, line.ID, ten, "settled by hand")
	if res.Status != 202 {
		t.Fatalf("unreachable provider: %s", res)
	}
	res.Decode(t, &byHand)
	if pending.Status != "pending" || byHand.Status != "pending" || !f.refunds(t, id).RefundedAmount.IsZero() {
		t.Fatalf("pending refunds: %+v %+v", pending, byHand)
	}
	// The job's work once the provider is back (its schedule is a minute out).
	orders.SetRefundHook(s, nil)
	if r, err := orders.FinishRefund(f.ctx(), s, pending.ID); err != nil || r.Status != "succeeded" {
		t.Errorf("finish after the outage: %+v, %v", r, err)
	}
	settle := func(refundID, status string) *apptest.Resp {
		return f.e.Do(apptest.Req{Method: "POST", Path: "/api/v1/admin/refunds/" + refundID + "/settle", Token: f.shop.OwnerToken, Tenant: f.shop.Slug,
			Body: map[string]string{"status": status, "message": "checked with the bank"}})
	}
	if res := settle(byHand.ID, "maybe"); res.Status != 422 {
		t.Errorf("settle with a bad status: %s", res)
	}
	var r orders.Refund
	f.e.Must(200, apptest.Req{Method: "POST", Path: "/api/v1/admin/refunds/" + byHand.ID + "/settle", Token: f.shop.OwnerToken, Tenant: f.shop.Slug,
		Body: map[string]string{"status": "failed", "message": "the bank returned it"}}).Decode(t, &r)
	if r.Status != "failed" || r.Message != "the bank returned it" {
		t.Errorf("settled by hand: %+v", r)
	}
	// Settled is final: settling again answers it unchanged.
	settle(byHand.ID, "succeeded").Decode(t, &r)
	if r.Status != "failed" {
		t.Errorf("settled twice: %+v", r)
	}
	got = f.refunds(t, id)
	if !got.RefundedAmount.Equal(ten) || f.postings(t, pending.ID) != 1 || f.postings(t, byHand.ID) != 0 {
		t.Errorf("after the outage: refunded %s", got.RefundedAmount)
	}
	// What failed is refundable again: the rest of the line, exactly.
	if res := f.refund(id, line.ID, line.PaidAmount.Sub(ten), "the rest"); res.Status != 201 {
		t.Errorf("refund of the rest: %s", res)
	}
	f.trialBalanceZero(t, "outcomes")
}

// TestAfterSaleRefundStates: an approved refund_only request is refunding
// while the provider is unreachable (202), refunded once its refund
// succeeds, and back to requested when the provider refuses.
func TestAfterSaleRefundStates(t *testing.T) {
	f := setup(t, 10)
	s := f.e.App.Orders
	type afterSale struct {
		ID       string  `json:"id"`
		State    string  `json:"state"`
		RefundID *string `json:"refund_id"`
	}
	request := func(t *testing.T, key, reason string) (string, afterSale) {
		t.Helper()
		d := f.paidOrder(t, 1, key)
		id := f.orderID(t, d)
		var a afterSale
		f.e.Must(201, apptest.Req{Method: "POST", Path: "/api/v1/shop/orders/" + id + "/after-sales", Token: f.token, Tenant: f.shop.Slug,
			Body: map[string]any{"kind": "refund_only", "reason": reason, "lines": []any{map[string]any{"line_id": d.Lines[0].ID, "qty": 1}}}}).Decode(t, &a)
		return id, a
	}
	approve := func(a afterSale) *apptest.Resp {
		return f.e.Do(apptest.Req{Method: "POST", Path: "/api/v1/admin/after-sales/" + a.ID + "/approve", Token: f.shop.OwnerToken, Tenant: f.shop.Slug, Body: map[string]any{}})
	}

	orders.SetRefundHook(s, func(context.Context, sdk.PaymentProvider, sdk.RefundRequest) (sdk.RefundResult, error) {
		return sdk.RefundResult{}, errors.New("provider timeout")
	})
	id, a := request(t, "k-as-1", "broken")
	res := approve(a)
	if res.Status != 202 {
		t.Fatalf("approve with the provider down: %s", res)
	}
	res.Decode(t, &a)
	if a.State != "refunding" || a.RefundID == nil {
		t.Fatalf("approved while the provider is down: %+v", a)
	}
	orders.SetRefundHook(s, nil)
	if r, err := orders.FinishRefund(f.ctx(), s, *a.RefundID); err != nil || r.Status != "succeeded" {
		t.Fatalf("finish: %+v, %v", r, err)
	}
	f.e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/admin/after-sales/" + a.ID, Token: f.shop.OwnerToken, Tenant: f.shop.Slug}).Decode(t, &a)
	if a.State != "refunded" || f.postings(t, *a.RefundID) != 1 || !f.refunds(t, id).RefundedAmount.IsPositive() {
		t.Errorf("after the refund succeeded: %+v", a)
	}

	_, a = request(t, "k-as-2", "sandbox-fail this one")
	res = approve(a)
	if res.Status != 502 || !strings.Contains(string(res.Body), "refund_failed") {
		t.Fatalf("approve refused by the provider: %s", res)
	}
	f.e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/admin/after-sales/" + a.ID, Token: f.shop.OwnerToken, Tenant: f.shop.Slug}).Decode(t, &a)
	if a.State != "requested" {
		t.Errorf("after a refused refund the request is %s; want requested", a.State)
	}
	f.trialBalanceZero(t, "after-sales")
}

// TestRefundList: staff find pending refunds without opening orders, and
// the ones pending past RefundOverdueAfter are flagged overdue (the
// dashboard warns about them) until someone settles them.
func TestRefundList(t *testing.T) {
	f := setup(t, 10)
	s := f.e.App.Orders
	d := f.paidOrder(t, 2, "k-list")
	id, line := f.orderID(t, d), d.Lines[0]
	orders.SetRefundHook(s, func(context.Context, sdk.PaymentProvider, sdk.RefundRequest) (sdk.RefundResult, error) {
		return sdk.RefundResult{}, errors.New("dial tcp: connection refused")
	})
	var pending orders.Refund
	f.e.Must(202, apptest.Req{Method: "POST", Path: "/api/v1/admin/orders/" + id + "/refunds", Token: f.shop.OwnerToken, Tenant: f.shop.Slug,
		Body: map[string]any{"lines": []any{map[string]any{"line_id": line.ID, "amount": "10.00"}}, "reason": "unreachable"}}).Decode(t, &pending)
	list := func(query string) []orders.RefundListItem {
		t.Helper()
		var l struct{ Items []orders.RefundListItem }
		f.e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/admin/refunds" + query, Token: f.shop.OwnerToken, Tenant: f.shop.Slug}).Decode(t, &l)
		return l.Items
	}
	if got := list("?status=pending"); len(got) != 1 || got[0].ID != pending.ID || got[0].Overdue || got[0].OrderNo == "" || got[0].Provider != "payment-sandbox" {
		t.Fatalf("pending: %+v", got)
	}
	if got := list("?overdue=true"); len(got) != 0 {
		t.Fatalf("overdue after a moment: %+v", got)
	}
	s.Now = func() time.Time { return time.Now().Add(orders.RefundOverdueAfter + time.Minute) }
	if got := list("?overdue=true"); len(got) != 1 || got[0].ID != pending.ID || !got[0].Overdue {
		t.Fatalf("overdue after an hour: %+v", got)
	}
	f.e.Must(200, apptest.Req{Method: "POST", Path: "/api/v1/admin/refunds/" + pending.ID + "/settle", Token: f.shop.OwnerToken, Tenant: f.shop.Slug,
		Body: map[string]string{"status": "failed", "message": "the bank returned it"}})
	if got := list("?overdue=true"); len(got) != 0 {
		t.Fatalf("overdue after settling: %+v", got)
	}
	if got := list("?status=failed"); len(got) != 1 || got[0].Message != "the bank returned it" {
		t.Fatalf("failed: %+v", got)
	}
	for _, c := range []struct{ query, field string }{
		{"?status=lost", "status"},
		{"?overdue=maybe", "overdue"},
		{"?status=succeeded&overdue=true", "overdue"},
	} {
		wantProblem(t, f.e.Do(apptest.Req{Method: "GET", Path: "/api/v1/admin/refunds" + c.query, Token: f.shop.OwnerToken, Tenant: f.shop.Slug}), 422, c.field, "invalid")
	}
	// Another shop sees none of them.
	other := f.e.Signup("refund-list-other")
	var l struct{ Items []orders.RefundListItem }
	f.e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/admin/refunds", Token: other.OwnerToken, Tenant: other.Slug}).Decode(t, &l)
	if len(l.Items) != 0 {
		t.Fatalf("another shop sees %+v", l.Items)
	}
}
