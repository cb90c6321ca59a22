package db_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/dbtest"
	"github.com/banyanmall/banyan/core/tenancy"
)

// prepared answers the statements prepared on the connection tx runs on.
func prepared(t *testing.T, tx *db.Tx) []string {
	t.Helper()
	var s []string
	// No arguments: a simple query, never cached itself.
	if err := tx.SelectContext(context.Background(), &s, `SELECT statement FROM pg_prepared_statements WHERE from_sql = false ORDER BY statement`); err != nil {
		t.Fatal(err)
	}
	return s
}

// twoTenants creates two shops with one member each (as the owner) and
// answers their ids.
func twoTenants(t *testing.T, d *dbtest.DB) (a, b tenancy.TenantID) {
	t.Helper()
	ctx := context.Background()
	for i, id := range []*tenancy.TenantID{&a, &b} {
		slug := fmt.Sprintf("shop-%c", 'a'+i)
		if err := d.Owner.GetContext(ctx, id, `INSERT INTO tenants (slug, name, plan_id) SELECT $1, $1, id FROM plans WHERE code='free' RETURNING id`, slug); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Owner.ExecContext(ctx, `INSERT INTO members (tenant_id, email) VALUES ($1, $2)`, *id, slug+"@example.com"); err != nil {
			t.Fatal(err)
		}
	}
	return a, b
}

// TestStatementCacheReusesAndKeepsTenants: on one pooled connection, the
// same statement is prepared once whatever the number of executions, and
// its plan — generic after five executions — still applies each
// transaction's tenant through Row-Level Security.
func TestStatementCacheReusesAndKeepsTenants(t *testing.T) {
	d := dbtest.New(t)
	ctx := context.Background()
	d.App.SetMaxOpenConns(1)
	a, b := twoTenants(t, d)
	const q = `SELECT email FROM members WHERE email LIKE $1`
	for i := range 20 {
		want := map[bool]string{true: "shop-a@example.com", false: "shop-b@example.com"}[i%2 == 0]
		tenant := map[bool]tenancy.TenantID{true: a, false: b}[i%2 == 0]
		if err := d.App.InTenantID(ctx, tenant, func(tx *db.Tx) error {
			var got []string
			if err := tx.SelectContext(ctx, &got, q, "%@example.com"); err != nil {
				return err
			}
			if len(got) != 1 || got[0] != want {
				return fmt.Errorf("execution %d in tenant %s saw %v, want [%s]", i, tenant, got, want)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.App.InPlatform(ctx, func(tx *db.Tx) error {
		var n int
		// A platform transaction sees no tenant's rows, through the same
		// cached statement too.
		if err := tx.GetContext(ctx, &n, `SELECT count(*) FROM (`+q+`) x`, "%"); err != nil {
			return err
		}
		if n != 0 {
			t.Errorf("a platform transaction saw %d members", n)
		}
		got := prepared(t, tx)
		if c := strings.Count(strings.Join(got, "\n"), q); c != 2 { // q itself and the count wrapping it
			t.Errorf("the statement is prepared %d times on the connection, want once (and once wrapped): %q", c, got)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestStatementCacheBounds: a connection keeps at most statement_cache
// statements (the least recently used go), none with statement_cache=off,
// and a bad value is refused at Open.
func TestStatementCacheBounds(t *testing.T) {
	d := dbtest.New(t)
	ctx := context.Background()
	open := func(param string) *db.DB {
		t.Helper()
		p, err := db.Open(ctx, d.AppURL+"&statement_cache="+param)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		p.SetMaxOpenConns(1)
		return p
	}
	run := func(p *db.DB, n int) []string {
		t.Helper()
		var got []string
		if err := p.InPlatform(ctx, func(tx *db.Tx) error {
			for i := range n {
				var x int
				if err := tx.GetContext(ctx, &x, fmt.Sprintf(`SELECT $1::int + %d`, i), i); err != nil {
					return err
				}
			}
			got = prepared(t, tx)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	got := run(open("3"), 5)
	if len(got) != 3 || !strings.Contains(got[0], "+ 2") || !strings.Contains(got[2], "+ 4") {
		t.Fatalf("statement_cache=3 after 5 statements: %q, want the last three", got)
	}
	if got := run(open("off"), 5); len(got) != 0 {
		t.Fatalf("statement_cache=off: %q prepared", got)
	}
	if _, err := db.Open(ctx, d.AppURL+"&statement_cache=lots"); err == nil || !strings.Contains(err.Error(), "statement_cache") {
		t.Fatalf("statement_cache=lots: %v, want an error naming it", err)
	}
}

// TestStatementCacheAfterSchemaChange: a migration that changes what a
// cached `SELECT *` returns makes PostgreSQL refuse the old statement once;
// the cache then forgets it and the next execution prepares it again.
func TestStatementCacheAfterSchemaChange(t *testing.T) {
	d := dbtest.New(t)
	ctx := context.Background()
	d.App.SetMaxOpenConns(1)
	if _, err := d.Owner.ExecContext(ctx, `CREATE TABLE cache_probe (id int PRIMARY KEY); INSERT INTO cache_probe VALUES (1); GRANT SELECT ON cache_probe TO PUBLIC`); err != nil {
		t.Fatal(err)
	}
	get := func() (int, error) {
		var cols int
		err := d.App.InPlatform(ctx, func(tx *db.Tx) error {
			rows, err := tx.QueryxContext(ctx, `SELECT * FROM cache_probe WHERE id = $1`, 1)
			if err != nil {
				return err
			}
			defer rows.Close()
			c, err := rows.Columns()
			cols = len(c)
			return err
		})
		return cols, err
	}
	if n, err := get(); err != nil || n != 1 {
		t.Fatalf("before: %d columns, %v", n, err)
	}
	if _, err := d.Owner.ExecContext(ctx, `ALTER TABLE cache_probe ADD COLUMN note text`); err != nil {
		t.Fatal(err)
	}
	_, err := get()
	if err != nil && !strings.Contains(err.Error(), "cached plan must not change result type") {
		t.Fatalf("first run after the change: %v", err)
	}
	if n, err := get(); err != nil || n != 2 {
		t.Fatalf("after the change: %d columns, %v; want 2 columns, the statement prepared again", n, err)
	}
}
