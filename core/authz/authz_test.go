package authz_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/casbin/casbin/v2"

	"github.com/banyanmall/banyan/core/authz"
	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/dbtest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func rules(tb testing.TB, d *dbtest.DB) []authz.Rule {
	tb.Helper()
	var rs []authz.Rule
	if err := d.Owner.Select(&rs, `SELECT v0 AS role, v1 AS obj, v2 AS act FROM casbin_rule WHERE ptype = 'p'`); err != nil {
		tb.Fatal(err)
	}
	if len(rs) < 50 {
		tb.Fatalf("only %d rules seeded", len(rs))
	}
	return rs
}

var roles = []string{"owner", "admin", "operations", "finance", "support"}

// world builds assignments: n tenants, each with one user per role.
func world(n int) []authz.Assignment {
	as := make([]authz.Assignment, 0, n*len(roles))
	for t := 0; t < n; t++ {
		for _, r := range roles {
			as = append(as, authz.Assignment{User: fmt.Sprintf("u-%d-%s", t, r), Role: r, Domain: fmt.Sprintf("t-%d", t)})
		}
	}
	return as
}

func TestPermissions(t *testing.T) {
	d := dbtest.New(t)
	ce, err := authz.Build(rules(t, d), world(3))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		user, dom, obj, act string
		want                bool
	}{
		{"u-0-owner", "t-0", "staff", "write", true},
		{"u-0-owner", "t-1", "staff", "read", false}, // another tenant's domain
		{"u-0-support", "t-0", "staff", "read", false},
		{"u-0-support", "t-0", "orders", "write", true},
		{"u-0-finance", "t-0", "withdrawals", "approve", true},
		{"u-0-operations", "t-0", "withdrawals", "approve", false},
		{"u-0-operations", "t-0", "catalog", "write", true},
		{"u-0-admin", "t-0", "platform.tenants", "read", false},
		{"nobody", "t-0", "catalog", "read", false},
	}
	for _, c := range cases {
		got, err := ce.Enforce(c.user, c.dom, c.obj, c.act)
		if err != nil || got != c.want {
			t.Errorf("%s in %s %s:%s = %v (%v), want %v", c.user, c.dom, c.obj, c.act, got, err, c.want)
		}
	}
}

