package finance_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/dbtest"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/finance"
	"github.com/banyanmall/banyan/core/tenancy"
)

type env struct {
	t   *testing.T
	d   *dbtest.DB
	svc *finance.Service
	ctx context.Context
}

func newTenant(t *testing.T, d *dbtest.DB, slug string) context.Context {
	t.Helper()
	var id string
	if err := d.Owner.Get(&id, `INSERT INTO tenants (slug, name, plan_id) SELECT $1, $1, id FROM plans WHERE code = 'free' RETURNING id`, slug); err != nil {
		t.Fatal(err)
	}
	return tenancy.With(context.Background(), tenancy.Tenant{ID: tenancy.TenantID(id), Slug: slug, Status: "active", Currency: "CNY", Timezone: "Asia/Shanghai"})
}

func setup(t *testing.T) env {
	t.Helper()
	d := dbtest.New(t)
	return env{t: t, d: d, svc: &finance.Service{DB: d.App}, ctx: newTenant(t, d, "fin-"+strings.ToLower(uuid.NewString()[:8]))}
}

func (e env) post(en finance.Entry) (string, bool, error) {
	var id string
	var created bool
	err := e.d.App.InTenant(e.ctx, func(tx *db.Tx) error {
		var err error
		id, created, err = e.svc.Post(e.ctx, tx, en)
		return err
	})
	return id, created, err
}

