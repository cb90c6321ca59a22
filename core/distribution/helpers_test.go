package distribution_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/dbtest"
	"github.com/banyanmall/banyan/core/distribution"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/finance"
	"github.com/banyanmall/banyan/core/identity"
	"github.com/banyanmall/banyan/core/pluginhost"
	"github.com/banyanmall/banyan/core/tenancy"
)

var (
	host     *pluginhost.Host
	hostErr  error
	hostOnce sync.Once
)

// pluginHost starts the real plugin processes once for the package: the
// built plugins of BANYAN_PLUGIN_DIR, or freshly built ones.
func pluginHost(t *testing.T) *pluginhost.Host {
	t.Helper()
	hostOnce.Do(func() {
		dir := os.Getenv("BANYAN_PLUGIN_DIR")
		if _, err := os.Stat(filepath.Join(dir, "commission-tiered.manifest.json")); dir == "" || err != nil {
			dir, hostErr = os.MkdirTemp("", "dist-plugins-")
			if hostErr != nil {
				return
			}
			root, _ := filepath.Abs("../..")
			cmd := exec.Command("bash", "plugins/build.sh", dir)
			cmd.Dir = root
			if out, err := cmd.CombinedOutput(); err != nil {
				hostErr = fmt.Errorf("build plugins: %v\n%s", err, out)
				return
			}
		}
		host, hostErr = pluginhost.New(pluginhost.Options{Dir: dir, Logger: slog.New(slog.DiscardHandler)})
	})
	if hostErr != nil {
		t.Fatal(hostErr)
	}
	return host
}

// orders is the test's order source: paid orders held in memory (the
// orders capability's data, which the real orders package serves).
type orders struct {
	mu sync.Mutex
	m  map[string]distribution.PaidOrder
}

func (o *orders) PaidOrder(_ context.Context, _ *db.Tx, id string) (distribution.PaidOrder, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	p, ok := o.m[id]
	if !ok {
		return p, errs.E(errs.NotFound, "order not found")
	}
	return p, nil
}

func (o *orders) PaidOrdersBetween(_ context.Context, _ *db.Tx, from, to time.Time) ([]distribution.PaidOrder, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []distribution.PaidOrder
	for _, p := range o.m {
		if !p.PaidAt.Before(from) && p.PaidAt.Before(to) {
			out = append(out, p)
		}
	}
	return out, nil
}

type clock struct{ t atomic.Int64 }

func (c *clock) now() time.Time      { return time.Unix(0, c.t.Load()).UTC() }
func (c *clock) add(d time.Duration) { c.t.Add(int64(d)) }
func (c *clock) set(t time.Time)     { c.t.Store(t.UnixNano()) }
func newClock(t time.Time) *clock    { c := &clock{}; c.set(t); return c }
func dec(s string) decimal.Decimal   { return decimal.RequireFromString(s) }
func staffCtx(ctx context.Context, user string) context.Context {
	return identity.WithActor(ctx, identity.Actor{Kind: "staff", UserID: identity.UserID(user)})
}

type env struct {
	t      *testing.T
	d      *dbtest.DB
	s      *distribution.Service
	fin    *finance.Service
	ctx    context.Context
	orders *orders
	clock  *clock
	seq    atomic.Int64
}

func setup(t *testing.T) *env {
	t.Helper()
	d := dbtest.New(t)
	var id string
	slug := "dist-" + strings.ToLower(uuid.NewString()[:8])
	if err := d.Owner.Get(&id, `INSERT INTO tenants (slug, name, plan_id) SELECT $1, $1, id FROM plans WHERE code = 'free' RETURNING id`, slug); err != nil {
		t.Fatal(err)
	}
	ctx := tenancy.With(context.Background(), tenancy.Tenant{ID: tenancy.TenantID(id), Slug: slug, Status: "active", Currency: "CNY", Timezone: "Asia/Shanghai"})
	fin := &finance.Service{DB: d.App}
	e := &env{t: t, d: d, fin: fin, ctx: ctx, orders: &orders{m: map[string]distribution.PaidOrder{}},
		clock: newClock(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))}
	e.s = &distribution.Service{DB: d.App, Finance: fin, Plugins: pluginHost(t), Orders: e.orders, Now: e.clock.now}
	fin.Derived = e.s.DerivedTotals
	return e
}

