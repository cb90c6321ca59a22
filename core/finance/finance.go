// Package finance is Banyan's double-entry ledger (DESIGN.md §4): every
// movement of money is one balanced journal entry, posted in the transaction
// of the business change that caused it, immutable once committed.
//
// Sign convention: Balance answers in the account's normal side. For
// debit-normal accounts (assets, expenses, the contra-revenue Refunds) it is
// debits − credits; for credit-normal accounts (liabilities, revenue) it is
// credits − debits. So a distributor's AvailablePayable balance is what the
// shop owes them (negative: what they owe the shop, a receivable netted
// against later commission).
package finance

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/tenancy"
)

// Account is a ledger account code.
type Account string

// The chart of accounts every tenant has.
const (
	CustomerClearing     Account = "customer_payments_clearing"    // asset: money received from customers via providers, not yet settled to the merchant
	SalesRevenue         Account = "sales_revenue"                 // revenue
	ShippingRevenue      Account = "shipping_revenue"              // revenue
	Refunds              Account = "refunds"                       // contra-revenue (debit-normal)
	CommissionExpense    Account = "commission_expense"            // expense
	FrozenPayable        Account = "distributor_frozen_payable"    // liability per distributor (party)
	AvailablePayable     Account = "distributor_available_payable" // liability per distributor (party); may go negative (receivable)
	WithdrawalsInTransit Account = "withdrawals_in_transit"        // liability: approved withdrawals not yet paid out
	FeeIncome            Account = "fee_income"                    // revenue: withdrawal fees
	PlatformFees         Account = "platform_fees"                 // expense: provider and platform fees
	PaymentSuspense      Account = "payment_suspense"              // liability: mismatched payments held for review
)

// AccountInfo describes one account of the chart.
type AccountInfo struct {
	Code       Account `json:"code" db:"code"`
	NameZh     string  `json:"name_zh" db:"name_zh"`
	NameEn     string  `json:"name_en" db:"name_en"`
	Type       string  `json:"type" db:"type"`               // asset, liability, revenue, expense
	NormalSide string  `json:"normal_side" db:"normal_side"` // debit or credit
	PerParty   bool    `json:"per_party" db:"-"`             // lines carry a distributor's member id
}

// Chart is the chart of accounts, in display order.
var Chart = []AccountInfo{
	{CustomerClearing, "客户付款清算", "Customer payments clearing", "asset", "debit", false},
	{SalesRevenue, "销售收入", "Sales revenue", "revenue", "credit", false},
	{ShippingRevenue, "运费收入", "Shipping revenue", "revenue", "credit", false},
	{Refunds, "退款", "Refunds", "revenue", "debit", false},
	{CommissionExpense, "佣金支出", "Commission expense", "expense", "debit", false},
	{FrozenPayable, "分销商冻结佣金", "Distributor frozen payable", "liability", "credit", true},
	{AvailablePayable, "分销商可提现佣金", "Distributor available payable", "liability", "credit", true},
	{WithdrawalsInTransit, "提现在途", "Withdrawals in transit", "liability", "credit", false},
	{FeeIncome, "手续费收入", "Fee income", "revenue", "credit", false},
	{PlatformFees, "平台及通道费用", "Platform fees", "expense", "debit", false},
	{PaymentSuspense, "待核对款项", "Payment suspense", "liability", "credit", false},
}

// Info returns the chart entry of acct.
func Info(acct Account) (AccountInfo, bool) {
	for _, a := range Chart {
		if a.Code == acct {
			return a, true
		}
	}
	return AccountInfo{}, false
}

// Line is one side of an entry: exactly one of Debit and Credit is positive.
type Line struct {
	Account Account         `json:"account"`
	Party   string          `json:"party,omitempty"` // member id for distributor accounts, else ""
	Debit   decimal.Decimal `json:"debit"`
	Credit  decimal.Decimal `json:"credit"`
}

