package orders_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/apptest"
	"github.com/banyanmall/banyan/core/config"
	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/jobs"
	"github.com/banyanmall/banyan/core/orders"
	"github.com/banyanmall/banyan/core/tenancy"
)

// due makes the River job of kind for orderID due now — it was scheduled at
// the order's deadline — as if that time had come; the app's real workers
// then run it.
func (f *fixture) due(t *testing.T, kind, orderID string) {
	t.Helper()
	res, err := f.e.DB.Owner.Exec(`UPDATE river_job SET scheduled_at = now(), state = 'available'
WHERE kind = $1 AND args->>'order_id' = $2 AND state IN ('scheduled', 'available', 'retryable')`, kind, orderID)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("%d %s jobs waiting for order %s, want 1", n, kind, orderID)
	}
}

// jobState waits until the job of kind for orderID is in one of states
// (the worker ran, and finished or snoozed) and answers it.
func (f *fixture) jobState(t *testing.T, kind, orderID string, states ...string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var st string
		var at time.Time
		if err := f.e.DB.Owner.QueryRow(`SELECT state, scheduled_at FROM river_job WHERE kind = $1 AND args->>'order_id' = $2`, kind, orderID).Scan(&st, &at); err != nil {
			t.Fatal(err)
		}
		for _, want := range states {
			// A snoozed job is scheduled again, in the future.
			if st == want && (st != "scheduled" || at.After(time.Now())) {
				return st
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s job of order %s is %s, want one of %v", kind, orderID, st, states)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// clock is the orders clock of a test: real time moved forward by an
// offset, read by the app's goroutines while the test moves it.
type clock struct{ off atomic.Int64 }

func (c *clock) now() time.Time       { return time.Now().Add(time.Duration(c.off.Load())) }
func (c *clock) move(d time.Duration) { c.off.Add(int64(d)) }

// useClock makes the orders service read a clock the test moves. Call it
// before anything that reads the clock runs.
func (f *fixture) useClock() *clock {
	c := &clock{}
	f.e.App.Orders.Now = c.now
	return c
}

// sweep runs one sweep of unpaid orders, as the periodic job does.
func (f *fixture) sweep(t *testing.T) int {
	t.Helper()
	n, err := f.e.App.Orders.SweepUnpaid(context.Background())
	if err != nil {
		t.Fatalf("sweep: %v", err)
	}
	return n
}

// cancelEvent is the order's "cancelled" event as stored, with its tenant.
type cancelEvent struct {
	Tenant string `db:"tenant_id"`
	Actor  string `db:"actor"`
	Note   string `db:"note"`
	From   string `db:"from_state"`
}

// cancelEvents answers the order's "cancelled" events.
func (f *fixture) cancelEvents(t *testing.T, orderID string) []cancelEvent {
	t.Helper()
	var evs []cancelEvent
	if err := f.e.DB.Owner.Select(&evs, `SELECT tenant_id, actor, note, from_state FROM order_events WHERE order_id = $1 AND kind = 'cancelled'`, orderID); err != nil {
		t.Fatal(err)
	}
	return evs
}

// timedOut checks that the payment timeout cancelled the order, once, in
// shop's tenant.
func (f *fixture) timedOut(t *testing.T, orderID string) {
	t.Helper()
	if st := f.get(t, orderID).State; st != "cancelled" {
		t.Fatalf("order %s is %s after its deadline passed, want cancelled", orderID, st)
	}
	evs := f.cancelEvents(t, orderID)
	if len(evs) != 1 || evs[0] != (cancelEvent{Tenant: f.shop.ID, Actor: "system", Note: "payment timeout", From: "pending_payment"}) {
		t.Fatalf("cancel events of order %s: %+v (shop %s)", orderID, evs, f.shop.ID)
	}
}

// dueTenants is what the sweep's SECURITY DEFINER function answers the app
// role (no tenant set) at at.
func (f *fixture) dueTenants(t *testing.T, at time.Time) []string {
	t.Helper()
	var ids []string
	if err := f.e.DB.App.Select(&ids, `SELECT tenant_id FROM orders_unpaid_due_tenants($1) ORDER BY 1`, at); err != nil {
		t.Fatal(err)
	}
	return ids
}

// TestOrderTimers: what becomes of an order with time. The sweep of unpaid
// orders (called here as its periodic job calls it) cancels an order still
// unpaid past its payment deadline — stock, coupon and points back, a
// system "payment timeout" event — in its own tenant, whichever tenant; it
// leaves paid orders and orders not yet due alone, and never cancels
// twice. A shipped order is confirmed received after the shop's
// auto-confirm days by the real River worker.
func TestOrderTimers(t *testing.T) {
	f := setup(t, 10)
	clk := f.useClock()
	g := newShop(t, f.e, 10) // another tenant, in the same deployment
	before, gBefore := f.stock(t), g.stock(t)

	// Unpaid, with a coupon and 1,000 points.
	coupon := f.coupon(t, map[string]any{"name": "10 off", "kind": "fixed", "amount": "10", "valid_days": 30})
	if b := f.points(t, f.member, f.token, 1000); b != 1000 {
		t.Fatalf("balance %d", b)
	}
	in := map[string]any{"lines": []any{map[string]any{"sku_id": f.sku, "qty": 2}}, "coupon_id": coupon, "points": 1000}
	q := f.quote(t, f.token, f.address, in)
	if q.PointsUsed != 1000 {
		t.Fatalf("quote: %+v", q)
	}
	res := f.order(t, f.token, "k-timer-unpaid", orderBody(q, f.address, in))
	if res.Status != 201 {
		t.Fatalf("order: %s", res)
	}
	var unpaid order
	res.Decode(t, &unpaid)
	couponState := func() string {
		t.Helper()
		var st string
		if err := f.e.DB.Owner.Get(&st, `SELECT status || coalesce(' ' || order_id, '') FROM coupons WHERE id = $1`, coupon); err != nil {
			t.Fatal(err)
		}
		return st
	}
	if st := couponState(); st != "used "+unpaid.ID {
		t.Fatalf("coupon of the unpaid order: %s", st)
	}
	if b := f.points(t, f.member, f.token, 0); b != 0 {
		t.Fatalf("balance %d after spending 1000", b)
	}

	paid := f.place(t, 1, "k-timer-paid")
	f.pay(t, f.token, paid.ID)
	shipped := f.place(t, 1, "k-timer-shipped")
	f.pay(t, f.token, shipped.ID)
	f.ship(t, shipped.ID, "SF", "SF-TIMER-1")
	// The shop's payment timeout becomes 2 hours: this order is not due
	// when the others (30 minutes) are.
	f.e.Must(200, f.owner("PATCH", "/api/v1/admin/settings/orders", map[string]any{"payment_timeout_minutes": 120}))
	later := f.place(t, 1, "k-timer-later")
	other := g.place(t, 3, "k-timer-other")
	if s, gs := f.stock(t), g.stock(t); s != before-5 || gs != gBefore-3 {
		t.Fatalf("stock %d and %d after ordering, want %d and %d", s, gs, before-5, gBefore-3)
	}

	// Before any deadline: nothing is due, nothing is cancelled.
	if ids := f.dueTenants(t, clk.now()); len(ids) != 0 {
		t.Fatalf("due tenants before any deadline: %v", ids)
	}
	if n := f.sweep(t); n != 0 {
		t.Fatalf("the sweep cancelled %d orders before any deadline", n)
	}
	if st := f.get(t, unpaid.ID).State; st != "pending_payment" {
		t.Fatalf("before its deadline the unpaid order is %s", st)
	}

	// Auto-confirm: the shipped order is received.
	f.due(t, "orders.auto_confirm", shipped.ID)
	f.jobState(t, "orders.auto_confirm", shipped.ID, "completed")
	if st := f.get(t, shipped.ID).State; st != "completed" {
		t.Fatalf("after auto-confirm the shipped order is %s", st)
	}

	// Completing the shipped order earned points; the timeout must give
	// the 1,000 spent back on top of them.
	points := f.points(t, f.member, f.token, 0)

	// 31 minutes on: the two unpaid 30-minute orders, one per shop, are due.
	clk.move(31 * time.Minute)
	want := []string{f.shop.ID, g.shop.ID}
	sort.Strings(want)
	if ids := f.dueTenants(t, clk.now()); strings.Join(ids, ",") != strings.Join(want, ",") {
		t.Fatalf("due tenants %v, want %v", ids, want)
	}
	if n := f.sweep(t); n != 2 {
		t.Fatalf("the sweep cancelled %d orders, want 2", n)
	}
	f.timedOut(t, unpaid.ID)
	g.timedOut(t, other.ID)
	if st := couponState(); st != "unused" {
		t.Fatalf("coupon after the timeout: %s", st)
	}
	if b := f.points(t, f.member, f.token, 0); b != points+1000 {
		t.Fatalf("balance %d after the timeout, want %d (the 1000 back)", b, points+1000)
	}
	// Each shop got its own stock back, and only its own.
	if s, gs := f.stock(t), g.stock(t); s != before-3 || gs != gBefore {
		t.Fatalf("stock %d and %d after the timeout, want %d and %d", s, gs, before-3, gBefore)
	}
	if st := f.get(t, paid.ID).State; st != "paid" || len(f.cancelEvents(t, paid.ID)) != 0 {
		t.Fatalf("the paid order is %s after the sweep", st)
	}
	if st := f.get(t, later.ID).State; st != "pending_payment" {
		t.Fatalf("the 2-hour order is %s 31 minutes on", st)
	}
	f.trialBalanceZero(t, "timed out")
	g.trialBalanceZero(t, "timed out (other shop)")

	// Again: nothing left to do, nothing given back twice.
	if n := f.sweep(t); n != 0 {
		t.Fatalf("a second sweep cancelled %d orders", n)
	}
	if s := f.stock(t); s != before-3 {
		t.Fatalf("stock %d after a second sweep, want %d", s, before-3)
	}

	// Past 2 hours the last one goes too.
	clk.move(90 * time.Minute)
	if n := f.sweep(t); n != 1 {
		t.Fatalf("the sweep cancelled %d orders past 2 hours, want 1", n)
	}
	f.timedOut(t, later.ID)
	if s := f.stock(t); s != before-2 {
		t.Fatalf("stock %d after the last timeout, want %d", s, before-2)
	}

	// Orders no longer get a job of their own for their deadline.
	var jobs int
	if err := f.e.DB.Owner.Get(&jobs, `SELECT count(*) FROM river_job WHERE kind = 'orders.cancel_unpaid'`); err != nil {
		t.Fatal(err)
	}
	if jobs != 0 {
		t.Fatalf("%d orders.cancel_unpaid jobs enqueued", jobs)
	}
	f.trialBalanceZero(t, "end")
}

// TestUnpaidSweepPeriodic: the sweep is a periodic River job of the app.
// With a short interval, an order whose deadline passed is cancelled
// without anyone calling it; a paid one is not.
func TestUnpaidSweepPeriodic(t *testing.T) {
	f := setup(t, 10, func(c *config.Config) { c.UnpaidSweepEvery = 200 * time.Millisecond })
	before := f.stock(t)
	unpaid := f.place(t, 2, "k-periodic-unpaid")
	paid := f.place(t, 1, "k-periodic-paid")
	f.pay(t, f.token, paid.ID)
	// Their deadlines pass. The periodic job reads the orders clock
	// concurrently, so the deadlines move rather than the clock.
	if _, err := f.e.DB.Owner.Exec(`UPDATE orders SET payment_deadline = now() - interval '1 minute' WHERE id = ANY($1)`,
		pq.Array([]string{unpaid.ID, paid.ID})); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); f.get(t, unpaid.ID).State != "cancelled"; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the periodic sweep did not cancel the order past its deadline")
		}
	}
	f.timedOut(t, unpaid.ID)
	if s := f.stock(t); s != before-1 {
		t.Fatalf("stock %d, want %d (the 2 back)", s, before-1)
	}
	if st := f.get(t, paid.ID).State; st != "paid" {
		t.Fatalf("the paid order is %s", st)
	}
	// River marks a job completed in batches, a moment after its work
	// committed: wait for it rather than read it once.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		var runs int
		if err := f.e.DB.Owner.Get(&runs, `SELECT count(*) FROM river_job WHERE kind = 'orders.sweep_unpaid' AND state = 'completed'`); err != nil {
			t.Fatal(err)
		}
		if runs > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no orders.sweep_unpaid job completed")
		}
	}
	f.trialBalanceZero(t, "periodic")
}

