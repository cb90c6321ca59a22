package orders_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/apptest"
)

type startedPayment struct {
	ID          string          `json:"id"`
	ProviderRef string          `json:"provider_ref"`
	Amount      decimal.Decimal `json:"amount"`
}

// startPayment starts a sandbox payment of the order.
func (f *fixture) startPayment(t *testing.T, orderID string) startedPayment {
	t.Helper()
	var p startedPayment
	f.e.Must(200, apptest.Req{Method: "POST", Path: "/api/v1/shop/orders/" + orderID + "/pay", Token: f.token, Tenant: f.shop.Slug,
		Body: map[string]string{"provider": "payment-sandbox"}}).Decode(t, &p)
	if p.ID == "" || p.ProviderRef == "" {
		t.Fatalf("payment %+v", p)
	}
	return p
}

// deliver posts a signed webhook and answers its outcome.
func (f *fixture) deliver(t *testing.T, h hook) string {
	t.Helper()
	var out struct{ Outcome string }
	f.e.Must(200, apptest.Req{Method: "POST", Path: "/api/v1/webhooks/payments/payment-sandbox/" + f.shop.Slug, Body: h.body, Header: h.headers}).Decode(t, &out)
	return out.Outcome
}

// paymentRecord is what is stored of a payment and its events.
type paymentRecord struct {
	Status, ProviderRef, Error, ReceivedCurrency string
	Received                                     *decimal.Decimal
	Settled                                      bool
	Outcomes                                     []string // of its events, in arrival order
}

func (f *fixture) paymentRecord(t *testing.T, id string) paymentRecord {
	t.Helper()
	var r paymentRecord
	if err := f.e.DB.Owner.QueryRow(`SELECT status, provider_ref, error, received_currency, received, settled_at IS NOT NULL FROM payments WHERE id = $1`, id).
		Scan(&r.Status, &r.ProviderRef, &r.Error, &r.ReceivedCurrency, &r.Received, &r.Settled); err != nil {
		t.Fatal(err)
	}
	if err := f.e.DB.Owner.Select(&r.Outcomes, `SELECT outcome FROM payment_events WHERE payment_id = $1 ORDER BY received_at, event_id`, id); err != nil {
		t.Fatal(err)
	}
	return r
}

// timeline is the order's events as "kind from>to actor note".
func (f *fixture) timeline(t *testing.T, orderID string) []string {
	t.Helper()
	var out []string
	if err := f.e.DB.Owner.Select(&out, `SELECT concat_ws(' ', kind, from_state || '>' || to_state, actor, nullif(note, '')) FROM order_events WHERE order_id = $1 ORDER BY id`, orderID); err != nil {
		t.Fatal(err)
	}
	return out
}

