package finance

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/page"
	"github.com/banyanmall/banyan/core/tenancy"
)

// TrialRow is one account's totals in the trial balance.
type TrialRow struct {
	Account    Account         `json:"account" db:"account"`
	NameZh     string          `json:"name_zh" db:"-"`
	NameEn     string          `json:"name_en" db:"-"`
	Type       string          `json:"type" db:"-"`
	Debit      decimal.Decimal `json:"debit" db:"debit"`
	Credit     decimal.Decimal `json:"credit" db:"credit"`
	Balance    decimal.Decimal `json:"balance" db:"-"` // in the account's normal side
	NormalSide string          `json:"normal_side" db:"-"`
}

// TrialBalance lists every account of the chart with its debit and credit
// totals; Difference (total debits − total credits) is always zero.
type TrialBalance struct {
	Accounts    []TrialRow      `json:"accounts"`
	TotalDebit  decimal.Decimal `json:"total_debit"`
	TotalCredit decimal.Decimal `json:"total_credit"`
	Difference  decimal.Decimal `json:"difference"`
}

// TrialBalance computes the tenant's trial balance.
func (s *Service) TrialBalance(ctx context.Context) (TrialBalance, error) {
	var tb TrialBalance
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		var err error
		tb, err = s.TrialBalanceTx(ctx, tx)
		return err
	})
	return tb, err
}

// TrialBalanceTx is TrialBalance inside tx.
func (s *Service) TrialBalanceTx(ctx context.Context, tx *db.Tx) (TrialBalance, error) {
	var rows []TrialRow
	if err := tx.SelectContext(ctx, &rows, `
SELECT account, sum(debit) AS debit, sum(credit) AS credit FROM journal_lines
WHERE tenant_id = $1 GROUP BY account`, tenancy.ID(ctx)); err != nil {
		return TrialBalance{}, fmt.Errorf("trial balance: %w", err)
	}
	by := map[Account]TrialRow{}
	for _, r := range rows {
		by[r.Account] = r
	}
	tb := TrialBalance{Accounts: []TrialRow{}}
	for _, a := range Chart {
		r := by[a.Code]
		r.Account, r.NameZh, r.NameEn, r.Type, r.NormalSide = a.Code, a.NameZh, a.NameEn, a.Type, a.NormalSide
		r.Balance = normal(a, r.Debit, r.Credit)
		tb.TotalDebit = tb.TotalDebit.Add(r.Debit)
		tb.TotalCredit = tb.TotalCredit.Add(r.Credit)
		tb.Accounts = append(tb.Accounts, r)
	}
	tb.Difference = tb.TotalDebit.Sub(tb.TotalCredit)
	return tb, nil
}

// JournalFilter selects journal lines.
type JournalFilter struct {
	Kind    string
	Account Account
	Party   string
	OrderID string
	From    time.Time // inclusive; zero = unbounded
	To      time.Time // exclusive; zero = unbounded
}

// JournalLine is one line of the fund flow, with its entry.
type JournalLine struct {
	EntryID   string          `json:"entry_id" db:"entry_id"`
	LineNo    int             `json:"line_no" db:"line_no"`
	Kind      string          `json:"kind" db:"kind"`
	Ref       string          `json:"ref" db:"ref"`
	OrderID   *string         `json:"order_id" db:"order_id"`
	MemberID  *string         `json:"member_id" db:"member_id"`
	Memo      string          `json:"memo" db:"memo"`
	Account   Account         `json:"account" db:"account"`
	Party     string          `json:"party" db:"party"`
	Debit     decimal.Decimal `json:"debit" db:"debit"`
	Credit    decimal.Decimal `json:"credit" db:"credit"`
	CreatedAt time.Time       `json:"created_at" db:"created_at"`
}

type journalCursor struct {
	At    time.Time `json:"t"`
	Entry string    `json:"e"`
	Line  int       `json:"l"`
}

// Validate checks a filter's ids and accounts.
func (f JournalFilter) Validate() error {
	v := errs.Validator{}
	if f.Account != "" {
		_, ok := Info(f.Account)
		v.Check(ok, "account", "unknown", "no such account in the chart")
	}
	v.Check(f.Party == "" || tenancy.ValidUUID(f.Party), "member", "invalid", "member must be a member id")
	v.Check(f.OrderID == "" || tenancy.ValidUUID(f.OrderID), "order", "invalid", "order must be an order id")
	v.Check(f.From.IsZero() || f.To.IsZero() || f.From.Before(f.To), "to", "invalid", "to must be after from")
	return v.Err()
}

// Journal lists journal lines newest first, filtered, a page at a time.
func (s *Service) Journal(ctx context.Context, f JournalFilter, p page.Request) ([]JournalLine, string, error) {
	if err := f.Validate(); err != nil {
		return nil, "", err
	}
	p = p.Normalize()
	var cur journalCursor
	if err := page.Decode(p.Cursor, &cur); err != nil {
		return nil, "", err
	}
	var out []JournalLine
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		return s.journal(ctx, tx, f, cur, p.Limit+1, &out)
	})
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > p.Limit {
		out = out[:p.Limit]
		l := out[len(out)-1]
		next = page.Encode(journalCursor{l.CreatedAt, l.EntryID, l.LineNo})
	}
	return out, next, nil
}

// JournalAll returns every line matching f (for exports), up to max lines.
func (s *Service) JournalAll(ctx context.Context, f JournalFilter, max int) ([]JournalLine, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	var out []JournalLine
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		return s.journal(ctx, tx, f, journalCursor{}, max, &out)
	})
	return out, err
}