// Entry is one balanced journal entry.
type Entry struct {
	// Kind names the business event: "payment", "refund",
	// "commission.freeze", "commission.settle", "commission.void",
	// "commission.reverse", "withdrawal.request", "withdrawal.paid",
	// "withdrawal.failed", ...
	Kind string
	// Ref makes posting idempotent: unique per (tenant, kind, ref).
	Ref      string
	OrderID  string // optional (a UUID)
	MemberID string // optional (a UUID)
	Memo     string
	Lines    []Line
}

// Service posts entries and reads the ledger.
type Service struct {
	DB *db.DB
	// Derived, when set, gives the distribution capability's own totals per
	// distributor for reconciliation (core/app wires it).
	Derived func(ctx context.Context, tx *db.Tx) (map[string]PartyTotals, error)

	charts sync.Map // tenant id → struct{}: the chart exists (committed)
}

// Scale is the number of decimal places stored (numeric(20,4)).
const Scale = 4

// Validate checks an entry without posting it.
func (e Entry) Validate() error {
	v := errs.Validator{}
	if e.Kind == "" || len(e.Kind) > 64 || strings.Trim(e.Kind, "abcdefghijklmnopqrstuvwxyz_.") != "" {
		v.Add("kind", "invalid", "kind is lowercase letters, '_' and '.' (1–64)")
	}
	if e.Ref == "" || len(e.Ref) > 200 {
		v.Add("ref", "invalid", "ref is required (at most 200 characters): it makes posting idempotent")
	}
	if e.OrderID != "" && !tenancy.ValidUUID(e.OrderID) {
		v.Add("order_id", "invalid", "order_id must be a UUID")
	}
	if e.MemberID != "" && !tenancy.ValidUUID(e.MemberID) {
		v.Add("member_id", "invalid", "member_id must be a UUID")
	}
	if len(e.Memo) > 500 {
		v.Add("memo", "too_long", "memo is at most 500 characters")
	}
	if len(e.Lines) < 2 {
		v.Add("lines", "too_few", "an entry has at least two lines")
	}
	var d, c decimal.Decimal
	for i, l := range e.Lines {
		f := fmt.Sprintf("lines[%d]", i)
		info, ok := Info(l.Account)
		if !ok {
			v.Add(f+".account", "unknown", fmt.Sprintf("no account %q in the chart", l.Account))
		} else if info.PerParty != (l.Party != "") {
			if info.PerParty {
				v.Add(f+".party", "required", "distributor accounts need the distributor's member id as party")
			} else {
				v.Add(f+".party", "not_allowed", "only distributor accounts carry a party")
			}
		}
		if l.Party != "" && !tenancy.ValidUUID(l.Party) {
			v.Add(f+".party", "invalid", "party must be a member id")
		}
		if l.Debit.IsNegative() || l.Credit.IsNegative() || l.Debit.IsPositive() == l.Credit.IsPositive() {
			v.Add(f, "one_side", "exactly one of debit and credit is positive, the other zero")
		}
		if !l.Debit.Equal(l.Debit.Round(Scale)) || !l.Credit.Equal(l.Credit.Round(Scale)) {
			v.Add(f, "precision", "amounts have at most 4 decimal places")
		}
		d, c = d.Add(l.Debit), c.Add(l.Credit)
	}
	if len(e.Lines) >= 2 && !d.Equal(c) {
		v.Add("lines", "unbalanced", fmt.Sprintf("debits %s do not equal credits %s", d, c))
	}
	return v.Err()
}