// entries counts the journal entries of a kind and ref.
func (f *fixture) entries(t *testing.T, kind, ref string) int {
	t.Helper()
	var n int
	if err := f.e.DB.Owner.Get(&n, `SELECT count(*) FROM journal_entries WHERE kind = $1 AND ref = $2`, kind, ref); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestWebhookOutcomes: each outcome of a payment webhook records the
// payment's final status, the event with its outcome, and the order's
// timeline and ledger once; delivering the same webhook again answers
// duplicate and changes nothing.
func TestWebhookOutcomes(t *testing.T) {
	f := setup(t, 100)
	// again delivers h a second time and checks that nothing changed.
	again := func(t *testing.T, h hook, paymentID, orderID string) {
		t.Helper()
		before, timeline := f.paymentRecord(t, paymentID), f.timeline(t, orderID)
		if got := f.deliver(t, h); got != "duplicate" {
			t.Fatalf("replay: %s", got)
		}
		if after := f.paymentRecord(t, paymentID); !equalJSON(before, after) {
			t.Fatalf("replay changed the payment: %+v → %+v", before, after)
		}
		if after := f.timeline(t, orderID); !slices.Equal(timeline, after) {
			t.Fatalf("replay changed the timeline: %v → %v", timeline, after)
		}
	}

	t.Run("paid", func(t *testing.T) {
		o := f.place(t, 1, "w-paid")
		p := f.startPayment(t, o.ID)
		h := f.signedWebhook(t, p.ID, p.ProviderRef, p.Amount)
		if got := f.deliver(t, h); got != "paid" {
			t.Fatalf("outcome %s", got)
		}
		r := f.paymentRecord(t, p.ID)
		if r.Status != "succeeded" || r.ProviderRef != p.ProviderRef || r.Error != "" || r.Received != nil || !r.Settled || !slices.Equal(r.Outcomes, []string{"paid"}) {
			t.Fatalf("payment %+v", r)
		}
		want := []string{"created >pending_payment member", "paid pending_payment>paid system payment-sandbox " + p.ID}
		if tl := f.timeline(t, o.ID); !slices.Equal(tl, want) {
			t.Fatalf("timeline %q", tl)
		}
		if got := f.get(t, o.ID); got.State != "paid" || f.entries(t, "order_payment", p.ID) != 1 {
			t.Fatalf("order %s, %d payment entries", got.State, f.entries(t, "order_payment", p.ID))
		}
		again(t, h, p.ID, o.ID)
		if n := f.entries(t, "order_payment", p.ID); n != 1 {
			t.Fatalf("%d payment entries after the replay", n)
		}
		f.trialBalanceZero(t, "paid")
	})

	t.Run("declined, then approved", func(t *testing.T) {
		o := f.place(t, 1, "w-declined")
		p := f.startPayment(t, o.ID)
		declined := f.signedDecision(t, p.ID, p.ProviderRef, p.Amount, false)
		if got := f.deliver(t, declined); got != "failed" {
			t.Fatalf("outcome %s", got)
		}
		r := f.paymentRecord(t, p.ID)
		if r.Status != "failed" || r.Error != "declined by the provider" || r.ProviderRef != p.ProviderRef || !r.Settled || !slices.Equal(r.Outcomes, []string{"failed"}) {
			t.Fatalf("payment %+v", r)
		}
		again(t, declined, p.ID, o.ID)
		// The attempt is over: a later approval of it pays nothing.
		if got := f.deliver(t, f.signedWebhook(t, p.ID, p.ProviderRef, p.Amount)); got != "ignored" {
			t.Fatalf("approval of a declined payment: %s", got)
		}
		if r := f.paymentRecord(t, p.ID); r.Status != "failed" || !slices.Equal(r.Outcomes, []string{"failed", "ignored"}) {
			t.Fatalf("payment %+v", r)
		}
		if got := f.get(t, o.ID); got.State != "pending_payment" || len(f.timeline(t, o.ID)) != 1 {
			t.Fatalf("order %s, timeline %v", got.State, f.timeline(t, o.ID))
		}
		f.trialBalanceZero(t, "declined")
	})

	t.Run("another amount", func(t *testing.T) {
		o := f.place(t, 1, "w-mismatch")
		p := f.startPayment(t, o.ID)
		less := p.Amount.Sub(decimal.NewFromInt(1))
		h := f.signedWebhook(t, p.ID, p.ProviderRef, less)
		if got := f.deliver(t, h); got != "mismatch" {
			t.Fatalf("outcome %s", got)
		}
		r := f.paymentRecord(t, p.ID)
		if r.Status != "mismatch" || r.Received == nil || !r.Received.Equal(less) || r.ReceivedCurrency != "CNY" ||
			r.Error != "amount or currency differs from the payment" || !r.Settled || !slices.Equal(r.Outcomes, []string{"mismatch"}) {
			t.Fatalf("payment %+v", r)
		}
		if tl := f.timeline(t, o.ID); len(tl) != 2 || tl[1] != "payment_mismatch > system "+p.ID {
			t.Fatalf("timeline %q", tl)
		}
		again(t, h, p.ID, o.ID)
		if got := f.get(t, o.ID); got.State != "pending_payment" || f.entries(t, "payment_mismatch", p.ID) != 1 {
			t.Fatalf("order %s, %d mismatch entries", got.State, f.entries(t, "payment_mismatch", p.ID))
		}
		f.trialBalanceZero(t, "mismatch")
	})

	t.Run("order no longer payable", func(t *testing.T) {
		o := f.place(t, 1, "w-orphan")
		p := f.startPayment(t, o.ID)
		f.e.Must(200, apptest.Req{Method: "POST", Path: "/api/v1/shop/orders/" + o.ID + "/cancel", Token: f.token, Tenant: f.shop.Slug})
		h := f.signedWebhook(t, p.ID, p.ProviderRef, p.Amount)
		if got := f.deliver(t, h); got != "refunded" {
			t.Fatalf("outcome %s", got)
		}
		r := f.paymentRecord(t, p.ID)
		if r.Status != "refunded" || !slices.Equal(r.Outcomes, []string{"orphan"}) {
			t.Fatalf("payment %+v", r)
		}
		again(t, h, p.ID, o.ID)
		var refunds int
		if err := f.e.DB.Owner.Get(&refunds, `SELECT count(*) FROM refunds WHERE payment_id = $1 AND orphan AND status = 'succeeded'`, p.ID); err != nil || refunds != 1 {
			t.Fatalf("%d orphan refunds (%v)", refunds, err)
		}
		if f.entries(t, "payment_orphan", p.ID) != 1 {
			t.Fatal("the late payment is not held in suspense once")
		}
		f.trialBalanceZero(t, "late payment")
	})

	t.Run("unknown payment", func(t *testing.T) {
		h := f.signedWebhook(t, uuid.NewString(), "", decimal.NewFromInt(5))
		if got := f.deliver(t, h); got != "unknown_payment" {
			t.Fatalf("outcome %s", got)
		}
		if got := f.deliver(t, h); got != "duplicate" {
			t.Fatalf("replay: %s", got)
		}
	})
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// TestPayRefusals: paying another member's order, an order no longer
// payable or with a provider the shop has not enabled is refused (in that
// order of precedence) and records no payment; a payable order gets one
// pending payment per attempt, of its total.
func TestPayRefusals(t *testing.T) {
	f := setup(t, 100)
	payments := func(orderID string) (n int) {
		t.Helper()
		if err := f.e.DB.Owner.Get(&n, `SELECT count(*) FROM payments WHERE order_id = $1`, orderID); err != nil {
			t.Fatal(err)
		}
		return n
	}
	pay := func(token, orderID, provider string) *apptest.Resp {
		return f.e.Do(apptest.Req{Method: "POST", Path: "/api/v1/shop/orders/" + orderID + "/pay", Token: token, Tenant: f.shop.Slug,
			Body: map[string]string{"provider": provider}})
	}
	o := f.place(t, 1, "pay-1")
	other, _ := f.member2(t)
	if res := pay(other, o.ID, "payment-sandbox"); res.Status != 404 {
		t.Fatalf("another member's order: %s", res)
	}
	if res := pay(other, o.ID, "payment-offline"); res.Status != 404 {
		t.Fatalf("another member's order, provider not enabled: %s", res)
	}
	if res := pay(f.token, o.ID, "payment-offline"); res.Status != 422 || res.Problem(t).Errors[0].Field != "provider" || res.Problem(t).Errors[0].Code != "not_enabled" {
		t.Fatalf("provider not enabled: %s", res)
	}
	if res := pay(f.token, uuid.NewString(), "payment-sandbox"); res.Status != 404 {
		t.Fatalf("no such order: %s", res)
	}
	if n := payments(o.ID); n != 0 {
		t.Fatalf("%d payments recorded by refusals", n)
	}
	// Two attempts: two pending payments of the order's total.
	for _, p := range []startedPayment{f.startPayment(t, o.ID), f.startPayment(t, o.ID)} {
		if r := f.paymentRecord(t, p.ID); r.Status != "pending" || !p.Amount.Equal(o.Total) || r.ProviderRef != p.ProviderRef {
			t.Fatalf("payment %+v: %+v (order total %s)", p, r, o.Total)
		}
	}
	f.e.Must(200, apptest.Req{Method: "POST", Path: "/api/v1/shop/orders/" + o.ID + "/cancel", Token: f.token, Tenant: f.shop.Slug})
	for _, provider := range []string{"payment-sandbox", "payment-offline"} {
		if res := pay(f.token, o.ID, provider); res.Status != 409 || res.Problem(t).Code != "invalid_state" {
			t.Fatalf("cancelled order, %s: %s", provider, res)
		}
	}
	if n := payments(o.ID); n != 2 {
		t.Fatalf("%d payments, want the 2 attempts", n)
	}
}