func (s *Service) journal(ctx context.Context, tx *db.Tx, f JournalFilter, cur journalCursor, limit int, out *[]JournalLine) error {
	var from, to, curAt *time.Time
	if !f.From.IsZero() {
		from = &f.From
	}
	if !f.To.IsZero() {
		to = &f.To
	}
	if !cur.At.IsZero() {
		curAt = &cur.At
	}
	err := tx.SelectContext(ctx, out, `
SELECT l.entry_id, l.line_no, l.kind, e.ref, e.order_id::text AS order_id, e.member_id::text AS member_id, e.memo,
       l.account, l.party, l.debit, l.credit, l.created_at
FROM journal_lines l
JOIN journal_entries e ON e.tenant_id = l.tenant_id AND e.id = l.entry_id
WHERE l.tenant_id = $1
  AND ($2 = '' OR l.kind = $2)
  AND ($3 = '' OR l.account = $3)
  AND ($4 = '' OR l.party = $4)
  AND ($5 = '' OR e.order_id = NULLIF($5, '')::uuid)
  AND ($6::timestamptz IS NULL OR l.created_at >= $6)
  AND ($7::timestamptz IS NULL OR l.created_at < $7)
  AND ($8::timestamptz IS NULL OR (l.created_at, l.entry_id, l.line_no) < ($8, $9::uuid, $10))
ORDER BY l.created_at DESC, l.entry_id DESC, l.line_no DESC
LIMIT $11`, tenancy.ID(ctx), f.Kind, string(f.Account), f.Party, f.OrderID, from, to, curAt, nullUUID(cur.Entry), cur.Line, limit)
	if err != nil {
		return fmt.Errorf("finance journal: %w", err)
	}
	return nil
}

func nullUUID(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// PartyTotals are one distributor's balances.
type PartyTotals struct {
	Frozen    decimal.Decimal `json:"frozen"`
	Available decimal.Decimal `json:"available"`
}

// PartyBalances returns every distributor's frozen and available balances
// computed from the journal (credit-normal).
func (s *Service) PartyBalances(ctx context.Context, tx *db.Tx) (map[string]PartyTotals, error) {
	var rows []struct {
		Account Account         `db:"account"`
		Party   string          `db:"party"`
		Bal     decimal.Decimal `db:"bal"`
	}
	if err := tx.SelectContext(ctx, &rows, `
SELECT account, party, sum(credit) - sum(debit) AS bal FROM journal_lines
WHERE tenant_id = $1 AND account IN ($2, $3) GROUP BY account, party`,
		tenancy.ID(ctx), string(FrozenPayable), string(AvailablePayable)); err != nil {
		return nil, fmt.Errorf("finance party balances: %w", err)
	}
	out := map[string]PartyTotals{}
	for _, r := range rows {
		t := out[r.Party]
		if r.Account == FrozenPayable {
			t.Frozen = r.Bal
		} else {
			t.Available = r.Bal
		}
		out[r.Party] = t
	}
	return out, nil
}

// Difference is one distributor whose ledger and derived totals disagree.
type Difference struct {
	MemberID string      `json:"member_id"`
	Ledger   PartyTotals `json:"ledger"`
	Derived  PartyTotals `json:"derived"`
}

// Reconciliation compares the ledger's per-distributor balances with the
// distribution capability's own totals.
type Reconciliation struct {
	CheckedAt    time.Time    `json:"checked_at"`
	Distributors int          `json:"distributors"`
	TrialZero    bool         `json:"trial_balance_zero"`
	Differences  []Difference `json:"differences"`
	OK           bool         `json:"ok"`
	// DerivedAvailable is false when no distribution capability is wired
	// (then only the ledger is checked).
	DerivedAvailable bool `json:"derived_available"`
}

// Reconcile recomputes every distributor balance from the journal and
// compares it with the distribution capability's derived totals.
func (s *Service) Reconcile(ctx context.Context) (Reconciliation, error) {
	var rec Reconciliation
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		var err error
		rec, err = s.ReconcileTx(ctx, tx)
		return err
	})
	return rec, err
}

// ReconcileTx is Reconcile inside tx (one snapshot for both sides when the
// caller uses a repeatable-read transaction).
func (s *Service) ReconcileTx(ctx context.Context, tx *db.Tx) (Reconciliation, error) {
	rec := Reconciliation{CheckedAt: time.Now().UTC(), Differences: []Difference{}}
	tb, err := s.TrialBalanceTx(ctx, tx)
	if err != nil {
		return rec, err
	}
	rec.TrialZero = tb.Difference.IsZero()
	ledger, err := s.PartyBalances(ctx, tx)
	if err != nil {
		return rec, err
	}
	derived := map[string]PartyTotals{}
	if s.Derived != nil {
		rec.DerivedAvailable = true
		if derived, err = s.Derived(ctx, tx); err != nil {
			return rec, err
		}
	}
	seen := map[string]bool{}
	for p := range ledger {
		seen[p] = true
	}
	for p := range derived {
		seen[p] = true
	}
	rec.Distributors = len(seen)
	for p := range seen {
		l, d := ledger[p], derived[p]
		if !rec.DerivedAvailable {
			continue
		}
		if !l.Frozen.Equal(d.Frozen) || !l.Available.Equal(d.Available) {
			rec.Differences = append(rec.Differences, Difference{MemberID: p, Ledger: l, Derived: d})
		}
	}
	rec.OK = rec.TrialZero && len(rec.Differences) == 0
	return rec, nil
}
