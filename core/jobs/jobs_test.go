package jobs_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/dbtest"
	"github.com/banyanmall/banyan/core/jobs"
	"github.com/banyanmall/banyan/core/tenancy"
)

type pingArgs struct {
	jobs.Tenant
	N int `json:"n"`
}

func (pingArgs) Kind() string { return "test_ping" }

type pingWorker struct {
	river.WorkerDefaults[pingArgs]
	db   *db.DB
	seen chan pingArgs
}

func (w *pingWorker) Work(ctx context.Context, job *river.Job[pingArgs]) error {
	return jobs.InTenant(ctx, w.db, job.Args.TenantID, func(ctx context.Context, tx *db.Tx) error {
		var tid string
		if err := tx.GetContext(ctx, &tid, `SELECT current_setting('app.tenant_id')`); err != nil {
			return err
		}
		if tid != string(job.Args.TenantID) || tenancy.ID(ctx) != job.Args.TenantID {
			return errors.New("worker transaction not scoped to the job's tenant")
		}
		w.seen <- job.Args
		return nil
	})
}

type tickArgs struct{}

func (tickArgs) Kind() string { return "test_tick" }

type tickWorker struct {
	river.WorkerDefaults[tickArgs]
	n atomic.Int64
}

func (w *tickWorker) Work(context.Context, *river.Job[tickArgs]) error {
	w.n.Add(1)
	return nil
}

const tenantA = tenancy.TenantID("6f1c1a52-8d0e-4d4e-9a51-0d1f7c7e2a11")

func newRunner(t *testing.T) (*jobs.Runner, *pingWorker, *tickWorker, *dbtest.DB) {
	t.Helper()
	d := dbtest.New(t)
	r := jobs.New(d.App.DB.DB, slog.New(slog.NewTextHandler(io.Discard, nil)), jobs.Options{PollInterval: 20 * time.Millisecond, TestOnly: true})
	pw := &pingWorker{db: d.App, seen: make(chan pingArgs, 10)}
	tw := &tickWorker{}
	jobs.Register(r, pw)
	river.AddWorker(r.Workers(), tw)
	r.Periodic(50*time.Millisecond, func() (river.JobArgs, *river.InsertOpts) { return tickArgs{}, nil }, true)
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r, pw, tw, d
}

// TestEnqueueFollowsTransaction: a job enqueued in a transaction that rolls
// back never runs; one whose transaction commits runs in its tenant.
func TestEnqueueFollowsTransaction(t *testing.T) {
	_, pw, _, d := newRunner(t)
	ctx := context.Background()
	rollback := errors.New("rollback")
	err := d.App.InTenantID(ctx, tenantA, func(tx *db.Tx) error {
		if _, err := jobs.Enqueue(ctx, tx, pingArgs{Tenant: jobs.Tenant{TenantID: tenantA}, N: 1}, nil); err != nil {
			return err
		}
		return rollback
	})
	if !errors.Is(err, rollback) {
		t.Fatal(err)
	}
	err = d.App.InTenantID(ctx, tenantA, func(tx *db.Tx) error {
		_, err := jobs.Enqueue(ctx, tx, pingArgs{Tenant: jobs.Tenant{TenantID: tenantA}, N: 2}, nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-pw.seen:
		if got.N != 2 || got.TenantID != tenantA {
			t.Fatalf("worked %+v, want the committed job", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the committed job was not worked")
	}
	select {
	case got := <-pw.seen:
		t.Fatalf("a second job ran: %+v", got)
	case <-time.After(200 * time.Millisecond):
	}
	var n int
	if err := d.Owner.Get(&n, `SELECT count(*) FROM river_job WHERE kind = 'test_ping'`); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("%d ping jobs in river_job, want 1 (the rolled-back one must not exist)", n)
	}
}

func TestPeriodicJobsRun(t *testing.T) {
	_, _, tw, _ := newRunner(t)
	deadline := time.Now().Add(15 * time.Second)
	for tw.n.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if tw.n.Load() < 2 {
		t.Fatalf("periodic job ran %d times", tw.n.Load())
	}
}

func TestJobWithoutTenantIsCancelled(t *testing.T) {
	d := dbtest.New(t)
	err := jobs.InTenant(context.Background(), d.App, "", func(context.Context, *db.Tx) error { return nil })
	var cancel *river.JobCancelError
	if !errors.As(err, &cancel) {
		t.Fatalf("want a JobCancel error, got %v", err)
	}
}
