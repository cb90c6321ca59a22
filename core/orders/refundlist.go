package orders

import (
	"context"
	"time"

	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/page"
)

// RefundOverdueAfter is how long a refund may stay pending before it needs
// a person. The request settles a refund within its plugin call's deadline
// and the job retries an unreachable provider for days (River's backoff over
// 25 attempts) — after an hour the provider has been down long enough that
// staff should know, check with it, and settle by hand if need be.
const RefundOverdueAfter = time.Hour

// RefundListItem is a refund in the shop's refund list.
type RefundListItem struct {
	Refund
	OrderNo  string `db:"order_no" json:"order_no"`
	Provider string `db:"provider" json:"provider"`
	// Overdue: still pending RefundOverdueAfter after it was asked for.
	Overdue bool `db:"overdue" json:"overdue"`
}

// RefundFilter selects refunds: Status (pending | succeeded | failed, or
// all), Overdue (pending ones past RefundOverdueAfter only).
type RefundFilter struct {
	Status  string
	Overdue bool
}

// listKey is the cursor of lists ordered newest first.
type listKey struct {
	At time.Time `json:"t"`
	ID string    `json:"i"`
}

// decodeListKey answers where a newest-first page starts (the top without a
// cursor).
func decodeListKey(cursor string) (listKey, error) {
	k := listKey{At: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), ID: "ffffffff-ffff-ffff-ffff-ffffffffffff"}
	return k, page.Decode(cursor, &k)
}

// Refunds lists the shop's refunds newest first, so that staff see what is
// still pending (and what is overdue: the dashboard warns about those)
// without opening every order.
func (s *Service) Refunds(ctx context.Context, f RefundFilter, p page.Request) ([]RefundListItem, string, error) {
	switch f.Status {
	case "", RefundPending, RefundSucceeded, RefundFailed:
	default:
		return nil, "", errs.Field("status", "invalid", "pending, succeeded or failed")
	}
	if f.Overdue && f.Status != "" && f.Status != RefundPending {
		return nil, "", errs.Field("overdue", "invalid", "only pending refunds are overdue")
	}
	p = p.Normalize()
	k, err := decodeListKey(p.Cursor)
	if err != nil {
		return nil, "", err
	}
	due := s.now().Add(-RefundOverdueAfter)
	var out []RefundListItem
	err = s.DB.InTenant(ctx, func(tx *db.Tx) error {
		return tx.SelectContext(ctx, &out, `SELECT r.id, r.order_id, r.amount, r.status, r.reason, r.provider_ref, r.message, r.created_at, r.settled_at,
  o.order_no, coalesce(p.provider, 'points') AS provider, (r.status = 'pending' AND r.created_at < $3) AS overdue
FROM refunds r JOIN orders o ON o.tenant_id = r.tenant_id AND o.id = r.order_id
LEFT JOIN payments p ON p.tenant_id = r.tenant_id AND p.id = r.payment_id
WHERE r.tenant_id = $1 AND ($2 = '' OR r.status = $2) AND (NOT $4 OR (r.status = 'pending' AND r.created_at < $3))
  AND (r.created_at, r.id) < ($5, $6)
ORDER BY r.created_at DESC, r.id DESC LIMIT $7`, tid(ctx), f.Status, due, f.Overdue, k.At, k.ID, p.Limit+1)
	})
	if err != nil {
		return nil, "", err
	}
	items, next := page.Cut(out, p.Limit, func(r RefundListItem) any { return listKey{r.CreatedAt, r.ID} })
	return items, next, nil
}