// TestUnpaidSweepVersusPayment: payments arrive for orders past their
// deadline while two sweeps run, all at once. Each order ends one way only:
// paid (the sweep left it), or cancelled once with the payment refunded as
// arriving too late; never both, never cancelled twice.
func TestUnpaidSweepVersusPayment(t *testing.T) {
	const n = 8
	f := setup(t, 20)
	clk := f.useClock()
	before := f.stock(t)
	type attempt struct {
		order   string
		payment struct {
			ID          string          `json:"id"`
			ProviderRef string          `json:"provider_ref"`
			Amount      decimal.Decimal `json:"amount"`
		}
	}
	as := make([]attempt, n)
	for i := range as {
		as[i].order = f.place(t, 1, fmt.Sprintf("k-race-%d", i)).ID
		f.e.Must(200, apptest.Req{Method: "POST", Path: "/api/v1/shop/orders/" + as[i].order + "/pay", Token: f.token, Tenant: f.shop.Slug,
			Body: map[string]string{"provider": "payment-sandbox"}}).Decode(t, &as[i].payment)
	}
	clk.move(31 * time.Minute)
	hooks := make([]hook, n)
	for i, a := range as {
		hooks[i] = f.signedWebhookAt(t, a.payment.ID, a.payment.ProviderRef, a.payment.Amount, clk.now())
	}

	start := make(chan struct{})
	var wg sync.WaitGroup
	outcomes := make([]string, n)
	for i := range n {
		wg.Go(func() {
			<-start
			res := f.e.Do(apptest.Req{Method: "POST", Path: "/api/v1/webhooks/payments/payment-sandbox/" + f.shop.Slug, Body: hooks[i].body, Header: hooks[i].headers})
			var out struct{ Outcome string }
			_ = json.Unmarshal(res.Body, &out)
			outcomes[i] = fmt.Sprint(res.Status, out.Outcome)
		})
	}
	swept := make([]int, 2)
	sweepErrs := make([]error, 2)
	for j := range swept {
		wg.Go(func() {
			<-start
			swept[j], sweepErrs[j] = f.e.App.Orders.SweepUnpaid(context.Background())
		})
	}
	close(start)
	wg.Wait()
	for _, err := range sweepErrs {
		if err != nil {
			t.Fatalf("sweep: %v", err)
		}
	}

	paidN, cancelledN := 0, 0
	for i, a := range as {
		o := f.get(t, a.order)
		kinds := map[string]int{}
		for _, ev := range o.Events {
			kinds[ev.Kind]++
		}
		switch {
		case outcomes[i] == "200paid" && o.State == "paid" && kinds["paid"] == 1 && kinds["cancelled"] == 0:
			paidN++
		case (outcomes[i] == "200refunded" || outcomes[i] == "200orphan") && o.State == "cancelled" &&
			kinds["paid"] == 0 && kinds["cancelled"] == 1 && kinds["payment_after_cancelled"] == 1:
			f.timedOut(t, a.order)
			// The late payment is given back in full.
			var back decimal.Decimal
			if err := f.e.DB.Owner.Get(&back, `SELECT coalesce(sum(amount), 0) FROM refunds WHERE order_id = $1 AND orphan AND payment_id = $2`,
				a.order, a.payment.ID); err != nil || !back.Equal(a.payment.Amount) {
				t.Fatalf("order %d: %s refunded of the late %s (%v)", i, back, a.payment.Amount, err)
			}
			cancelledN++
		default:
			t.Fatalf("order %d: webhook %s, state %s, events %v", i, outcomes[i], o.State, kinds)
		}
	}
	t.Logf("%d paid, %d cancelled with the payment refunded", paidN, cancelledN)
	if swept[0]+swept[1] != cancelledN {
		t.Fatalf("the sweeps counted %d cancellations, %d orders are cancelled", swept[0]+swept[1], cancelledN)
	}
	if s := f.stock(t); s != before-paidN {
		t.Fatalf("stock %d with %d orders paid, want %d", s, paidN, before-paidN)
	}
	f.trialBalanceZero(t, "after the race")
}

