package distribution

import (
	"context"
	"time"

	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/identity"
	"github.com/banyanmall/banyan/core/page"
	"github.com/banyanmall/banyan/core/tenancy"
)

// Overview is what a distributor sees of themself, and the admin's detail.
type Overview struct {
	Distributor Distributor     `json:"distributor"`
	Balances    Balances        `json:"balances"`
	Team        Team            `json:"team"`
	Referrer    *Binding        `json:"referrer"`
	Withdrawal  WithdrawalTerms `json:"withdrawal"`
}

// WithdrawalTerms are the shop's rules a distributor sees before asking for
// a withdrawal: the channels offered and what it costs.
type WithdrawalTerms struct {
	Channels   []string        `json:"channels"`
	Min        decimal.Decimal `json:"min"`
	FeeFixed   decimal.Decimal `json:"fee_fixed"`
	FeePercent decimal.Decimal `json:"fee_percent"`
	DailyLimit decimal.Decimal `json:"daily_limit"`
}

// Overview returns a distributor's record, balances (from the ledger) and team.
func (s *Service) Overview(ctx context.Context, member string) (Overview, error) {
	var o Overview
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		var err error
		if o.Distributor, err = s.distributor(ctx, tx, member, false); err != nil {
			return err
		}
		if o.Balances, err = s.balances(ctx, tx, member); err != nil {
			return err
		}
		st, err := s.settings(ctx, tx)
		if err != nil {
			return err
		}
		o.Withdrawal = WithdrawalTerms{Channels: st.Channels, Min: st.WithdrawalMin, FeeFixed: st.WithdrawalFeeFixed,
			FeePercent: st.WithdrawalFeePercent, DailyLimit: st.WithdrawalDailyLimit}
		if o.Team, err = s.team(ctx, tx, member, st.Depth); err != nil {
			return err
		}
		var b Binding
		err = tx.GetContext(ctx, &b, `SELECT member_id, referrer_id, source, bound_at, locked_until FROM distribution_referrers WHERE tenant_id = $1 AND member_id = $2`,
			tid(ctx), member)
		if err == nil {
			o.Referrer = &b
		} else if err != errNoRows {
			return err
		}
		return nil
	})
	return o, err
}

// MyOverview is Overview for the acting member.
func (s *Service) MyOverview(ctx context.Context, member identity.MemberID) (Overview, error) {
	o, err := s.Overview(ctx, string(member))
	if errs.Is(err, errs.NotFound) {
		return o, errs.E(errs.NotFound, "you are not a distributor of this shop: apply first")
	}
	return o, err
}

// Commission is one commission record with its snapshot.
type Commission struct {
	ID            string          `db:"id" json:"id"`
	OrderID       string          `db:"order_id" json:"order_id"`
	OrderNo       string          `db:"order_no" json:"order_no"`
	LineID        string          `db:"line_id" json:"line_id"`
	BuyerID       string          `db:"buyer_id" json:"buyer_id"`
	BeneficiaryID string          `db:"beneficiary_id" json:"beneficiary_id"`
	Level         int             `db:"level" json:"level"`
	Base          decimal.Decimal `db:"base" json:"base"`
	Rate          decimal.Decimal `db:"rate" json:"rate"`
	Amount        decimal.Decimal `db:"amount" json:"amount"`
	Refunded      decimal.Decimal `db:"refunded" json:"refunded"`
	Net           decimal.Decimal `db:"-" json:"net"`
	Status        string          `db:"status" json:"status"`
	Plugin        string          `db:"plugin" json:"plugin"`
	PluginVersion string          `db:"plugin_version" json:"plugin_version"`
	Config        string          `db:"config" json:"config"`
	Depth         int             `db:"depth" json:"depth"`
	GradeID       *string         `db:"grade_id" json:"grade_id"`
	GradeName     string          `db:"grade_name" json:"grade_name"`
	SettlesAt     *time.Time      `db:"settles_at" json:"settles_at"`
	CreatedAt     time.Time       `db:"created_at" json:"created_at"`
	SettledAt     *time.Time      `db:"settled_at" json:"settled_at"`
}

// CommissionFilter selects commissions.
type CommissionFilter struct {
	Beneficiary, OrderID, Status string
}

// Commissions lists commissions newest first.
func (s *Service) Commissions(ctx context.Context, f CommissionFilter, p page.Request) ([]Commission, string, error) {
	v := errs.Validator{}
	v.Check(f.Beneficiary == "" || tenancy.ValidUUID(f.Beneficiary), "member_id", "invalid", "a member id")
	v.Check(f.OrderID == "" || tenancy.ValidUUID(f.OrderID), "order_id", "invalid", "an order id")
	v.Check(f.Status == "" || oneOf(f.Status, "frozen", "available", "void"), "status", "invalid", "frozen, available or void")
	if err := v.Err(); err != nil {
		return nil, "", err
	}
	p = p.Normalize()
	cur, at, err := decodeCursor(p)
	if err != nil {
		return nil, "", err
	}
	var out []Commission
	err = s.DB.InTenant(ctx, func(tx *db.Tx) error {
		return tx.SelectContext(ctx, &out, `
SELECT c.id, c.order_id, c.order_no, c.line_id, c.buyer_id, c.beneficiary_id, c.level, c.base, c.rate, c.amount, c.refunded, c.status,
       c.plugin, c.plugin_version, c.config::text AS config, c.depth, c.grade_id, c.grade_name, w.closes_at AS settles_at, c.created_at, c.settled_at
FROM commissions c LEFT JOIN commission_line_windows w ON w.tenant_id = c.tenant_id AND w.order_id = c.order_id AND w.line_id = c.line_id
WHERE c.tenant_id = $1 AND ($2 = '' OR c.beneficiary_id = NULLIF($2, '')::uuid) AND ($3 = '' OR c.order_id = NULLIF($3, '')::uuid)
  AND ($4 = '' OR c.status = $4) AND ($5::timestamptz IS NULL OR (c.created_at, c.id) < ($5, $6::uuid))
ORDER BY c.created_at DESC, c.id DESC LIMIT $7`, tid(ctx), f.Beneficiary, f.OrderID, f.Status, at, nullIfEmpty(cur.ID), p.Limit+1)
	})
	if err != nil {
		return nil, "", err
	}
	out, next := cut(out, p.Limit, func(l Commission) timeCursor { return timeCursor{l.CreatedAt, l.ID} })
	for i := range out {
		out[i].Net = out[i].Amount.Sub(out[i].Refunded)
	}
	return out, next, nil
}

