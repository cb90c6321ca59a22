package db_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/dbtest"
	"github.com/banyanmall/banyan/core/tenancy"
)

// TestInTenantSetsTenantForTheTransactionOnly: BEGIN and set_config travel in
// one message (begin.go); the tenant must still be set inside the
// transaction and gone afterwards on the same pooled connection, whether the
// transaction committed, failed in SQL, or was rolled back by its caller.
func TestInTenantSetsTenantForTheTransactionOnly(t *testing.T) {
	d := dbtest.New(t)
	ctx := context.Background()
	d.App.SetMaxOpenConns(1) // every transaction below reuses one connection
	const a, b = "6f1c1f0e-3a51-4a55-9d62-1b6f4e1f0a01", "6f1c1f0e-3a51-4a55-9d62-1b6f4e1f0a02"
	setting := func(tx *db.Tx) string {
		t.Helper()
		var s string
		if err := tx.GetContext(ctx, &s, `SELECT coalesce(current_setting('app.tenant_id', true), '')`); err != nil {
			t.Fatal(err)
		}
		return s
	}
	outside := func(when string) {
		t.Helper()
		if err := d.App.InPlatform(ctx, func(tx *db.Tx) error {
			if s := setting(tx); s != "" {
				t.Fatalf("%s: a platform transaction saw tenant %q", when, s)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	errMine := errors.New("caller gives up")
	cases := []struct {
		name   string
		tenant tenancy.TenantID
		fn     func(tx *db.Tx) error
		want   error
	}{
		{"commit", a, func(tx *db.Tx) error { return nil }, nil},
		{"caller error", b, func(tx *db.Tx) error { return errMine }, errMine},
		{"sql error", a, func(tx *db.Tx) error {
			_, err := tx.ExecContext(ctx, `SELECT 1/0`)
			return err
		}, nil},
		// The caller ignores the failed statement: the commit must fail,
		// not report success for a transaction PostgreSQL rolled back.
		{"swallowed sql error", b, func(tx *db.Tx) error {
			_, _ = tx.ExecContext(ctx, `SELECT 1/0`)
			return nil
		}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var seen string
			err := d.App.InTenantID(ctx, c.tenant, func(tx *db.Tx) error {
				seen = setting(tx)
				return c.fn(tx)
			})
			if c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("err %v, want %v", err, c.want)
			}
			if strings.HasSuffix(c.name, "sql error") && err == nil {
				t.Fatal("a failed transaction reported a commit")
			}
			if seen != string(c.tenant) {
				t.Fatalf("inside: tenant %q, want %q", seen, c.tenant)
			}
			outside(c.name)
		})
	}
}

// TestInTenantConcurrent: many goroutines, two tenants, a small pool — each
// transaction sees exactly its own tenant (run with -race).
func TestInTenantConcurrent(t *testing.T) {
	d := dbtest.New(t)
	ctx := context.Background()
	d.App.SetMaxOpenConns(3)
	tenants := []tenancy.TenantID{"6f1c1f0e-3a51-4a55-9d62-1b6f4e1f0a03", "6f1c1f0e-3a51-4a55-9d62-1b6f4e1f0a04"}
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Go(func() {
			want := tenants[i%2]
			errs <- d.App.InTenantID(ctx, want, func(tx *db.Tx) error {
				var s string
				if err := tx.GetContext(ctx, &s, `SELECT current_setting('app.tenant_id')`); err != nil {
					return err
				}
				if s != string(want) {
					return errors.New("saw tenant " + s + ", want " + string(want))
				}
				return nil
			})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestInTenantAfterDriverTransactions: on one connection, transactions begun
// by lib/pq itself (River's, platform ones) alternate with tenant ones begun
// in one message; neither may disturb the other (lib/pq panicked when a
// stale context watch was ended twice).
func TestInTenantAfterDriverTransactions(t *testing.T) {
	d := dbtest.New(t)
	d.App.SetMaxOpenConns(1)
	const a = "6f1c1f0e-3a51-4a55-9d62-1b6f4e1f0a05"
	for i := range 200 {
		ctx, cancel := context.WithCancel(context.Background())
		var err error
		if i%2 == 0 {
			err = d.App.InPlatform(ctx, func(tx *db.Tx) error { return nil })
		} else {
			err = d.App.InTenantID(ctx, a, func(tx *db.Tx) error { return nil })
		}
		cancel()
		if err != nil {
			t.Fatalf("iteration %d: %v", i, err)
		}
	}
}
