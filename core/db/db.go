// Package db opens the PostgreSQL pool and runs transactions with the tenant
// set, which is what makes forced Row-Level Security work: every tenant
// transaction starts with set_config('app.tenant_id', $1, true), local to the
// transaction, so nothing leaks through the pool. A transaction without a
// tenant sees no tenant-owned rows at all. The BEGIN and the set_config
// travel to the server in one message (begin.go).
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/tenancy"
)

// DB is the application's connection pool (as the non-owner app role).
type DB struct {
	*sqlx.DB
	// oneTripBegin: the pool's connections come from connector (Open), so
	// BEGIN and set_config travel together (begin.go).
	oneTripBegin bool
	// Changes carries the change announcements of migration 00081 to the
	// caches built on this DB (changes.go); not live until Start.
	Changes *Changes
}

// Tx is a transaction; services pass it to their lowercase store helpers.
type Tx = sqlx.Tx

// Open connects and verifies the connection. binary_parameters=yes is added
// when the URL does not say otherwise: measured 68% → 82% of pgbench on the
// same statements (DESIGN.md §9).
func Open(ctx context.Context, dsn string) (*DB, error) {
	dsn, cache, err := withDefaults(dsn)
	if err != nil {
		return nil, err
	}
	pc, err := pq.NewConnector(dsn)
	if err != nil {
		return nil, fmt.Errorf("db open: %w", err)
	}
	x := sqlx.NewDb(sql.OpenDB(connector{pq: pc, stmtCache: cache}), "postgres")
	x.SetMaxOpenConns(40)
	x.SetMaxIdleConns(40)
	x.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := x.PingContext(pctx); err != nil {
		x.Close()
		return nil, fmt.Errorf("db ping: %w", err)
	}
	return &DB{DB: x, oneTripBegin: true, Changes: &Changes{}}, nil
}

// withDefaults answers the DSN lib/pq gets and the size of each
// connection's statement cache (stmtcache.go), which it takes out of the
// URL: `statement_cache=off` or `=N`.
func withDefaults(dsn string) (string, int, error) {
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", 0, fmt.Errorf("db: DATABASE_URL must be a postgres:// URL")
	}
	q := u.Query()
	cache := defaultStmtCache
	if v := q.Get("statement_cache"); v != "" {
		switch n, err := strconv.Atoi(v); {
		case v == "off":
			cache = 0
		case err != nil || n < 0:
			return "", 0, fmt.Errorf("db: statement_cache in DATABASE_URL must be off or a number, not %q", v)
		default:
			cache = n
		}
		q.Del("statement_cache")
	}
	if q.Get("binary_parameters") == "" {
		q.Set("binary_parameters", "yes")
	}
	if q.Get("sslmode") == "" {
		q.Set("sslmode", "disable")
	}
	u.RawQuery = q.Encode()
	return u.String(), cache, nil
}

// InTenant runs fn in a transaction scoped to the tenant in ctx. It fails
// (rather than running unscoped) when ctx carries no tenant.
func (d *DB) InTenant(ctx context.Context, fn func(tx *Tx) error) error {
	id := tenancy.ID(ctx)
	if id == "" {
		return errors.New("db: InTenant without a tenant in context")
	}
	return d.InTenantID(ctx, id, fn)
}

// InTenantID runs fn in a transaction scoped to tenant id.
func (d *DB) InTenantID(ctx context.Context, id tenancy.TenantID, fn func(tx *Tx) error) error {
	if id == "" {
		// Running unscoped here would turn a missing tenant into a platform
		// transaction; refuse instead.
		return errors.New("db: InTenantID without a tenant")
	}
	return d.run(ctx, string(id), fn)
}

// InPlatform runs fn in a transaction with no tenant set: platform tables are
// visible, tenant-owned rows are not.
func (d *DB) InPlatform(ctx context.Context, fn func(tx *Tx) error) error {
	return d.run(ctx, "", fn)
}

func (d *DB) run(ctx context.Context, tenant string, fn func(tx *Tx) error) error {
	bctx := ctx
	if tenant != "" && d.oneTripBegin {
		bctx = context.WithValue(ctx, beginTenantKey{}, tenant)
	}
	tx, err := d.BeginTxx(bctx, nil)
	if err != nil {
		return fmt.Errorf("db begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after commit
	if tenant != "" && !d.oneTripBegin {
		if _, err := tx.ExecContext(ctx, `SELECT set_config('app.tenant_id', $1, true)`, tenant); err != nil {
			return fmt.Errorf("db set tenant: %w", err)
		}
	}
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("db commit: %w", err)
	}
	return nil
}

// Constraint returns the name of the violated constraint when err is a
// unique (23505), foreign-key (23503) or check (23514) violation.
func Constraint(err error) (code, name string, ok bool) {
	var pqe *pq.Error
	if errors.As(err, &pqe) {
		switch pqe.Code {
		case "23505", "23503", "23514":
			return string(pqe.Code), pqe.Constraint, true
		}
	}
	return "", "", false
}

// IsUnique reports whether err violates the unique constraint named.
func IsUnique(err error, constraint string) bool {
	code, name, ok := Constraint(err)
	return ok && code == "23505" && name == constraint
}

// NotFound turns sql.ErrNoRows into an errs.NotFound naming what.
func NotFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return errs.E(errs.NotFound, "%s not found", what)
	}
	return err
}

// Listen opens a LISTEN connection on channel and calls fn for every
// notification until ctx ends. Used to tell every replica that authorization
// policies changed.
func Listen(ctx context.Context, dsn, channel string, fn func(payload string)) error {
	dsn, _, err := withDefaults(dsn)
	if err != nil {
		return err
	}
	l := pq.NewListener(dsn, 100*time.Millisecond, 10*time.Second, nil)
	if err := l.Listen(channel); err != nil {
		l.Close()
		return fmt.Errorf("db listen %s: %w", channel, err)
	}
	go func() {
		defer l.Close()
		for {
			select {
			case <-ctx.Done():
				return
			case n := <-l.Notify:
				// n is nil after a reconnect: anything may have been missed.
				if n == nil {
					fn("")
				} else {
					fn(n.Extra)
				}
			case <-time.After(90 * time.Second):
				go l.Ping() //nolint:errcheck
			}
		}
	}()
	return nil
}