func (e *env) settings(mut func(*distribution.Settings)) {
	e.t.Helper()
	st := distribution.DefaultSettings
	st.WithdrawalMin = dec("1")
	st.SecondApproverAbove = decimal.Zero
	mut(&st)
	if _, err := e.s.UpdateSettings(staffCtx(e.ctx, uuid.NewString()), st); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) member() string {
	e.t.Helper()
	var id string
	if err := e.d.Owner.Get(&id, `INSERT INTO members (tenant_id, email, name) VALUES ($1, $2, $3) RETURNING id`,
		tenancy.ID(e.ctx), fmt.Sprintf("m%d-%s@example.com", e.seq.Add(1), uuid.NewString()[:6]), "M"); err != nil {
		e.t.Fatal(err)
	}
	return id
}

func (e *env) distributor() (string, string) {
	e.t.Helper()
	id := e.member()
	d, err := e.s.Designate(staffCtx(e.ctx, uuid.NewString()), identity.MemberID(id))
	if err != nil {
		e.t.Fatal(err)
	}
	return id, d.Code
}

func (e *env) tx(fn func(tx *db.Tx) error) error { return e.d.App.InTenant(e.ctx, fn) }

func (e *env) bind(member, code string) (distribution.Binding, error) {
	var b distribution.Binding
	err := e.tx(func(tx *db.Tx) error {
		var err error
		b, err = e.s.Bind(e.ctx, tx, member, code, "api")
		return err
	})
	return b, err
}

func (e *env) mustBind(member, code string) {
	e.t.Helper()
	if _, err := e.bind(member, code); err != nil {
		e.t.Fatal(err)
	}
}

// pay records a paid order with one line per amount and computes its commission.
func (e *env) pay(buyer string, amounts ...string) distribution.PaidOrder {
	e.t.Helper()
	o := distribution.PaidOrder{OrderID: uuid.NewString(), OrderNo: fmt.Sprintf("N%d", e.seq.Add(1)), BuyerID: buyer, PaidAt: e.clock.now()}
	for i, a := range amounts {
		o.Lines = append(o.Lines, distribution.OrderLine{LineID: fmt.Sprintf("L%d", i+1), ProductID: uuid.NewString(), Quantity: 1,
			UnitPrice: dec(a), PaidAmount: dec(a), Distribution: "default"})
	}
	e.orders.mu.Lock()
	e.orders.m[o.OrderID] = o
	e.orders.mu.Unlock()
	if err := e.compute(o.OrderID); err != nil {
		e.t.Fatal(err)
	}
	return o
}

func (e *env) compute(order string) error {
	return e.tx(func(tx *db.Tx) error { _, err := e.s.ComputeCommission(e.ctx, tx, order); return err })
}

func (e *env) balance(acct finance.Account, party string) decimal.Decimal {
	e.t.Helper()
	var b decimal.Decimal
	if err := e.tx(func(tx *db.Tx) error {
		var err error
		b, err = e.fin.Balance(e.ctx, tx, acct, party)
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	return b
}

func (e *env) refund(o distribution.PaidOrder, line int, amount, refundID string) {
	e.t.Helper()
	l := o.Lines[line]
	if err := e.tx(func(tx *db.Tx) error {
		return e.s.OnLineRefunded(e.ctx, tx, o.OrderID, l.LineID, dec(amount), l.PaidAmount, refundID)
	}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) close(o distribution.PaidOrder, at time.Time) {
	e.t.Helper()
	if err := e.tx(func(tx *db.Tx) error {
		for _, l := range o.Lines {
			if err := e.s.OnLineAfterSalesClosed(e.ctx, tx, o.OrderID, l.LineID, at); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		e.t.Fatal(err)
	}
}

// check asserts the ledger's invariants: every entry balances, the trial
// balance is zero, and every distributor's ledger balances equal
// distribution's own totals.
func (e *env) check() {
	e.t.Helper()
	rec, err := e.fin.Reconcile(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	if !rec.OK {
		e.t.Fatalf("reconciliation: trial zero %v, differences %+v", rec.TrialZero, rec.Differences)
	}
	var bad int
	if err := e.d.Owner.Get(&bad, `SELECT count(*) FROM (SELECT entry_id FROM journal_lines GROUP BY tenant_id, entry_id HAVING sum(debit) <> sum(credit)) x`); err != nil {
		e.t.Fatal(err)
	}
	if bad != 0 {
		e.t.Fatalf("%d unbalanced entries", bad)
	}
	var dup int
	if err := e.d.Owner.Get(&dup, `SELECT count(*) FROM (SELECT 1 FROM commissions GROUP BY tenant_id, order_id, line_id, beneficiary_id, level HAVING count(*) > 1) x`); err != nil {
		e.t.Fatal(err)
	}
	if dup != 0 {
		e.t.Fatalf("%d commissions counted twice", dup)
	}
}