func (e env) checkInvariants() {
	e.t.Helper()
	tb, err := e.svc.TrialBalance(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	if !tb.Difference.IsZero() {
		e.t.Fatalf("trial balance difference %s", tb.Difference)
	}
	var bad int
	if err := e.d.Owner.Get(&bad, `SELECT count(*) FROM (SELECT entry_id FROM journal_lines GROUP BY tenant_id, entry_id
HAVING sum(debit) <> sum(credit) OR count(*) < 2) x`); err != nil {
		e.t.Fatal(err)
	}
	if bad != 0 {
		e.t.Fatalf("%d unbalanced entries", bad)
	}
	var orphans int
	if err := e.d.Owner.Get(&orphans, `SELECT count(*) FROM journal_entries e WHERE NOT EXISTS (SELECT 1 FROM journal_lines l WHERE l.tenant_id = e.tenant_id AND l.entry_id = e.id)`); err != nil {
		e.t.Fatal(err)
	}
	if orphans != 0 {
		e.t.Fatalf("%d entries without lines", orphans)
	}
}

var parties = []string{uuid.NewString(), uuid.NewString(), uuid.NewString()}

// randomEntry builds an entry of 2–5 lines; balanced unless broken.
func randomEntry(r *rand.Rand, ref string, broken bool) finance.Entry {
	n := 2 + r.IntN(4)
	lines := make([]finance.Line, n)
	var debits decimal.Decimal
	for i := 0; i < n-1; i++ {
		a := finance.Chart[r.IntN(len(finance.Chart))]
		l := finance.Line{Account: a.Code}
		if a.PerParty {
			l.Party = parties[r.IntN(len(parties))]
		}
		amt := decimal.New(int64(1+r.IntN(1_000_000)), -4)
		if r.IntN(2) == 0 {
			l.Debit = amt
			debits = debits.Add(amt)
		} else {
			l.Credit = amt
			debits = debits.Sub(amt)
		}
		lines[i] = l
	}
	last := finance.Line{Account: finance.CustomerClearing}
	switch {
	case debits.IsPositive():
		last.Credit = debits
	case debits.IsNegative():
		last.Debit = debits.Neg()
	default:
		last.Debit = decimal.New(1, -4)
		lines[0] = finance.Line{Account: finance.SalesRevenue, Credit: decimal.New(1, -4)}
		lines = lines[:1]
		n = 2
	}
	lines[n-1] = last
	if broken {
		switch r.IntN(4) {
		case 0:
			lines[0].Debit = lines[0].Debit.Add(decimal.New(1, -4))
			if lines[0].Credit.IsPositive() {
				lines[0].Debit = decimal.Zero
				lines[0].Credit = lines[0].Credit.Add(decimal.New(1, -2))
			}
		case 1:
			lines = lines[:1]
		case 2:
			lines[0].Debit, lines[0].Credit = decimal.New(5, 0), decimal.New(5, 0)
		case 3:
			lines[0].Debit = lines[0].Debit.Add(decimal.New(1, -6)) // fifth decimal place
			if lines[0].Debit.Equal(decimal.New(1, -6)) {
				lines[0].Credit = decimal.Zero
			}
		}
	}
	return finance.Entry{Kind: "test.random", Ref: ref, Lines: lines}
}

func TestPostPropertyRandomEntries(t *testing.T) {
	e := setup(t)
	r := rand.New(rand.NewPCG(1, 2))
	posted := map[string]string{}
	lines := map[string][]finance.Line{} // by entry id: what was posted
	total := 0
	for batch := 0; batch < 6; batch++ {
		for i := 0; i < 300; i++ {
			broken := r.IntN(4) == 0
			ref := fmt.Sprintf("b%d-%d", batch, i)
			en := randomEntry(r, ref, broken)
			id, created, err := e.post(en)
			if broken {
				if !errs.Is(err, errs.Invalid) {
					t.Fatalf("broken entry %s accepted (err %v): %+v", ref, err, en.Lines)
				}
				continue
			}
			if err != nil || !created {
				t.Fatalf("post %s: created=%v %v", ref, created, err)
			}
			posted[ref] = id
			lines[id] = en.Lines
			total++
		}
		// Replays change nothing and answer the same id.
		for ref, id := range posted {
			if r.IntN(10) != 0 {
				continue
			}
			got, created, err := e.post(finance.Entry{Kind: "test.random", Ref: ref, Lines: []finance.Line{
				{Account: finance.SalesRevenue, Credit: decimal.NewFromInt(1)}, {Account: finance.CustomerClearing, Debit: decimal.NewFromInt(1)}}})
			if err != nil || created || got != id {
				t.Fatalf("replay %s: id %s (want %s) created=%v err=%v", ref, got, id, created, err)
			}
		}
		e.checkInvariants()
	}
	var n int
	if err := e.d.Owner.Get(&n, `SELECT count(*) FROM journal_entries`); err != nil {
		t.Fatal(err)
	}
	if n != total {
		t.Fatalf("%d entries stored, %d posted", n, total)
	}
	// Every entry holds exactly the lines of its first post, in order:
	// replays (whose lines differ) added none.
	var stored []struct {
		Entry  string          `db:"entry_id"`
		No     int             `db:"line_no"`
		Acct   string          `db:"account"`
		Party  string          `db:"party"`
		Debit  decimal.Decimal `db:"debit"`
		Credit decimal.Decimal `db:"credit"`
	}
	if err := e.d.Owner.Select(&stored, `SELECT entry_id, line_no, account, party, debit, credit FROM journal_lines ORDER BY entry_id, line_no`); err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, l := range stored {
		got[l.Entry]++
		want := lines[l.Entry]
		if l.No > len(want) {
			t.Fatalf("entry %s: line %d of %d posted", l.Entry, l.No, len(want))
		}
		w := want[l.No-1]
		if l.Acct != string(w.Account) || l.Party != w.Party || !l.Debit.Equal(w.Debit) || !l.Credit.Equal(w.Credit) {
			t.Fatalf("entry %s line %d: stored %+v, posted %+v", l.Entry, l.No, l, w)
		}
	}
	for id, want := range lines {
		if got[id] != len(want) {
			t.Fatalf("entry %s: %d lines stored, %d posted", id, got[id], len(want))
		}
	}
}

func TestConcurrentPostsAndReplays(t *testing.T) {
	e := setup(t)
	var wg sync.WaitGroup
	ids := make([][]string, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(g), 9))
			for i := 0; i < 40; i++ {
				// Goroutines share refs pairwise: the same event posted twice at once.
				ref := fmt.Sprintf("c%d-%d", g/2, i)
				id, _, err := e.post(randomEntry(r, ref, false))
				if err != nil {
					t.Error(err)
					return
				}
				ids[g] = append(ids[g], id)
			}
		}(g)
	}
	wg.Wait()
	for g := 0; g < 8; g += 2 {
		for i := range ids[g] {
			if ids[g][i] != ids[g+1][i] {
				t.Fatalf("ref c%d-%d posted twice: %s and %s", g/2, i, ids[g][i], ids[g+1][i])
			}
		}
	}
	var n int
	if err := e.d.Owner.Get(&n, `SELECT count(*) FROM journal_entries`); err != nil {
		t.Fatal(err)
	}
	if n != 4*40 {
		t.Fatalf("%d entries, want 160", n)
	}
	e.checkInvariants()
}

