package orders

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/errs"
)

// Stats are the shop's order figures over [From, To), days in its time zone.
type Stats struct {
	From           time.Time       `json:"from"`
	To             time.Time       `json:"to"`
	TimeZone       string          `json:"time_zone"`
	ByState        []StateCount    `json:"by_state"`
	ByDay          []DayStats      `json:"by_day"`
	Created        int64           `json:"created"`
	PaidOrders     int64           `json:"paid_orders"`
	GMV            decimal.Decimal `json:"gmv"`
	AverageOrder   decimal.Decimal `json:"average_order_value"`
	PaidConversion decimal.Decimal `json:"paid_conversion"` // paid / created, of the orders created in the range
	Refunded       decimal.Decimal `json:"refunded"`
	RefundRate     decimal.Decimal `json:"refund_rate"` // refunded / GMV
}

// StateCount is the orders created in the range now in a state.
type StateCount struct {
	State  string          `db:"state" json:"state"`
	Count  int64           `db:"n" json:"count"`
	Amount decimal.Decimal `db:"amount" json:"amount"`
}

// DayStats is one day.
type DayStats struct {
	Day     string          `db:"day" json:"day"`
	Created int64           `db:"created" json:"created"`
	Paid    int64           `db:"paid" json:"paid"`
	GMV     decimal.Decimal `db:"gmv" json:"gmv"`
}

// Stats computes the figures. GMV counts orders paid in the range (whatever
// their state since); conversion is over orders created in the range.
func (s *Service) Stats(ctx context.Context, from, to time.Time) (Stats, error) {
	if !from.Before(to) || to.Sub(from) > 366*24*time.Hour {
		return Stats{}, errs.Field("to", "out_of_range", "after from, at most 366 days later")
	}
	loc := location(ctx)
	st := Stats{From: from, To: to, TimeZone: loc.String(), ByState: []StateCount{}, ByDay: []DayStats{}}
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		if err := tx.SelectContext(ctx, &st.ByState, `SELECT state, count(*) AS n, coalesce(sum(total), 0) AS amount FROM orders
WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3 GROUP BY state ORDER BY state`, tid(ctx), from, to); err != nil {
			return err
		}
		if err := tx.SelectContext(ctx, &st.ByDay, `
WITH c AS (SELECT to_char(created_at AT TIME ZONE $4, 'YYYY-MM-DD') AS day, count(*) AS n FROM orders
           WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3 GROUP BY 1),
     p AS (SELECT to_char(paid_at AT TIME ZONE $4, 'YYYY-MM-DD') AS day, count(*) AS n, sum(paid_amount) AS gmv FROM orders
           WHERE tenant_id = $1 AND paid_at >= $2 AND paid_at < $3 GROUP BY 1)
SELECT coalesce(c.day, p.day) AS day, coalesce(c.n, 0) AS created, coalesce(p.n, 0) AS paid, coalesce(p.gmv, 0) AS gmv
FROM c FULL JOIN p ON p.day = c.day ORDER BY 1`, tid(ctx), from, to, loc.String()); err != nil {
			return err
		}
		var tot struct {
			Created     int64           `db:"created"`
			CreatedPaid int64           `db:"created_paid"`
			Paid        int64           `db:"paid"`
			GMV         decimal.Decimal `db:"gmv"`
			Refunded    decimal.Decimal `db:"refunded"`
		}
		if err := tx.GetContext(ctx, &tot, `SELECT
  count(*) FILTER (WHERE created_at >= $2 AND created_at < $3) AS created,
  count(*) FILTER (WHERE created_at >= $2 AND created_at < $3 AND paid_at IS NOT NULL) AS created_paid,
  count(*) FILTER (WHERE paid_at >= $2 AND paid_at < $3) AS paid,
  coalesce(sum(paid_amount) FILTER (WHERE paid_at >= $2 AND paid_at < $3), 0) AS gmv,
  coalesce(sum(refunded_amount) FILTER (WHERE paid_at >= $2 AND paid_at < $3), 0) AS refunded
FROM orders WHERE tenant_id = $1 AND (created_at >= $2 OR paid_at >= $2)`, tid(ctx), from, to); err != nil {
			return err
		}
		st.Created, st.PaidOrders, st.GMV, st.Refunded = tot.Created, tot.Paid, tot.GMV, tot.Refunded
		if tot.Paid > 0 {
			st.AverageOrder = tot.GMV.Div(decimal.NewFromInt(tot.Paid)).RoundBank(minor(ctx))
		}
		if tot.Created > 0 {
			st.PaidConversion = decimal.NewFromInt(tot.CreatedPaid).Div(decimal.NewFromInt(tot.Created)).Round(4)
		}
		if tot.GMV.IsPositive() {
			st.RefundRate = tot.Refunded.Div(tot.GMV).Round(4)
		}
		return nil
	})
	return st, err
}

