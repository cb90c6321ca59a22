package orders

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/jobs"
	"github.com/banyanmall/banyan/core/tenancy"
)

// DefaultUnpaidSweepEvery is how often unpaid orders past their payment
// deadline are looked for when the caller gives no interval. The shortest
// payment timeout a shop may set is a minute (the default is 30), so an
// order is cancelled at most half of the shortest timeout after its
// deadline; when nothing is due a run costs one descent of a small partial
// index (migration 00080), twice a minute across the whole deployment.
const DefaultUnpaidSweepEvery = 30 * time.Second

// sweepBatch bounds how many due orders one listing answers per tenant:
// tenants are worked a batch each in turn, so one tenant's backlog does not
// hold up the others' cancellations.
const sweepBatch = 500

// SweepUnpaidArgs is the periodic job that cancels orders still unpaid past
// their payment deadline, in every tenant (so it carries no tenant).
type SweepUnpaidArgs struct{}

// Kind implements river.JobArgs.
func (SweepUnpaidArgs) Kind() string { return "orders.sweep_unpaid" }

type sweepUnpaidWorker struct {
	river.WorkerDefaults[SweepUnpaidArgs]
	s     *Service
	every time.Duration
}

// Work sweeps for at most about one interval: what is left waits for the
// next run, so runs seldom overlap (when they do, the row locks keep each
// order's cancellation single).
func (w *sweepUnpaidWorker) Work(ctx context.Context, _ *river.Job[SweepUnpaidArgs]) error {
	_, err := w.s.sweepUnpaid(ctx, w.every)
	return err
}

// SweepUnpaid cancels every order, in every tenant, that is still unpaid at
// the end of its payment deadline (by s.now()), exactly as the member or
// staff would: stock, coupon and points given back, a "cancelled" event with
// the note "payment timeout". It answers how many it cancelled. An order
// that fails to cancel is logged and left for the next run; the others go
// on, and the error joins every failure.
func (s *Service) SweepUnpaid(ctx context.Context) (int, error) {
	return s.sweepUnpaid(ctx, 0)
}

type sweepCursor struct {
	Deadline time.Time `db:"payment_deadline"`
	ID       OrderID   `db:"id"`
}

// sweepUnpaid is SweepUnpaid that starts no new batch after budget (0: no
// limit).
func (s *Service) sweepUnpaid(ctx context.Context, budget time.Duration) (int, error) {
	at := s.now()
	var tenants []tenancy.TenantID
	// A platform transaction sees no tenant's orders (forced RLS); the
	// SECURITY DEFINER function answers only which tenants have some due.
	if err := s.DB.InPlatform(ctx, func(tx *db.Tx) error {
		return tx.SelectContext(ctx, &tenants, `SELECT tenant_id FROM orders_unpaid_due_tenants($1)`, at)
	}); err != nil {
		return 0, fmt.Errorf("sweep unpaid orders: %w", err)
	}
	var stop time.Time
	if budget > 0 {
		stop = time.Now().Add(budget)
	}
	// Each tenant's due orders are walked once per run, in deadline order,
	// from where its last batch ended: an order skipped (locked by a
	// payment) or failed is not listed again in the same run.
	after := make(map[tenancy.TenantID]sweepCursor, len(tenants))
	cancelled := 0
	var failed []error
	for len(tenants) > 0 {
		var more []tenancy.TenantID
		for _, t := range tenants {
			if err := ctx.Err(); err != nil {
				return cancelled, errors.Join(append(failed, err)...)
			}
			if !stop.IsZero() && time.Now().After(stop) {
				return cancelled, errors.Join(failed...)
			}
			n, last, full, errs := s.sweepTenant(jobs.WithTenant(ctx, t), at, after[t])
			cancelled += n
			failed = append(failed, errs...)
			if full {
				after[t] = last
				more = append(more, t)
			}
		}
		tenants = more
	}
	return cancelled, errors.Join(failed...)
}

// sweepTenant lists one batch of the tenant in ctx's orders due at at, after
// cursor, and cancels each in a transaction of its own: a cancellation
// holds its SKU rows' locks until commit, so a batch in one transaction
// would make every buyer of those SKUs wait for the whole batch. It answers
// how many it cancelled, the last order listed, whether the batch was full
// (more may follow), and the failures.
func (s *Service) sweepTenant(ctx context.Context, at time.Time, cursor sweepCursor) (int, sweepCursor, bool, []error) {
	if cursor.ID == "" {
		cursor.ID = "00000000-0000-0000-0000-000000000000" // before every order
	}
	var due []sweepCursor
	if err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		return tx.SelectContext(ctx, &due, `SELECT payment_deadline, id FROM orders
WHERE tenant_id = $1 AND state = 'pending_payment' AND payment_deadline <= $2 AND (payment_deadline, id) > ($3, $4)
ORDER BY payment_deadline, id LIMIT `+fmt.Sprint(sweepBatch), tid(ctx), at, cursor.Deadline, cursor.ID)
	}); err != nil {
		s.Log.ErrorContext(ctx, "sweep unpaid orders: listing failed", "tenant", tid(ctx), "err", err)
		return 0, cursor, false, []error{fmt.Errorf("sweep unpaid orders of %s: %w", tid(ctx), err)}
	}
	n := 0
	var failed []error
	for _, d := range due {
		ok, err := s.cancelOverdue(ctx, d.ID, at)
		if err != nil {
			if ctx.Err() != nil {
				return n, cursor, false, append(failed, err)
			}
			s.Log.ErrorContext(ctx, "sweep unpaid orders: cancelling failed; left for the next run", "tenant", tid(ctx), "order", d.ID, "err", err)
			failed = append(failed, fmt.Errorf("cancel unpaid order %s of %s: %w", d.ID, tid(ctx), err))
			continue
		}
		if ok {
			n++
		}
	}
	if len(due) > 0 {
		cursor = due[len(due)-1]
	}
	return n, cursor, len(due) == sweepBatch, failed
}

// cancelOverdue cancels order id if, once its row is locked, it is still
// pending payment with its deadline at or before at. SKIP LOCKED: an order
// whose row a payment (or another sweep, or a member cancelling) holds is
// left to it; if that ends with the order still unpaid, the next run takes
// it. Either way the state is read under the lock, so a payment and the
// sweep never both win: the one that locks second sees the other's state
// (a payment arriving after the cancellation is refunded, see applyEvent).
func (s *Service) cancelOverdue(ctx context.Context, id OrderID, at time.Time) (bool, error) {
	done := false
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		var o Order
		err := tx.GetContext(ctx, &o, `SELECT `+orderCols+` FROM orders
WHERE tenant_id = $1 AND id = $2 AND state = 'pending_payment' AND payment_deadline <= $3 FOR UPDATE SKIP LOCKED`, tid(ctx), id, at)
		if isNoRows(err) {
			return nil // paid, cancelled, or held by someone else
		}
		if err != nil {
			return fmt.Errorf("lock order: %w", err)
		}
		if err := s.loadLines(ctx, tx, &o); err != nil {
			return err
		}
		if err := s.cancel(ctx, tx, o, "payment timeout"); err != nil {
			return err
		}
		done = true
		return nil
	})
	return done && err == nil, err
}