// TestUnpaidSweepSkipsHeldOrder: an order whose row someone holds (a
// payment being applied) is left by the sweep, which neither waits for it
// nor overrides it; the next sweep takes it if it is still unpaid.
func TestUnpaidSweepSkipsHeldOrder(t *testing.T) {
	f := setup(t, 10)
	clk := f.useClock()
	before := f.stock(t)
	o := f.place(t, 1, "k-held")
	clk.move(31 * time.Minute)

	tx, err := f.e.DB.Owner.Beginx()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`SELECT 1 FROM orders WHERE id = $1 FOR UPDATE`, o.ID); err != nil {
		t.Fatal(err)
	}
	// Bounded, so that a sweep waiting for the row fails instead of hanging.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	n, err := f.e.App.Orders.SweepUnpaid(ctx)
	if err != nil || n != 0 {
		t.Fatalf("sweep while the order is held: %d, %v", n, err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if st := f.get(t, o.ID).State; st != "pending_payment" {
		t.Fatalf("held order is %s", st)
	}
	if n := f.sweep(t); n != 1 {
		t.Fatalf("the sweep after the release cancelled %d", n)
	}
	f.timedOut(t, o.ID)
	if s := f.stock(t); s != before {
		t.Fatalf("stock %d, want %d", s, before)
	}
}

// TestLegacyCancelUnpaidJob: an orders.cancel_unpaid job enqueued before
// the sweep replaced them (orders no longer get one) still cancels its
// order once the deadline has passed.
func TestLegacyCancelUnpaidJob(t *testing.T) {
	f := setup(t, 10)
	clk := f.useClock()
	before := f.stock(t)
	o := f.place(t, 2, "k-legacy")
	clk.move(31 * time.Minute)
	if err := f.e.App.DB.InTenantID(context.Background(), tenancy.TenantID(f.shop.ID), func(tx *db.Tx) error {
		_, err := jobs.Enqueue(context.Background(), tx, orders.CancelUnpaidArgs{Tenant: jobs.Tenant{TenantID: tenancy.TenantID(f.shop.ID)},
			OrderID: orders.OrderID(o.ID)}, nil)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	f.jobState(t, "orders.cancel_unpaid", o.ID, "completed")
	f.timedOut(t, o.ID)
	if s := f.stock(t); s != before {
		t.Fatalf("stock %d, want %d", s, before)
	}
}