// Stats are the shop's distribution statistics.
type Stats struct {
	ByStatus      map[string]int64           `json:"distributors_by_status"`
	ByGrade       []GradeCount               `json:"distributors_by_grade"`
	ReferredOrder int64                      `json:"referred_orders"`
	ReferredGMV   decimal.Decimal            `json:"referred_gmv"`
	Commission    map[string]decimal.Decimal `json:"commission_by_state"`
	Leaderboard   []Leader                   `json:"leaderboard"`
	Trend         []TrendDay                 `json:"trend"`
}

// GradeCount counts active distributors of a grade.
type GradeCount struct {
	GradeID *string `db:"grade_id" json:"grade_id"`
	Name    *string `db:"name" json:"name"`
	Count   int64   `db:"n" json:"count"`
}

// Leader is one distributor of the leaderboard (net commission earned).
type Leader struct {
	MemberID string          `db:"member_id" json:"member_id"`
	Name     string          `db:"name" json:"name"`
	Earned   decimal.Decimal `db:"earned" json:"earned"`
	Orders   int64           `db:"orders" json:"orders"`
}

// TrendDay is one day of referred orders and commission.
type TrendDay struct {
	Day        string          `db:"day" json:"day"`
	Orders     int64           `db:"orders" json:"orders"`
	GMV        decimal.Decimal `db:"gmv" json:"gmv"`
	Commission decimal.Decimal `db:"commission" json:"commission"`
}

// Stats computes the distribution statistics over the last days (30 when 0).
func (s *Service) Stats(ctx context.Context, days int) (Stats, error) {
	if days <= 0 || days > 366 {
		days = 30
	}
	tz := "Asia/Shanghai"
	if t, ok := tenancy.From(ctx); ok && t.Timezone != "" {
		tz = t.Timezone
	}
	st := Stats{ByStatus: map[string]int64{}, Commission: map[string]decimal.Decimal{}, ByGrade: []GradeCount{}, Leaderboard: []Leader{}, Trend: []TrendDay{}}
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		var rows []struct {
			K string `db:"k"`
			N int64  `db:"n"`
		}
		if err := tx.SelectContext(ctx, &rows, `SELECT status AS k, count(*) AS n FROM distributors WHERE tenant_id = $1 GROUP BY status`, tid(ctx)); err != nil {
			return err
		}
		for _, r := range rows {
			st.ByStatus[r.K] = r.N
		}
		if err := tx.SelectContext(ctx, &st.ByGrade, `SELECT d.grade_id, g.name, count(*) AS n FROM distributors d
LEFT JOIN distributor_grades g ON g.tenant_id = d.tenant_id AND g.id = d.grade_id
WHERE d.tenant_id = $1 AND d.status = 'active' GROUP BY d.grade_id, g.name, g.rank ORDER BY g.rank NULLS FIRST`, tid(ctx)); err != nil {
			return err
		}
		var money []struct {
			K string          `db:"k"`
			V decimal.Decimal `db:"v"`
		}
		if err := tx.SelectContext(ctx, &money, `SELECT status AS k, sum(amount - refunded) AS v FROM commissions WHERE tenant_id = $1 GROUP BY status`, tid(ctx)); err != nil {
			return err
		}
		for _, m := range money {
			st.Commission[m.K] = m.V
		}
		if err := tx.QueryRowxContext(ctx, `SELECT count(DISTINCT order_id), coalesce(sum(base) FILTER (WHERE level = 1), 0) FROM commissions WHERE tenant_id = $1`,
			tid(ctx)).Scan(&st.ReferredOrder, &st.ReferredGMV); err != nil {
			return err
		}
		if err := tx.SelectContext(ctx, &st.Leaderboard, `SELECT c.beneficiary_id AS member_id, m.name, sum(c.amount - c.refunded) AS earned, count(DISTINCT c.order_id) AS orders
FROM commissions c JOIN members m ON m.tenant_id = c.tenant_id AND m.id = c.beneficiary_id
WHERE c.tenant_id = $1 GROUP BY c.beneficiary_id, m.name ORDER BY earned DESC LIMIT 10`, tid(ctx)); err != nil {
			return err
		}
		return tx.SelectContext(ctx, &st.Trend, `SELECT to_char(created_at AT TIME ZONE $3, 'YYYY-MM-DD') AS day, count(DISTINCT order_id) AS orders,
  coalesce(sum(base) FILTER (WHERE level = 1), 0) AS gmv, sum(amount - refunded) AS commission
FROM commissions WHERE tenant_id = $1 AND created_at >= $2 GROUP BY 1 ORDER BY 1`, tid(ctx), s.now().AddDate(0, 0, -days), tz)
	})
	return st, err
}