// TopProduct is one product's paid sales over a range, net of refunds.
type TopProduct struct {
	ProductID string `db:"product_id" json:"product_id"`
	// Title and Image are the newest paid line's snapshot of the product.
	Title string `db:"title" json:"title"`
	Image string `db:"image" json:"image"`
	// Quantity is the units paid minus the units refunded.
	Quantity int64 `db:"quantity" json:"quantity"`
	// Amount is what buyers paid for the lines (after discounts, without
	// shipping) minus what was refunded on them.
	Amount decimal.Decimal `db:"amount" json:"amount"`
	Orders int64           `db:"orders" json:"orders"`
}

// TopProducts are the best sellers over [From, To).
type TopProducts struct {
	From     time.Time    `json:"from"`
	To       time.Time    `json:"to"`
	TimeZone string       `json:"time_zone"`
	Items    []TopProduct `json:"items"`
}

// MaxTopProducts caps TopProducts' limit.
const MaxTopProducts = 50

// StatsRange reads a stats range bound: an RFC 3339 time, or a date
// (YYYY-MM-DD) meaning that day's midnight in the shop's time zone.
func StatsRange(ctx context.Context, s string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	if t, err := time.ParseInLocation(time.DateOnly, s, location(ctx)); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// TopProducts ranks products by units sold in orders paid in [from, to)
// (the shop's time zone applies to dates, as in Stats), then by amount; the
// refunded units and amounts are subtracted, and products whose every unit
// was refunded drop out.
func (s *Service) TopProducts(ctx context.Context, from, to time.Time, limit int) (TopProducts, error) {
	v := errs.Validator{}
	v.Check(from.Before(to) && to.Sub(from) <= 366*24*time.Hour, "to", "out_of_range", "after from, at most 366 days later")
	v.Check(limit >= 1 && limit <= MaxTopProducts, "limit", "out_of_range", fmt.Sprintf("1 to %d", MaxTopProducts))
	if err := v.Err(); err != nil {
		return TopProducts{}, err
	}
	out := TopProducts{From: from, To: to, TimeZone: location(ctx).String(), Items: []TopProduct{}}
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		return tx.SelectContext(ctx, &out.Items, `
SELECT l.product_id::text AS product_id,
       (array_agg(l.title ORDER BY o.paid_at DESC, l.id))[1] AS title,
       (array_agg(l.image ORDER BY o.paid_at DESC, l.id))[1] AS image,
       sum(l.qty - l.refunded_qty) AS quantity,
       sum(l.paid_amount - l.refunded_amount) AS amount,
       count(DISTINCT o.id) AS orders
FROM orders o JOIN order_lines l ON l.tenant_id = o.tenant_id AND l.order_id = o.id
WHERE o.tenant_id = $1 AND o.paid_at >= $2 AND o.paid_at < $3
GROUP BY l.product_id
HAVING sum(l.qty - l.refunded_qty) > 0
ORDER BY quantity DESC, amount DESC, l.product_id
LIMIT $4`, tid(ctx), from, to, limit)
	})
	return out, err
}
