package orders

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/jobs"
)

// CancelUnpaidArgs cancels an order still unpaid at its payment deadline.
//
// Deprecated: orders are no longer given one (the periodic
// orders.sweep_unpaid cancels them, sweep.go); the worker stays registered
// so that the jobs enqueued before the upgrade, scheduled up to a week
// ahead, still run. It can go once no such job can be left.
type CancelUnpaidArgs struct {
	jobs.Tenant
	OrderID OrderID `json:"order_id"`
}

// Kind implements river.JobArgs.
func (CancelUnpaidArgs) Kind() string { return "orders.cancel_unpaid" }

// AutoConfirmArgs confirms receipt of an order still shipped N days after shipping.
type AutoConfirmArgs struct {
	jobs.Tenant
	OrderID OrderID `json:"order_id"`
}

// Kind implements river.JobArgs.
func (AutoConfirmArgs) Kind() string { return "orders.auto_confirm" }

// AfterSalesClosedArgs closes the after-sales window of a completed order's lines.
type AfterSalesClosedArgs struct {
	jobs.Tenant
	OrderID OrderID `json:"order_id"`
}

// Kind implements river.JobArgs.
func (AfterSalesClosedArgs) Kind() string { return "orders.after_sales_closed" }

func tenantArg(ctx context.Context) jobs.Tenant { return jobs.Tenant{TenantID: tid(ctx)} }

func enqueueAt(ctx context.Context, tx *db.Tx, args river.JobArgs, at time.Time) error {
	_, err := jobs.Enqueue(ctx, tx, args, &river.InsertOpts{ScheduledAt: at})
	return err
}

// Register adds the orders workers to the runner and schedules the sweep of
// unpaid orders past their deadline every interval
// (DefaultUnpaidSweepEvery when zero).
func Register(r *jobs.Runner, s *Service, every time.Duration) {
	if every <= 0 {
		every = DefaultUnpaidSweepEvery
	}
	jobs.Register(r, &sweepUnpaidWorker{s: s, every: every})
	// Not run on start: it would gain at most one interval. MaxAttempts 1:
	// the next run is the retry, and a failed run's orders are listed again.
	r.Periodic(every, func() (river.JobArgs, *river.InsertOpts) {
		return SweepUnpaidArgs{}, &river.InsertOpts{MaxAttempts: 1}
	}, false)
	// Kept for the orders.cancel_unpaid jobs enqueued before the sweep
	// replaced them (see CancelUnpaidArgs); none is enqueued any more.
	jobs.Register(r, &cancelUnpaidWorker{s: s})
	jobs.Register(r, &autoConfirmWorker{s: s})
	jobs.Register(r, &afterSalesClosedWorker{s: s})
	jobs.Register(r, &finishRefundWorker{s: s})
}

type cancelUnpaidWorker struct {
	river.WorkerDefaults[CancelUnpaidArgs]
	s *Service
}

// Work cancels the order if it is still unpaid; anything else is done. Only
// jobs enqueued before the upgrade reach it (the sweep does the same now).
func (w *cancelUnpaidWorker) Work(ctx context.Context, j *river.Job[CancelUnpaidArgs]) error {
	return jobs.InTenant(ctx, w.s.DB, j.Args.TenantID, func(ctx context.Context, tx *db.Tx) error {
		o, err := w.s.load(ctx, tx, j.Args.OrderID, true)
		if err != nil {
			return river.JobCancel(err)
		}
		if o.State != PendingPayment {
			return nil
		}
		if w.s.now().Before(o.PaymentDeadline) {
			return river.JobSnooze(o.PaymentDeadline.Sub(w.s.now()))
		}
		return w.s.cancel(ctx, tx, o, "payment timeout")
	})
}

type autoConfirmWorker struct {
	river.WorkerDefaults[AutoConfirmArgs]
	s *Service
}

// Work completes the order if it is still shipped.
func (w *autoConfirmWorker) Work(ctx context.Context, j *river.Job[AutoConfirmArgs]) error {
	return jobs.InTenant(ctx, w.s.DB, j.Args.TenantID, func(ctx context.Context, tx *db.Tx) error {
		o, err := w.s.load(ctx, tx, j.Args.OrderID, true)
		if err != nil {
			return river.JobCancel(err)
		}
		if o.State != Shipped {
			return nil
		}
		return w.s.complete(ctx, tx, o)
	})
}

type afterSalesClosedWorker struct {
	river.WorkerDefaults[AfterSalesClosedArgs]
	s *Service
}

// Work tells distribution that each line's after-sales window closed, so
// its frozen commission can settle. Distribution makes it idempotent.
func (w *afterSalesClosedWorker) Work(ctx context.Context, j *river.Job[AfterSalesClosedArgs]) error {
	if w.s.Distribution == nil {
		return nil
	}
	return jobs.InTenant(ctx, w.s.DB, j.Args.TenantID, func(ctx context.Context, tx *db.Tx) error {
		o, err := w.s.load(ctx, tx, j.Args.OrderID, false)
		if err != nil {
			return river.JobCancel(err)
		}
		if o.State != Completed || o.CompletedAt == nil {
			return nil
		}
		for _, l := range o.Lines {
			if err := w.s.Distribution.OnLineAfterSalesClosed(ctx, tx, string(o.ID), l.ID, w.s.now()); err != nil {
				return err
			}
		}
		return nil
	})
}
