package db_test

import (
	"context"
	"strings"
	"testing"

	"github.com/banyanmall/banyan/core/dbtest"
)

// platformTables are the only tables that are not tenant-owned. Adding one
// here is a design decision (DESIGN.md §3): it must hold no tenant's data, or
// hold it only as a registry every request must read before a tenant is known.
var platformTables = map[string]bool{
	"goose_db_version":   true,
	"plans":              true,
	"tenants":            true,
	"staff_users":        true,
	"platform_staff":     true,
	"staff_sessions":     true,
	"auth_throttle":      true,
	"casbin_rule":        true,
	"platform_audit_log": true,
	// Which plans may use a plugin: a registry of platform decisions.
	"plugin_availability": true,
}

// TestSchemaTenancyRules reads the catalogue and fails on any table that
// breaks DESIGN.md §3, so no later migration can skip the rules.
func TestSchemaTenancyRules(t *testing.T) {
	d := dbtest.New(t)
	ctx := context.Background()

	var tables []struct {
		Name         string `db:"relname"`
		Owner        string `db:"owner"`
		RLS          bool   `db:"relrowsecurity"`
		ForceRLS     bool   `db:"relforcerowsecurity"`
		HasTenantCol bool   `db:"has_tenant"`
		TenantNull   bool   `db:"tenant_nullable"`
	}
	err := d.Owner.SelectContext(ctx, &tables, `
SELECT c.relname, pg_get_userbyid(c.relowner) AS owner, c.relrowsecurity, c.relforcerowsecurity,
       EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped) AS has_tenant,
       COALESCE((SELECT NOT a.attnotnull FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id'), false) AS tenant_nullable
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
  AND c.relname NOT LIKE 'river_%'
ORDER BY c.relname`)
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) < 10 {
		t.Fatalf("only %d tables found: is the schema migrated?", len(tables))
	}
	tenantOwned := map[string]bool{}
	for _, tb := range tables {
		if tb.Owner == "banyan_app" {
			t.Errorf("%s: owned by the app role; the app must not own tables", tb.Name)
		}
		if platformTables[tb.Name] {
			continue
		}
		tenantOwned[tb.Name] = true
		t.Run(tb.Name, func(t *testing.T) {
			if !tb.HasTenantCol {
				t.Fatalf("no tenant_id column (and not a listed platform table)")
			}
			if tb.TenantNull {
				t.Errorf("tenant_id is nullable")
			}
			if !tb.RLS || !tb.ForceRLS {
				t.Errorf("row-level security enabled=%v forced=%v; call banyan_tenant_table('%s')", tb.RLS, tb.ForceRLS, tb.Name)
			}
			var pkFirst string
			err := d.Owner.GetContext(ctx, &pkFirst, `
SELECT a.attname FROM pg_constraint k JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
WHERE k.conrelid = $1::regclass AND k.contype = 'p'`, tb.Name)
			if err != nil || pkFirst != "tenant_id" {
				t.Errorf("primary key must start with tenant_id (first column: %q, err %v)", pkFirst, err)
			}
			var qual string
			err = d.Owner.GetContext(ctx, &qual, `
SELECT pg_get_expr(p.polqual, p.polrelid) FROM pg_policy p
WHERE p.polrelid = $1::regclass AND p.polname = 'tenant_isolation' AND p.polroles = '{0}'`, tb.Name)
			if err != nil || !strings.Contains(qual, "tenant_id = app_tenant()") {
				t.Errorf("no tenant_isolation policy for every role using tenant_id = app_tenant() (got %q, %v)", qual, err)
			}
		})
	}

	// Every foreign key between tenant-owned tables carries tenant_id.
	var fks []struct {
		Name  string `db:"conname"`
		From  string `db:"src"`
		To    string `db:"dst"`
		Local string `db:"local_cols"`
	}
	err = d.Owner.SelectContext(ctx, &fks, `
SELECT k.conname, k.conrelid::regclass::text AS src, k.confrelid::regclass::text AS dst,
       (SELECT string_agg(a.attname, ',') FROM unnest(k.conkey) AS c(n) JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = c.n) AS local_cols
FROM pg_constraint k JOIN pg_namespace n ON n.oid = k.connamespace
WHERE k.contype = 'f' AND n.nspname = 'public'`)
	if err != nil {
		t.Fatal(err)
	}
	for _, fk := range fks {
		if tenantOwned[fk.From] && tenantOwned[fk.To] && !strings.Contains(","+fk.Local+",", ",tenant_id,") {
			t.Errorf("foreign key %s (%s → %s) does not include tenant_id (columns %s)", fk.Name, fk.From, fk.To, fk.Local)
		}
	}

	// The app role can neither bypass RLS nor act as superuser.
	var super, bypass bool
	if err := d.App.QueryRowContext(ctx, `SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user`).Scan(&super, &bypass); err != nil {
		t.Fatal(err)
	}
	if super || bypass {
		t.Fatalf("the app role is superuser=%v bypassrls=%v", super, bypass)
	}
}

// TestRLSWithoutTenantSeesNothing checks the last line of defence: a query
// with no tenant set, or another tenant set, returns no rows, whatever its
// WHERE clause says.
func TestRLSWithoutTenantSeesNothing(t *testing.T) {
	d := dbtest.New(t)
	ctx := context.Background()
	var a, b string
	mustExec := func(q string, args ...any) {
		t.Helper()
		if _, err := d.Owner.ExecContext(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Owner.GetContext(ctx, &a, `INSERT INTO tenants (slug, name, plan_id) SELECT 'aaa', 'A', id FROM plans WHERE code='free' RETURNING id`); err != nil {
		t.Fatal(err)
	}
	if err := d.Owner.GetContext(ctx, &b, `INSERT INTO tenants (slug, name, plan_id) SELECT 'bbb', 'B', id FROM plans WHERE code='free' RETURNING id`); err != nil {
		t.Fatal(err)
	}
	mustExec(`INSERT INTO members (tenant_id, email) VALUES ($1, 'a@example.com'), ($2, 'b@example.com')`, a, b)

	var n int
	if err := d.App.GetContext(ctx, &n, `SELECT count(*) FROM members`); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("without a tenant the app role saw %d members", n)
	}
	tx, err := d.App.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SELECT set_config('app.tenant_id', $1, true)`, a); err != nil {
		t.Fatal(err)
	}
	var emails []string
	if err := tx.SelectContext(ctx, &emails, `SELECT email FROM members WHERE true`); err != nil {
		t.Fatal(err)
	}
	if len(emails) != 1 || emails[0] != "a@example.com" {
		t.Fatalf("tenant A saw %v", emails)
	}
	// Writing a row for another tenant is refused by the policy's WITH CHECK.
	if _, err := tx.ExecContext(ctx, `INSERT INTO members (tenant_id, email) VALUES ($1, 'x@example.com')`, b); err == nil {
		t.Fatal("tenant A inserted a member into tenant B")
	}
}

// TestAuditLogImmutable: the app role may insert audit entries, never change them.
func TestAuditLogImmutable(t *testing.T) {
	d := dbtest.New(t)
	ctx := context.Background()
	for _, q := range []string{`UPDATE audit_log SET action = 'x'`, `DELETE FROM audit_log`, `UPDATE platform_audit_log SET action = 'x'`, `DELETE FROM platform_audit_log`} {
		if _, err := d.App.ExecContext(ctx, q); err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Errorf("%s: want permission denied, got %v", q, err)
		}
	}
}