// TestReplicasSeeRoleChange: two enforcers (two replicas) on one database;
// a role change committed with Notify reaches the other through LISTEN.
func TestReplicasSeeRoleChange(t *testing.T) {
	d := dbtest.New(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var tenant, user string
	if err := d.Owner.Get(&tenant, `INSERT INTO tenants (slug, name, plan_id) SELECT 'rep', 'R', id FROM plans WHERE code='free' RETURNING id`); err != nil {
		t.Fatal(err)
	}
	if err := d.Owner.Get(&user, `INSERT INTO staff_users (email) VALUES ('r@example.com') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	a, err := authz.New(ctx, d.App, quiet)
	if err != nil {
		t.Fatal(err)
	}
	b, err := authz.New(ctx, d.App, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Watch(ctx, d.AppURL); err != nil {
		t.Fatal(err)
	}
	if b.Allowed(user, tenant, "catalog:write") {
		t.Fatal("allowed before any role")
	}
	err = d.App.InTenantID(ctx, "", nil) // no tenant: refused, never unscoped
	if err == nil {
		t.Fatal("InTenantID without a tenant ran")
	}
	err = d.App.InTenant(context.Background(), func(tx *db.Tx) error { return nil })
	if err == nil {
		t.Fatal("InTenant without a tenant in ctx ran")
	}
	if _, err := d.Owner.Exec(`INSERT INTO tenant_staff (tenant_id, user_id, role) VALUES ($1, $2, 'operations')`, tenant, user); err != nil {
		t.Fatal(err)
	}
	notify(t, d)
	waitFor(t, func() bool { return b.Allowed(user, tenant, "catalog:write") })
	// Concurrent checks during reloads never see a half-loaded policy.
	if err := a.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 20; i++ {
			_ = a.Reload(ctx)
		}
	}()
	for i := 0; i < 2000; i++ {
		if !a.Allowed(user, tenant, "catalog:write") {
			t.Fatalf("check %d failed during a reload", i)
		}
	}
	<-done
	if _, err := d.Owner.Exec(`UPDATE tenant_staff SET role = 'support'`); err != nil {
		t.Fatal(err)
	}
	notify(t, d)
	waitFor(t, func() bool {
		return !b.Allowed(user, tenant, "catalog:write") && b.Allowed(user, tenant, "orders:write")
	})
}

func notify(t *testing.T, d *dbtest.DB) {
	t.Helper()
	if _, err := d.Owner.Exec(`SELECT pg_notify('banyan_authz', '')`); err != nil {
		t.Fatal(err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached within 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func enforcer(b *testing.B, rs []authz.Rule, tenants int) *casbin.SyncedEnforcer {
	ce, err := authz.Build(rs, world(tenants))
	if err != nil {
		b.Fatal(err)
	}
	return ce
}

// names precomputes user and domain names so that the benchmarks time the
// check, not the formatting of its arguments.
func names(tenants int) (users [][]string, domains []string) {
	users = make([][]string, tenants)
	domains = make([]string, tenants)
	for t := range tenants {
		domains[t] = fmt.Sprintf("t-%d", t)
		for _, role := range roles {
			users[t] = append(users[t], fmt.Sprintf("u-%d-%s", t, role))
		}
	}
	return users, domains
}

func checkLoop(b *testing.B, ce *casbin.SyncedEnforcer, tenants int) {
	users, domains := names(tenants)
	r := rand.New(rand.NewPCG(1, 2))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t := r.IntN(tenants)
		if _, err := ce.Enforce(users[t][r.IntN(len(roles))], domains[t], "orders", "read"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEnforce times one permission check at 1,000 and at 10,000
// tenants (5 roles, one user per role each). DESIGN.md §3: the check at
// 10,000 tenants must cost no more than 1.5 × the check at 1,000;
// BenchmarkEnforceRatio reports the ratio.
func BenchmarkEnforce(b *testing.B) {
	d := dbtest.New(b)
	rs := rules(b, d)
	for _, n := range []int{1000, 10000} {
		ce := enforcer(b, rs, n)
		b.Run(fmt.Sprintf("tenants=%d", n), func(b *testing.B) { checkLoop(b, ce, n) })
	}
}

// BenchmarkEnforceRatio measures both sizes in one run, alternating (these
// machines are noisy), and reports per-check costs and the ratios.
func BenchmarkEnforceRatio(b *testing.B) {
	d := dbtest.New(b)
	rs := rules(b, d)
	// testing.Benchmark cannot run inside a benchmark (it waits for the
	// benchmark lock this one holds), so time a fixed number of checks.
	per := func(ce *casbin.SyncedEnforcer, n int) float64 {
		const checks = 20000
		users, domains := names(n)
		r := rand.New(rand.NewPCG(1, 2))
		start := time.Now()
		for i := 0; i < checks; i++ {
			t := r.IntN(n)
			if _, err := ce.Enforce(users[t][r.IntN(len(roles))], domains[t], "orders", "read"); err != nil {
				b.Fatal(err)
			}
		}
		return float64(time.Since(start).Nanoseconds()) / checks
	}
	small, large := enforcer(b, rs, 1000), enforcer(b, rs, 10000)
	var sum, lum float64
	for i := 0; i < 3; i++ {
		sum += per(small, 1000)
		lum += per(large, 10000)
	}
	b.ReportMetric(sum/3, "ns/check@1k")
	b.ReportMetric(lum/3, "ns/check@10k")
	b.ReportMetric(lum/sum, "ratio10k/1k")
}