// Post writes e in tx. Posting the same (kind, ref) again returns the
// existing entry's id with created=false and writes nothing: callers retry
// freely. (The replay is not compared with the original: the ref names the
// business event, whose amounts the first post fixed.)
func (s *Service) Post(ctx context.Context, tx *db.Tx, e Entry) (id string, created bool, err error) {
	if err := e.Validate(); err != nil {
		return "", false, err
	}
	tid := tenancy.ID(ctx)
	if err := s.ensureChart(ctx, tid); err != nil {
		return "", false, err
	}
	// The entry and its lines in one statement (one round trip): the lines
	// hang off the entry's RETURNING, so a replay (the entry exists, ON
	// CONFLICT does nothing) inserts no line either. The deferred balance
	// triggers still check every inserted row at commit.
	var b strings.Builder
	args := []any{tid, e.Kind, e.Ref, e.OrderID, e.MemberID, e.Memo}
	b.WriteString(`WITH e AS (
INSERT INTO journal_entries (tenant_id, kind, ref, order_id, member_id, memo)
VALUES ($1, $2, $3, NULLIF($4, '')::uuid, NULLIF($5, '')::uuid, $6)
ON CONFLICT (tenant_id, kind, ref) DO NOTHING
RETURNING id
), l AS (
INSERT INTO journal_lines (tenant_id, entry_id, kind, line_no, account, party, debit, credit)
SELECT $1, e.id, $2, v.line_no, v.account, v.party, v.debit, v.credit FROM e, (VALUES `)
	for i, l := range e.Lines {
		if i > 0 {
			b.WriteString(", ")
		}
		n := len(args)
		fmt.Fprintf(&b, "(%d, $%d::text, $%d::text, $%d::numeric, $%d::numeric)", i+1, n+1, n+2, n+3, n+4)
		args = append(args, string(l.Account), l.Party, l.Debit.Round(Scale).String(), l.Credit.Round(Scale).String())
	}
	b.WriteString(`) AS v(line_no, account, party, debit, credit)
)
SELECT id FROM e`)
	err = tx.GetContext(ctx, &id, b.String(), args...)
	if errors.Is(err, sql.ErrNoRows) {
		if err := tx.GetContext(ctx, &id, `SELECT id FROM journal_entries WHERE tenant_id = $1 AND kind = $2 AND ref = $3`,
			tid, e.Kind, e.Ref); err != nil {
			return "", false, fmt.Errorf("finance post %s/%s: %w", e.Kind, e.Ref, err)
		}
		return id, false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("finance post %s/%s: %w", e.Kind, e.Ref, err)
	}
	return id, true, nil
}

// ensureChart creates the tenant's chart of accounts the first time this
// process posts for it, in a short transaction of its own (so that a caller
// rolling back cannot leave the cache believing a chart exists).
func (s *Service) ensureChart(ctx context.Context, tid tenancy.TenantID) error {
	if _, ok := s.charts.Load(tid); ok {
		return nil
	}
	err := s.DB.InTenantID(ctx, tid, func(tx *db.Tx) error {
		var b strings.Builder
		args := []any{tid}
		b.WriteString(`INSERT INTO ledger_accounts (tenant_id, code, name_zh, name_en, type, normal_side) VALUES `)
		for i, a := range Chart {
			if i > 0 {
				b.WriteString(", ")
			}
			n := len(args)
			fmt.Fprintf(&b, "($1, $%d, $%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4, n+5)
			args = append(args, string(a.Code), a.NameZh, a.NameEn, a.Type, a.NormalSide)
		}
		b.WriteString(` ON CONFLICT DO NOTHING`)
		_, err := tx.ExecContext(ctx, b.String(), args...)
		return err
	})
	if err != nil {
		return fmt.Errorf("finance chart: %w", err)
	}
	s.charts.Store(tid, struct{}{})
	return nil
}

// Balance is acct's balance (for one party of a distributor account, or
// "" for the others) in the account's normal side: see the package comment.
func (s *Service) Balance(ctx context.Context, tx *db.Tx, acct Account, party string) (decimal.Decimal, error) {
	info, ok := Info(acct)
	if !ok {
		return decimal.Zero, errs.E(errs.Invalid, "no account %q", acct)
	}
	var d, c decimal.Decimal
	row := tx.QueryRowxContext(ctx, `
SELECT coalesce(sum(debit), 0), coalesce(sum(credit), 0) FROM journal_lines
WHERE tenant_id = $1 AND account = $2 AND party = $3`, tenancy.ID(ctx), string(acct), party)
	if err := row.Scan(&d, &c); err != nil {
		return decimal.Zero, fmt.Errorf("finance balance: %w", err)
	}
	return normal(info, d, c), nil
}

func normal(info AccountInfo, d, c decimal.Decimal) decimal.Decimal {
	if info.NormalSide == "debit" {
		return d.Sub(c)
	}
	return c.Sub(d)
}
