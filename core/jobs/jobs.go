// Package jobs runs Banyan's durable background work on River
// (github.com/riverqueue/river), over the same database/sql pool as the rest
// of the core, poll-only (DESIGN.md §2): no LISTEN connection, so it works
// behind a transaction-pooling proxy and any number of replicas can run.
//
// A capability defines its job args (carrying the tenant id), registers a
// worker on the Runner before app.New starts it, and enqueues jobs with
// Enqueue inside the transaction of the change that causes them, so a job
// exists if and only if its cause committed. Workers run their work inside
// db.InTenantID (see InTenant) and must be idempotent: River retries a job
// that failed or whose process died, so running it twice must have the
// effect of running it once.
//
// River's tables (river_job, river_leader, ...) are platform tables created
// by Migrate; they hold no tenant's rows beyond the tenant id inside job args.
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/tenancy"
)

// Options tune a Runner. The zero value is production's.
type Options struct {
	// PollInterval is how often idle workers look for new jobs (poll-only
	// mode). 1 s when zero; tests use less.
	PollInterval time.Duration
	// Workers is the number of jobs worked at once by this process. 10 when zero.
	Workers int
	// JobTimeout bounds one attempt. 10 minutes when zero (imports of large
	// files are the longest jobs).
	JobTimeout time.Duration
	// TestOnly skips River's start-up jitter (tests start and stop a runner
	// per test).
	TestOnly bool
}

// Runner owns the River client of this process: the registered workers and
// periodic jobs, started by core/app and stopped by Close.
type Runner struct {
	sqlDB    *sql.DB
	log      *slog.Logger
	opt      Options
	workers  *river.Workers
	periodic []*river.PeriodicJob

	mu     sync.Mutex
	client *river.Client[*sql.Tx]
}

// New returns a Runner that works jobs over sqlDB (the app role's pool).
// Register workers and periodic jobs, then Start it.
func New(sqlDB *sql.DB, log *slog.Logger, opt Options) *Runner {
	if opt.PollInterval <= 0 {
		opt.PollInterval = time.Second
	}
	if opt.Workers <= 0 {
		opt.Workers = 10
	}
	if opt.JobTimeout <= 0 {
		opt.JobTimeout = 10 * time.Minute
	}
	return &Runner{sqlDB: sqlDB, log: log, opt: opt, workers: river.NewWorkers()}
}

// Workers is the worker bundle to register on, before Start:
//
//	river.AddWorker(runner.Workers(), &autoConfirmWorker{...})
func (r *Runner) Workers() *river.Workers { return r.workers }

// Register adds a worker for the job args T; it is river.AddWorker on the
// runner's bundle, for callers that want one line.
func Register[T river.JobArgs](r *Runner, w river.Worker[T]) {
	river.AddWorker(r.workers, w)
}

// Periodic schedules a job every interval (the leader among the replicas
// enqueues it, so it runs once per interval across the deployment). The
// job's own worker must be registered too. Periodic jobs that span tenants
// enqueue one job per tenant, or iterate tenants, inside their worker.
func (r *Runner) Periodic(interval time.Duration, construct func() (river.JobArgs, *river.InsertOpts), runOnStart bool) {
	r.periodic = append(r.periodic, river.NewPeriodicJob(river.PeriodicInterval(interval),
		construct, &river.PeriodicJobOpts{RunOnStart: runOnStart}))
}

// Start starts working jobs. It is called once, after every capability has
// registered its workers.
func (r *Runner) Start(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.client != nil {
		return errors.New("jobs: runner already started")
	}
	c, err := river.NewClient(riverdatabasesql.New(r.sqlDB), &river.Config{
		Logger:            r.log.With("component", "jobs"),
		PollOnly:          true,
		FetchPollInterval: r.opt.PollInterval,
		FetchCooldown:     min(r.opt.PollInterval, 100*time.Millisecond),
		JobTimeout:        r.opt.JobTimeout,
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: r.opt.Workers}},
		Workers:           r.workers,
		PeriodicJobs:      r.periodic,
		// REINDEX needs the tables' owner, which the app role never is; the
		// operator reindexes River's tables with the migrations' role.
		ReindexerIndexNames: []string{},
		TestOnly:            r.opt.TestOnly,
		ErrorHandler:        &errorLogger{log: r.log},
	})
	if err != nil {
		return fmt.Errorf("jobs: %w", err)
	}
	if err := c.Start(ctx); err != nil {
		return fmt.Errorf("jobs start: %w", err)
	}
	r.client = c
	return nil
}