func TestDatabaseGuards(t *testing.T) {
	e := setup(t)
	id, _, err := e.post(finance.Entry{Kind: "payment", Ref: "o1", Lines: []finance.Line{
		{Account: finance.CustomerClearing, Debit: decimal.NewFromInt(100)},
		{Account: finance.SalesRevenue, Credit: decimal.NewFromInt(90)},
		{Account: finance.ShippingRevenue, Credit: decimal.NewFromInt(10)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	tid := tenancy.ID(e.ctx)
	for name, q := range map[string]string{
		"update line":  `UPDATE journal_lines SET debit = 1 WHERE entry_id = '` + id + `'`,
		"delete line":  `DELETE FROM journal_lines WHERE entry_id = '` + id + `'`,
		"update entry": `UPDATE journal_entries SET memo = 'x' WHERE id = '` + id + `'`,
		"delete entry": `DELETE FROM journal_entries WHERE id = '` + id + `'`,
	} {
		err := e.d.App.InTenant(e.ctx, func(tx *db.Tx) error { _, err := tx.Exec(q); return err })
		if err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Errorf("%s: want permission denied, got %v", name, err)
		}
	}
	// Bypassing Post: an unbalanced entry written straight in SQL is refused at commit.
	err = e.d.App.InTenant(e.ctx, func(tx *db.Tx) error {
		var eid string
		if err := tx.Get(&eid, `INSERT INTO journal_entries (tenant_id, kind, ref) VALUES ($1, 'x', 'raw') RETURNING id`, tid); err != nil {
			return err
		}
		_, err := tx.Exec(`INSERT INTO journal_lines (tenant_id, entry_id, kind, line_no, account, debit, credit) VALUES
($1, $2, 'x', 1, 'sales_revenue', 0, 5), ($1, $2, 'x', 2, 'customer_payments_clearing', 4, 0)`, tid, eid)
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "does not balance") {
		t.Fatalf("unbalanced raw entry: %v", err)
	}
	err = e.d.App.InTenant(e.ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(`INSERT INTO journal_entries (tenant_id, kind, ref) VALUES ($1, 'x', 'raw2')`, tid)
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "at least two") {
		t.Fatalf("entry without lines: %v", err)
	}
	bal, err := balance(e, finance.CustomerClearing, "")
	if err != nil || !bal.Equal(decimal.NewFromInt(100)) {
		t.Fatalf("clearing balance %s %v", bal, err)
	}
	bal, _ = balance(e, finance.SalesRevenue, "")
	if !bal.Equal(decimal.NewFromInt(90)) {
		t.Fatalf("sales balance %s (credit-normal)", bal)
	}
	e.checkInvariants()
}

func balance(e env, a finance.Account, party string) (decimal.Decimal, error) {
	var b decimal.Decimal
	err := e.d.App.InTenant(e.ctx, func(tx *db.Tx) error {
		var err error
		b, err = e.svc.Balance(e.ctx, tx, a, party)
		return err
	})
	return b, err
}

func TestValidateNamesFields(t *testing.T) {
	cases := map[string]finance.Entry{
		"no ref":        {Kind: "payment", Lines: []finance.Line{{Account: finance.SalesRevenue, Credit: decimal.NewFromInt(1)}, {Account: finance.CustomerClearing, Debit: decimal.NewFromInt(1)}}},
		"party missing": {Kind: "x", Ref: "r", Lines: []finance.Line{{Account: finance.FrozenPayable, Credit: decimal.NewFromInt(1)}, {Account: finance.CommissionExpense, Debit: decimal.NewFromInt(1)}}},
		"unknown acct":  {Kind: "x", Ref: "r", Lines: []finance.Line{{Account: "cash", Credit: decimal.NewFromInt(1)}, {Account: finance.CommissionExpense, Debit: decimal.NewFromInt(1)}}},
		"negative":      {Kind: "x", Ref: "r", Lines: []finance.Line{{Account: finance.SalesRevenue, Credit: decimal.NewFromInt(-1)}, {Account: finance.CustomerClearing, Debit: decimal.NewFromInt(-1)}}},
	}
	for name, en := range cases {
		t.Run(name, func(t *testing.T) {
			if err := en.Validate(); !errs.Is(err, errs.Invalid) {
				t.Fatalf("want validation error, got %v", err)
			}
		})
	}
}
