package orders_test

import (
	"testing"
	"time"
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

// TestOrderTimers: the jobs an order schedules for itself, run by the real
// River workers when their time comes. An unpaid order is cancelled at its
// payment deadline (not before; a paid one is left alone) and its stock
// comes back; a shipped order is confirmed received after the shop's
// auto-confirm days.
func TestOrderTimers(t *testing.T) {
	f := setup(t, 10)
	before := f.stock(t)
	unpaid := f.place(t, 2, "k-timer-unpaid")
	paid := f.place(t, 1, "k-timer-paid")
	f.pay(t, f.token, paid.ID)
	shipped := f.place(t, 1, "k-timer-shipped")
	f.pay(t, f.token, shipped.ID)
	f.ship(t, shipped.ID, "SF", "SF-TIMER-1")
	if s := f.stock(t); s != before-4 {
		t.Fatalf("stock %d after ordering 4, want %d", s, before-4)
	}

	// Early (a job run before the deadline, e.g. after a clock change): it
	// waits again and the order stays unpaid.
	f.due(t, "orders.cancel_unpaid", unpaid.ID)
	f.jobState(t, "orders.cancel_unpaid", unpaid.ID, "scheduled")
	if st := f.get(t, unpaid.ID).State; st != "pending_payment" {
		t.Fatalf("before its deadline the unpaid order is %s", st)
	}
	// A paid order's timeout does nothing.
	f.due(t, "orders.cancel_unpaid", paid.ID)
	f.jobState(t, "orders.cancel_unpaid", paid.ID, "completed")
	if st := f.get(t, paid.ID).State; st != "paid" {
		t.Fatalf("the paid order is %s after its payment timeout ran", st)
	}

	// Auto-confirm: the shipped order is received.
	f.due(t, "orders.auto_confirm", shipped.ID)
	f.jobState(t, "orders.auto_confirm", shipped.ID, "completed")
	if st := f.get(t, shipped.ID).State; st != "completed" {
		t.Fatalf("after auto-confirm the shipped order is %s", st)
	}

	// Past the deadline: cancelled, the stock back.
	f.e.App.Orders.Now = func() time.Time { return time.Now().Add(25 * time.Hour) }
	f.due(t, "orders.cancel_unpaid", unpaid.ID)
	f.jobState(t, "orders.cancel_unpaid", unpaid.ID, "completed")
	o := f.get(t, unpaid.ID)
	if o.State != "cancelled" {
		t.Fatalf("after its deadline the unpaid order is %s", o.State)
	}
	if s := f.stock(t); s != before-2 {
		t.Fatalf("stock %d after the cancellation, want %d (the 2 back)", s, before-2)
	}
	f.trialBalanceZero(t, "timers")
}
