package finance

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/tenancy"
)

// ReportRow is one period of the merchant's report. Amounts come from the
// ledger: Sales = sales revenue, Shipping = shipping revenue, Refunds =
// refunds (contra-revenue), Commission = commission expense (net of voids
// and reversals), Fees = withdrawal fee income, PlatformFees = provider and
// platform fees; Profit = Sales + Shipping − Refunds − Commission + Fees −
// PlatformFees (before cost of goods, which the ledger does not hold).
type ReportRow struct {
	Period       string          `json:"period" db:"period"` // first day of the period, YYYY-MM-DD, in the tenant's time zone
	Sales        decimal.Decimal `json:"sales" db:"sales"`
	Shipping     decimal.Decimal `json:"shipping" db:"shipping"`
	Refunds      decimal.Decimal `json:"refunds" db:"refunds"`
	Commission   decimal.Decimal `json:"commission" db:"commission"`
	Fees         decimal.Decimal `json:"fees" db:"fees"`
	PlatformFees decimal.Decimal `json:"platform_fees" db:"platform_fees"`
	Profit       decimal.Decimal `json:"profit" db:"-"`
}

// Report is a merchant's finance report over [From, To).
type Report struct {
	From     time.Time   `json:"from"`
	To       time.Time   `json:"to"`
	Group    string      `json:"group"`
	Timezone string      `json:"timezone"`
	Rows     []ReportRow `json:"rows"`
	Total    ReportRow   `json:"total"`
}

// Reports groups the ledger by day, week or month in the tenant's time zone.
func (s *Service) Reports(ctx context.Context, from, to time.Time, group string) (Report, error) {
	if group == "" {
		group = "day"
	}
	v := errs.Validator{}
	v.Check(group == "day" || group == "week" || group == "month", "group", "invalid", "group is day, week or month")
	v.Check(!from.IsZero(), "from", "required", "from is required (RFC 3339 or YYYY-MM-DD)")
	v.Check(!to.IsZero(), "to", "required", "to is required (RFC 3339 or YYYY-MM-DD)")
	v.Check(from.IsZero() || to.IsZero() || from.Before(to), "to", "invalid", "to must be after from")
	v.Check(to.Sub(from) <= 3*366*24*time.Hour, "to", "too_long", "a report covers at most three years")
	if err := v.Err(); err != nil {
		return Report{}, err
	}
	tz := "Asia/Shanghai"
	if t, ok := tenancy.From(ctx); ok && t.Timezone != "" {
		tz = t.Timezone
	}
	rep := Report{From: from, To: to, Group: group, Timezone: tz, Rows: []ReportRow{}}
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		return tx.SelectContext(ctx, &rep.Rows, `
SELECT to_char(date_trunc($4, created_at AT TIME ZONE $5), 'YYYY-MM-DD') AS period,
       coalesce(sum(credit - debit) FILTER (WHERE account = 'sales_revenue'), 0) AS sales,
       coalesce(sum(credit - debit) FILTER (WHERE account = 'shipping_revenue'), 0) AS shipping,
       coalesce(sum(debit - credit) FILTER (WHERE account = 'refunds'), 0) AS refunds,
       coalesce(sum(debit - credit) FILTER (WHERE account = 'commission_expense'), 0) AS commission,
       coalesce(sum(credit - debit) FILTER (WHERE account = 'fee_income'), 0) AS fees,
       coalesce(sum(debit - credit) FILTER (WHERE account = 'platform_fees'), 0) AS platform_fees
FROM journal_lines
WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3
GROUP BY 1 ORDER BY 1`, tenancy.ID(ctx), from, to, group, tz)
	})
	if err != nil {
		return Report{}, fmt.Errorf("finance reports: %w", err)
	}
	for i := range rep.Rows {
		r := &rep.Rows[i]
		r.Profit = r.Sales.Add(r.Shipping).Sub(r.Refunds).Sub(r.Commission).Add(r.Fees).Sub(r.PlatformFees)
		t := &rep.Total
		t.Sales, t.Shipping, t.Refunds = t.Sales.Add(r.Sales), t.Shipping.Add(r.Shipping), t.Refunds.Add(r.Refunds)
		t.Commission, t.Fees, t.PlatformFees = t.Commission.Add(r.Commission), t.Fees.Add(r.Fees), t.PlatformFees.Add(r.PlatformFees)
		t.Profit = t.Profit.Add(r.Profit)
	}
	rep.Total.Period = "total"
	return rep, nil
}

// PlatformRow is one tenant's figures in the operators' report.
type PlatformRow struct {
	TenantID     string          `json:"tenant_id" db:"tenant_id"`
	Slug         string          `json:"slug" db:"slug"`
	Name         string          `json:"name" db:"name"`
	GMV          decimal.Decimal `json:"gmv" db:"gmv"`
	Orders       int64           `json:"orders" db:"orders"`
	Refunds      decimal.Decimal `json:"refunds" db:"refunds"`
	Commission   decimal.Decimal `json:"commission" db:"commission"`
	PlatformFees decimal.Decimal `json:"platform_fees" db:"platform_fees"`
}

// PlatformReport is the cross-tenant report for platform operators.
type PlatformReport struct {
	From    time.Time     `json:"from"`
	To      time.Time     `json:"to"`
	Tenants []PlatformRow `json:"tenants"`
	Total   PlatformRow   `json:"total"`
}

// PlatformReport sums every tenant's ledger over [from, to) through the
// platform_finance_report definer function (RLS hides other tenants).
func (s *Service) PlatformReport(ctx context.Context, from, to time.Time) (PlatformReport, error) {
	if to.IsZero() {
		to = time.Now().UTC()
	}
	if from.IsZero() {
		from = to.AddDate(0, -1, 0)
	}
	if !from.Before(to) {
		return PlatformReport{}, errs.Field("to", "invalid", "to must be after from")
	}
	rep := PlatformReport{From: from, To: to, Tenants: []PlatformRow{}}
	err := s.DB.InPlatform(ctx, func(tx *db.Tx) error {
		return tx.SelectContext(ctx, &rep.Tenants, `
SELECT r.tenant_id::text AS tenant_id, t.slug, t.name, r.gmv, r.orders, r.refunds, r.commission, r.platform_fees
FROM platform_finance_report($1, $2) r JOIN tenants t ON t.id = r.tenant_id
ORDER BY r.gmv DESC, t.slug`, from, to)
	})
	if err != nil {
		return PlatformReport{}, fmt.Errorf("platform report: %w", err)
	}
	for _, r := range rep.Tenants {
		t := &rep.Total
		t.GMV, t.Orders, t.Refunds = t.GMV.Add(r.GMV), t.Orders+r.Orders, t.Refunds.Add(r.Refunds)
		t.Commission, t.PlatformFees = t.Commission.Add(r.Commission), t.PlatformFees.Add(r.PlatformFees)
	}
	rep.Total.TenantID = "total"
	return rep, nil
}
