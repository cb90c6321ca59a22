package catalog_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/catalog"
	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/dbtest"
	"github.com/banyanmall/banyan/core/jobs"
	"github.com/banyanmall/banyan/core/tenancy"
	"github.com/banyanmall/banyan/tenants"
)

// env is a catalogue service on a fresh database, with shops in it.
type env struct {
	t  testing.TB
	d  *dbtest.DB
	s  *catalog.Service
	jr *jobs.Runner
}

func newEnv(t testing.TB) *env {
	t.Helper()
	d := dbtest.New(t)
	dir := t.TempDir()
	s := &catalog.Service{
		DB: d.App, Tenants: &tenants.Service{DB: d.App},
		Uploads: catalog.FileStorage{Dir: dir + "/uploads"}, ImportFiles: catalog.FileStorage{Dir: dir + "/imports"},
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	return &env{t: t, d: d, s: s}
}

// runJobs starts a job runner with the catalogue's workers.
func (e *env) runJobs() {
	e.t.Helper()
	e.jr = jobs.New(e.d.App.DB.DB, slog.New(slog.NewTextHandler(io.Discard, nil)), jobs.Options{PollInterval: 20 * time.Millisecond, TestOnly: true})
	catalog.Register(e.jr, e.s)
	if err := e.jr.Start(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(e.jr.Close)
}

var shopSeq atomic.Int64

// shop creates a tenant on plan and returns a context scoped to it.
func (e *env) shop(plan string) context.Context {
	e.t.Helper()
	var id string
	slug := fmt.Sprintf("shop-%d", shopSeq.Add(1))
	err := e.d.Owner.Get(&id, `INSERT INTO tenants (slug, name, plan_id) SELECT $1, $1, id FROM plans WHERE code = $2 RETURNING id`, slug, plan)
	if err != nil {
		e.t.Fatal(err)
	}
	return tenancy.With(context.Background(), tenancy.Tenant{ID: tenancy.TenantID(id), Slug: slug})
}

func dec(s string) *decimal.Decimal {
	d := decimal.RequireFromString(s)
	return &d
}

// product creates a simple on-sale product with one SKU per price.
func (e *env) product(ctx context.Context, title string, cat *catalog.CategoryID, prices ...string) catalog.Product {
	e.t.Helper()
	in := catalog.ProductInput{Title: title, CategoryID: cat, Status: catalog.OnSale}
	if len(prices) > 1 {
		in.Specs = []catalog.SpecAttr{{Name: "款式", Values: nil}}
	}
	for i, p := range prices {
		sku := catalog.SKUInput{Code: fmt.Sprintf("S%d-%d", shopSeq.Add(1), i), Price: dec(p), Stock: 10}
		if len(prices) > 1 {
			v := fmt.Sprintf("v%d", i)
			in.Specs[0].Values = append(in.Specs[0].Values, v)
			sku.Spec = map[string]string{"款式": v}
		}
		in.SKUs = append(in.SKUs, sku)
	}
	p, err := e.s.CreateProduct(ctx, in)
	if err != nil {
		e.t.Fatalf("create product %q: %v", title, err)
	}
	return p
}

func (e *env) category(ctx context.Context, name string, parent *catalog.CategoryID) *catalog.CategoryID {
	e.t.Helper()
	c, err := e.s.CreateCategory(ctx, catalog.CategoryInput{Name: name, ParentID: parent})
	if err != nil {
		e.t.Fatalf("create category %q: %v", name, err)
	}
	return &c.ID
}

// count counts rows as the owner (no RLS), for "nothing changed" checks.
func (e *env) count(q string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.d.Owner.Get(&n, q, args...); err != nil {
		e.t.Fatal(err)
	}
	return n
}

func inTx(t testing.TB, d *db.DB, ctx context.Context, fn func(tx *db.Tx) error) error {
	t.Helper()
	return d.InTenant(ctx, fn)
}

// waitFor polls cond for up to 20 s (background jobs).
func waitFor(t testing.TB, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 20 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