// Close stops taking jobs and waits (up to 20 s) for running ones, then
// cancels them; an interrupted job is retried later, which is why jobs are
// idempotent.
func (r *Runner) Close() {
	r.mu.Lock()
	c := r.client
	r.client = nil
	r.mu.Unlock()
	if c == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := c.Stop(ctx); err != nil {
		hard, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel2()
		_ = c.StopAndCancel(hard)
	}
}

type errorLogger struct{ log *slog.Logger }

func (e *errorLogger) HandleError(ctx context.Context, job *rivertype.JobRow, err error) *river.ErrorHandlerResult {
	e.log.WarnContext(ctx, "job failed", "kind", job.Kind, "id", job.ID, "attempt", job.Attempt, "err", err)
	return nil
}

func (e *errorLogger) HandlePanic(ctx context.Context, job *rivertype.JobRow, panicVal any, trace string) *river.ErrorHandlerResult {
	e.log.ErrorContext(ctx, "job panicked", "kind", job.Kind, "id", job.ID, "panic", fmt.Sprint(panicVal), "trace", trace)
	return nil
}

// inserter is an insert-only client: it needs no pool (the caller's
// transaction carries the insert) and knows no workers, so a capability can
// enqueue a job another process works.
var inserter = sync.OnceValues(func() (*river.Client[*sql.Tx], error) {
	return river.NewClient(riverdatabasesql.New(nil), &river.Config{})
})

// Enqueue inserts a job in the caller's transaction: it becomes visible to
// workers when, and only if, tx commits. opts may be nil.
func Enqueue(ctx context.Context, tx *db.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	c, err := inserter()
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	res, err := c.InsertTx(ctx, tx.Tx, args, opts)
	if err != nil {
		return nil, fmt.Errorf("enqueue %s: %w", args.Kind(), err)
	}
	return res, nil
}

// Tenant is embedded in the args of every tenant job: the tenant travels in
// the job, never in ambient state.
type Tenant struct {
	TenantID tenancy.TenantID `json:"tenant_id"`
}

// InTenant returns ctx carrying the job's tenant (for services that read
// tenancy.ID(ctx)) and runs fn in a transaction scoped to it.
func InTenant(ctx context.Context, d *db.DB, tenant tenancy.TenantID, fn func(ctx context.Context, tx *db.Tx) error) error {
	if !tenant.Valid() {
		return river.JobCancel(fmt.Errorf("job without a valid tenant id %q", tenant))
	}
	ctx = WithTenant(ctx, tenant)
	return d.InTenantID(ctx, tenant, func(tx *db.Tx) error { return fn(ctx, tx) })
}

// WithTenant returns ctx carrying tenant, as the request middleware would.
func WithTenant(ctx context.Context, tenant tenancy.TenantID) context.Context {
	return tenancy.With(ctx, tenancy.Tenant{ID: tenant})
}

// Migrate creates or upgrades River's tables (run as the schema owner, after
// the goose migrations) and grants the app role what River needs on them.
func Migrate(ctx context.Context, sqlDB *sql.DB, log *slog.Logger) error {
	m, err := rivermigrate.New(riverdatabasesql.New(sqlDB), nil)
	if err != nil {
		return fmt.Errorf("river migrate: %w", err)
	}
	res, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return fmt.Errorf("river migrate: %w", err)
	}
	for _, v := range res.Versions {
		log.Info("river migration applied", "version", v.Version, "took", v.Duration.String())
	}
	// The default privileges of the foundation migration already cover
	// tables the owner creates; grant explicitly so that a River upgrade run
	// by another role cannot leave the app role without access.
	_, err = sqlDB.ExecContext(ctx, `
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = current_schema() AND c.relname LIKE 'river\_%' AND c.relkind IN ('r', 'S', 'p')
  LOOP
    IF r.relkind = 'S' THEN
      EXECUTE format('GRANT USAGE, SELECT, UPDATE ON SEQUENCE %I TO banyan_app', r.relname);
    ELSE
      EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE %I TO banyan_app', r.relname);
    END IF;
  END LOOP;
END
$$`)
	if err != nil {
		return fmt.Errorf("river grants: %w", err)
	}
	return nil
}

// SchemaMarker changes when the River schema this package migrates to
// changes; core/dbtest mixes it into its template name.
const SchemaMarker = "river-v0.51.2"
