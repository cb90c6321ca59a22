package orders

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/catalog"
	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/identity"
	"github.com/banyanmall/banyan/core/jobs"
	"github.com/banyanmall/banyan/core/marketing"
	"github.com/banyanmall/banyan/core/members"
	"github.com/banyanmall/banyan/core/pluginhost"
	"github.com/banyanmall/banyan/core/tenancy"
	"github.com/banyanmall/banyan/sdk"
)

// Refund states. A refund is recorded pending (it already counts against
// what can still be refunded), then settled: succeeded (everything it
// causes is posted) or failed (nothing posted; Message says why).
const (
	RefundPending   = "pending"
	RefundSucceeded = "succeeded"
	RefundFailed    = "failed"
)

// refundRetryAfter is when the finishing job first looks at a refund: the
// request normally settles it long before (the plugin call has its own
// deadline), so the job only acts for a request that died or a provider
// that was unreachable.
const refundRetryAfter = time.Minute

// Refund is money given back on an order.
type Refund struct {
	ID          string          `db:"id" json:"id"`
	OrderID     OrderID         `db:"order_id" json:"order_id"`
	Amount      decimal.Decimal `db:"amount" json:"amount"`
	Status      string          `db:"status" json:"status"` // pending | succeeded | failed
	Reason      string          `db:"reason" json:"reason"`
	ProviderRef string          `db:"provider_ref" json:"provider_ref,omitempty"`
	// Message is the provider's word on the refund (why it failed, what to
	// do by hand while it is pending at an offline provider).
	Message   string     `db:"message" json:"message,omitempty"`
	CreatedAt time.Time  `db:"created_at" json:"created_at"`
	SettledAt *time.Time `db:"settled_at" json:"settled_at,omitempty"`
}

const refundCols = `id, order_id, amount, status, reason, provider_ref, message, created_at, settled_at`

// refundRow is a refund with what settling it needs.
type refundRow struct {
	Refund
	PaymentID   PaymentID `db:"payment_id"`
	AfterSaleID *string   `db:"after_sale_id"`
	Restock     bool      `db:"restock"`
	Orphan      bool      `db:"orphan"`
	Provider    string    `db:"provider"`
	PaymentRef  string    `db:"payment_ref"`
	Currency    string    `db:"currency"`
}

// RefundInput refunds some lines: an amount of each (at most what was paid
// for it less what was refunded or is pending) and the quantity coming back.
type RefundInput struct {
	Lines   []RefundLine `json:"lines"`
	Reason  string       `json:"reason"`
	Restock bool         `json:"restock,omitempty"`
}

// RefundLine is one line's part of a refund.
type RefundLine struct {
	LineID string          `json:"line_id"`
	Qty    int             `json:"qty,omitempty"`
	Amount decimal.Decimal `json:"amount"`
}

// RefundOrder refunds part or all of a paid order through its payment's
// provider, in two phases so that the order is never locked while the
// provider works:
//
//  1. one transaction with the order locked: validate against what was paid
//     less the refunds not failed, record the refund pending and enqueue the
//     job that finishes it (FinishRefundArgs);
//  2. the provider is asked, with no transaction open, keyed by the refund
//     id;
//  3. one transaction settles it (settleRefund): succeeded with everything
//     it causes, or failed with the provider's message.
//
// The answer is the settled refund; when the provider is unreachable it is
// still pending (the job retries) and the API answers 202. A provider that
// refuses answers refund_failed.
func (s *Service) RefundOrder(ctx context.Context, id OrderID, in RefundInput) (Refund, error) {
	mu := minor(ctx)
	v := errs.Validator{}
	v.Check(len(in.Lines) > 0 && len(in.Lines) <= MaxLines, "lines", "out_of_range", "at least one line")
	seen := map[string]bool{}
	total := decimal.Zero
	for i, l := range in.Lines {
		f := fmt.Sprintf("lines[%d]", i)
		v.Check(tenancy.ValidUUID(l.LineID) && !seen[l.LineID], f+".line_id", "invalid", "a line of the order, once")
		seen[l.LineID] = true
		// 0 is for points-goods lines only (paid in points): beginRefund
		// checks the line's kind.
		v.Check(!l.Amount.IsNegative() && l.Amount.Equal(l.Amount.Round(mu)), f+".amount", "out_of_range", fmt.Sprintf("an amount with at most %d decimals", mu))
		v.Check(l.Qty >= 0, f+".qty", "out_of_range", "must not be negative")
		total = total.Add(l.Amount)
	}
	v.Check(len([]rune(in.Reason)) <= 200, "reason", "too_long", "at most 200 characters")
	if err := v.Err(); err != nil {
		return Refund{}, err
	}
	if !tenancy.ValidUUID(string(id)) {
		return Refund{}, errs.E(errs.NotFound, "order not found")
	}
	var r Refund
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		var err error
		r, err = s.beginRefund(ctx, tx, id, in, total, nil, s.now().Add(refundRetryAfter))
		return err
	})
	if err != nil {
		return Refund{}, err
	}
	return s.finishInline(ctx, r)
}

// finishInline finishes a refund just begun by a request. A provider that
// cannot be reached leaves it pending for the job: that is an answer (202),
// not an error. A refusal is the refund_failed error naming the refund.
func (s *Service) finishInline(ctx context.Context, r Refund) (Refund, error) {
	done, err := s.finishRefund(ctx, r.ID)
	if err != nil {
		s.Log.WarnContext(ctx, "refund left pending for its job", "refund", r.ID, "err", err)
		return r, nil
	}
	if done.Status == RefundFailed {
		return done, refundFailed(done)
	}
	return done, nil
}

func refundFailed(r Refund) error {
	return errs.E(errs.RefundFailed, "the provider refused refund %s: %s", r.ID, r.Message)
}

// beginRefund is phase 1, in tx: with the order locked, check the lines
// against what was paid less what was refunded and what is pending, record
// the refund pending with its lines, and enqueue the job that finishes it
// at retryAt (a transactional outbox: the job exists iff the refund does).
// afterSale links the refund to the request it settles.
func (s *Service) beginRefund(ctx context.Context, tx *db.Tx, id OrderID, in RefundInput, total decimal.Decimal, afterSale *string, retryAt time.Time) (Refund, error) {
	o, err := s.load(ctx, tx, id, true)
	if err != nil {
		return Refund{}, err
	}
	if o.State != Paid && o.State != Shipped && o.State != Completed {
		return Refund{}, invalidState(o, "refund")
	}
	// An order paid wholly in points has no payment; its refunds give
	// points back and move no money (the table's check holds us to it).
	var paymentID *PaymentID
	if o.PaidAmount.IsPositive() {
		var p Payment
		if err := tx.GetContext(ctx, &p, `SELECT `+paymentCols+` FROM payments WHERE tenant_id = $1 AND order_id = $2 AND status = 'succeeded' ORDER BY settled_at LIMIT 1`, tid(ctx), id); err != nil {
			return Refund{}, db.NotFound(err, "payment")
		}
		paymentID = &p.ID
	}
	// The order lock serialises every refund of the order (both phases), so
	// these sums cannot move under us.
	var pending []struct {
		LineID string          `db:"line_id"`
		Amount decimal.Decimal `db:"amount"`
		Qty    int             `db:"qty"`
	}
	if err := tx.SelectContext(ctx, &pending, `SELECT rl.line_id, sum(rl.amount) AS amount, sum(rl.qty) AS qty
FROM refund_lines rl JOIN refunds r ON r.tenant_id = rl.tenant_id AND r.id = rl.refund_id
WHERE r.tenant_id = $1 AND r.order_id = $2 AND r.status = 'pending' AND NOT r.orphan GROUP BY rl.line_id`, tid(ctx), id); err != nil {
		return Refund{}, fmt.Errorf("pending refunds: %w", err)
	}
	pendingAmt, pendingQty, pendingTotal := map[string]decimal.Decimal{}, map[string]int{}, decimal.Zero
	for _, x := range pending {
		pendingAmt[x.LineID], pendingQty[x.LineID] = x.Amount, x.Qty
		pendingTotal = pendingTotal.Add(x.Amount)
	}
	lines := map[string]Line{}
	for _, l := range o.Lines {
		lines[l.ID] = l
	}
	for i, l := range in.Lines {
		ol, ok := lines[l.LineID]
		if !ok {
			return Refund{}, errs.Field(fmt.Sprintf("lines[%d].line_id", i), "not_found", "not a line of this order")
		}
		left := ol.PaidAmount.Sub(ol.RefundedAmount).Sub(pendingAmt[l.LineID])
		leftQty := ol.Qty - ol.RefundedQty - pendingQty[l.LineID]
		if l.Amount.IsZero() && (ol.Kind != LineExchange || l.Qty == 0) {
			return Refund{}, errs.Field(fmt.Sprintf("lines[%d].amount", i), "out_of_range",
				"a positive amount (only points goods come back for 0: their quantity returns their points)")
		}
		if l.Amount.GreaterThan(left) || l.Qty > leftQty {
			msg := fmt.Sprintf("at most %s (and %d items) can still be refunded on this line", left, leftQty)
			if a := pendingAmt[l.LineID]; a.IsPositive() {
				msg += fmt.Sprintf("; %s of it is in refunds still pending", a)
			}
			return Refund{}, errs.Field(fmt.Sprintf("lines[%d].amount", i), "above_paid", msg)
		}
	}
	if o.RefundedAmount.Add(pendingTotal).Add(total).GreaterThan(o.PaidAmount) {
		return Refund{}, errs.Field("lines", "above_paid", fmt.Sprintf("at most %s can still be refunded on this order", o.PaidAmount.Sub(o.RefundedAmount).Sub(pendingTotal)))
	}
	r := Refund{ID: uuid.NewString(), OrderID: id, Amount: total, Status: RefundPending, Reason: in.Reason, CreatedAt: s.now()}
	if _, err := tx.ExecContext(ctx, `INSERT INTO refunds (tenant_id, id, order_id, payment_id, amount, status, reason, restock, created_at, after_sale_id)
VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, $8, $9)`, tid(ctx), r.ID, id, paymentID, total, in.Reason, in.Restock, r.CreatedAt, afterSale); err != nil {
		return Refund{}, err
	}
	for _, l := range in.Lines {
		if _, err := tx.ExecContext(ctx, `INSERT INTO refund_lines (tenant_id, refund_id, line_id, qty, amount) VALUES ($1, $2, $3, $4, $5)`,
			tid(ctx), r.ID, l.LineID, l.Qty, l.Amount); err != nil {
			return Refund{}, err
		}
	}
	if err := enqueueAt(ctx, tx, FinishRefundArgs{Tenant: tenantArg(ctx), RefundID: r.ID}, retryAt); err != nil {
		return Refund{}, err
	}
	return r, s.event(ctx, tx, id, "refund_requested", "", "", fmt.Sprintf("%s %s", total, in.Reason))
}

// refundOutcome is what the provider said.
type refundOutcome struct {
	Status      string // succeeded | failed | pending (the provider finishes later)
	ProviderRef string
	Message     string
}

// finishRefund asks the provider about a pending refund, with no
// transaction open, then settles it. Request and job may both run it: the
// provider is keyed by the refund id and settling checks the state under
// lock, so the refund is paid out and posted once. An error means the
// provider could not be reached; the refund stays pending.
func (s *Service) finishRefund(ctx context.Context, id string) (Refund, error) {
	var r refundRow
	var prov sdk.PaymentProvider
	var cfg json.RawMessage
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		var err error
		if r, err = s.refundRow(ctx, tx, id, false); err != nil || r.Status != RefundPending || r.Provider == "offline" || r.Amount.IsZero() {
			return err
		}
		prov, cfg, err = s.provider(ctx, tx, r.Provider)
		return err
	})
	if err != nil || r.Status != RefundPending {
		return r.Refund, err
	}
	out := refundOutcome{Status: RefundSucceeded, Message: "refunded by hand outside Banyan"}
	if r.Amount.IsZero() {
		// Points goods only: no money goes back, so no provider is asked;
		// settling returns their points.
		out.Message = "points goods returned: their points go back, no money"
	} else if r.Provider != "offline" {
		if out, err = s.askProvider(ctx, prov, sdk.RefundRequest{Context: s.pluginContext(ctx, cfg), PaymentID: string(r.PaymentID),
			ProviderRef: r.PaymentRef, RefundID: r.ID, Amount: r.Amount, Currency: r.Currency, Reason: r.Reason}); err != nil {
			return r.Refund, pluginErr(r.Provider, err)
		}
	}
	var done Refund
	err = s.DB.InTenant(ctx, func(tx *db.Tx) error {
		var err error
		done, err = s.settleRefund(ctx, tx, id, out)
		return err
	})
	return done, err
}

// askProvider makes the provider call. A typed refusal (the plugin says
// the request is wrong) is a definitive failure like a failed status; any
// other error is transient.
func (s *Service) askProvider(ctx context.Context, prov sdk.PaymentProvider, req sdk.RefundRequest) (refundOutcome, error) {
	call := prov.Refund
	if h := s.refundHook.Load(); h != nil {
		call = func(ctx context.Context, req sdk.RefundRequest) (sdk.RefundResult, error) {
			return (*h)(ctx, prov, req)
		}
	}
	res, err := call(ctx, req)
	if errors.Is(err, pluginhost.ErrRejected) {
		return refundOutcome{Status: RefundFailed, Message: err.Error()}, nil
	}
	if err != nil {
		return refundOutcome{}, err
	}
	out := refundOutcome{Status: RefundPending, ProviderRef: res.ProviderRef, Message: res.Message}
	switch res.Status {
	case sdk.StatusSucceeded:
		out.Status = RefundSucceeded
	case sdk.StatusFailed:
		out.Status = RefundFailed
		if out.Message == "" {
			out.Message = "refused by the provider"
		}
	}
	return out, nil
}

// RefundCall is a refund call to a provider (see SetRefundHook in tests).
type RefundCall func(ctx context.Context, prov sdk.PaymentProvider, req sdk.RefundRequest) (sdk.RefundResult, error)

func (s *Service) refundRow(ctx context.Context, tx *db.Tx, id string, lock bool) (refundRow, error) {
	q := `SELECT r.id, r.order_id, r.amount, r.status, r.reason, r.provider_ref, r.message, r.created_at, r.settled_at,
coalesce(r.payment_id::text, '') AS payment_id, r.after_sale_id, r.restock, r.orphan,
coalesce(p.provider, '') AS provider, coalesce(p.provider_ref, '') AS payment_ref, coalesce(p.currency, '') AS currency
FROM refunds r LEFT JOIN payments p ON p.tenant_id = r.tenant_id AND p.id = r.payment_id WHERE r.tenant_id = $1 AND r.id = $2`
	if lock {
		q += ` FOR UPDATE OF r`
	}
	var r refundRow
	err := tx.GetContext(ctx, &r, q, tid(ctx), id)
	return r, db.NotFound(err, "refund")
}

// settleRefund is phase 2, in tx: it applies the provider's outcome to a
// pending refund, once. Locks are taken in the order every other path
// takes them (after-sales request, order, refund), and a refund no longer
// pending is left as it is, so the request and the job settling at once
// post it once. Succeeded: the lines' and the order's refunded amounts
// (conditional updates), restock, points in proportion, the coupon on a
// full refund, the ledger, the commissions, the after-sales request.
// Failed: nothing but the state and the message; the amount can be
// refunded again. Pending (an offline or asynchronous provider): the
// provider's reference and message are kept; a webhook or staff settle it.
func (s *Service) settleRefund(ctx context.Context, tx *db.Tx, id string, out refundOutcome) (Refund, error) {
	r, err := s.refundRow(ctx, tx, id, false)
	if err != nil || r.Status != RefundPending {
		return r.Refund, err
	}
	if r.AfterSaleID != nil {
		if _, err := tx.ExecContext(ctx, `SELECT 1 FROM after_sales WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, tid(ctx), *r.AfterSaleID); err != nil {
			return Refund{}, err
		}
	}
	var o Order
	if !r.Orphan {
		if o, err = s.load(ctx, tx, r.OrderID, true); err != nil {
			return Refund{}, err
		}
	}
	if r, err = s.refundRow(ctx, tx, id, true); err != nil || r.Status != RefundPending {
		return r.Refund, err
	}
	now := s.now()
	r.ProviderRef, r.Message = out.ProviderRef, truncate(out.Message, 500)
	switch {
	case out.Status == RefundPending:
		_, err := tx.ExecContext(ctx, `UPDATE refunds SET provider_ref = $3, message = $4 WHERE tenant_id = $1 AND id = $2`, tid(ctx), id, r.ProviderRef, r.Message)
		return r.Refund, err
	case out.Status == RefundFailed:
		r.Status, r.SettledAt = RefundFailed, &now
		if r.Orphan {
			s.Log.WarnContext(ctx, "automatic refund of a late payment refused", "payment", r.PaymentID, "refund", id, "message", r.Message)
		} else if err := s.refundFailedAfterSale(ctx, tx, r); err != nil {
			return Refund{}, err
		} else if err := s.event(ctx, tx, r.OrderID, "refund_failed", "", "", r.Message); err != nil {
			return Refund{}, err
		}
	case r.Orphan:
		r.Status, r.SettledAt = RefundSucceeded, &now
		if err := s.settleOrphan(ctx, tx, r); err != nil {
			return Refund{}, err
		}
	default:
		r.Status, r.SettledAt = RefundSucceeded, &now
		if err := s.applyRefund(ctx, tx, o, r); err != nil {
			return Refund{}, err
		}
	}
	_, err = tx.ExecContext(ctx, `UPDATE refunds SET status = $3, provider_ref = $4, message = $5, settled_at = $6 WHERE tenant_id = $1 AND id = $2`,
		tid(ctx), id, r.Status, r.ProviderRef, r.Message, now)
	return r.Refund, err
}

func truncate(s string, n int) string {
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// applyRefund does what a succeeded refund causes, in tx with the order
// (o, as it is now) locked.
func (s *Service) applyRefund(ctx context.Context, tx *db.Tx, o Order, r refundRow) error {
	var rls []RefundLine
	if err := tx.SelectContext(ctx, &rls, `SELECT line_id AS "lineid", qty AS "qty", amount AS "amount" FROM refund_lines WHERE tenant_id = $1 AND refund_id = $2 ORDER BY line_id`, tid(ctx), r.ID); err != nil {
		return fmt.Errorf("refund lines: %w", err)
	}
	lines := map[string]Line{}
	for _, l := range o.Lines {
		lines[l.ID] = l
	}
	var restock []catalog.Line
	var exchange int64
	for _, l := range rls {
		if ol := lines[l.LineID]; ol.Kind == LineExchange && l.Qty > 0 {
			// An exchange line's points are points_price × qty: exact per item.
			exchange += ol.Points / int64(ol.Qty) * int64(l.Qty)
		}
		// Phase 1 checked the bounds under the same lock; the conditions
		// stay as the last guard against ever refunding above what was paid.
		res, err := tx.ExecContext(ctx, `UPDATE order_lines SET refunded_amount = refunded_amount + $3, refunded_qty = refunded_qty + $4
WHERE tenant_id = $1 AND id = $2 AND refunded_amount + $3 <= paid_amount AND refunded_qty + $4 <= qty`, tid(ctx), l.LineID, l.Amount, l.Qty)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("refund %s: line %s would exceed what was paid", r.ID, l.LineID)
		}
		if r.Restock && l.Qty > 0 {
			restock = append(restock, catalog.Line{SKU: catalog.SKUID(lines[l.LineID].SKUID), Qty: l.Qty})
		}
	}
	res, err := tx.ExecContext(ctx, `UPDATE orders SET refunded_amount = refunded_amount + $3 WHERE tenant_id = $1 AND id = $2 AND refunded_amount + $3 <= paid_amount`, tid(ctx), o.ID, r.Amount)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("refund %s would exceed what was paid on order %s", r.ID, o.ID)
	}
	member := identity.MemberID(o.MemberID)
	// Money: the share of what is left that comes back (1 settles the
	// rest); points goods: exactly their points. A refund of points goods
	// alone moves no money — no spend, coupon, ledger or commission change.
	money := r.Amount.IsPositive()
	full := money && o.RefundedAmount.Add(r.Amount).Equal(o.PaidAmount)
	share := decimal.Zero
	if money {
		share = decimal.NewFromInt(1)
		if !full {
			share = r.Amount.Div(o.PaidAmount.Sub(o.RefundedAmount)).Round(8)
			if share.GreaterThan(decimal.NewFromInt(1)) || !share.IsPositive() {
				share = decimal.NewFromInt(1)
			}
		}
	}
	if money || exchange > 0 {
		if _, err := s.Members.RefundPoints(ctx, tx, member, string(o.ID), r.ID, members.PointsBack{Share: share, Exchange: exchange}); err != nil {
			return err
		}
	}
	if money {
		if err := s.refundMoney(ctx, tx, o, r, rls, lines, full); err != nil {
			return err
		}
	}
	if r.AfterSaleID != nil {
		if _, err := tx.ExecContext(ctx, `UPDATE after_sales SET state = 'refunded', updated_at = $3 WHERE tenant_id = $1 AND id = $2 AND state = 'refunding'`,
			tid(ctx), *r.AfterSaleID, s.now()); err != nil {
			return err
		}
		if err := s.event(ctx, tx, o.ID, "after_sales_refunded", "", "", ""); err != nil {
			return err
		}
	}
	if err := s.event(ctx, tx, o.ID, "refunded", "", "", strings.TrimSpace(fmt.Sprintf("%s %s", r.Amount, r.Reason))); err != nil {
		return err
	}
	// Restock last (as order creation and cancelling do): the SKU row lock
	// is held until commit.
	if len(restock) > 0 {
		return s.Catalog.Release(ctx, tx, restock)
	}
	return nil
}

// refundMoney does what money coming back causes: the member's spend, the
// coupon on a full refund, the ledger, the commissions.
func (s *Service) refundMoney(ctx context.Context, tx *db.Tx, o Order, r refundRow, rls []RefundLine, lines map[string]Line, full bool) error {
	member := identity.MemberID(o.MemberID)
	// A completed order counted towards the member's spend: take the
	// refund off it (before completion, completion counts paid − refunded).
	if _, err := s.Members.RecordOrderRefund(ctx, tx, member, string(o.ID), r.ID, r.Amount); err != nil {
		return err
	}
	if full && o.CouponID != nil {
		if err := s.Marketing.ReleaseCoupon(ctx, tx, member, marketing.CouponID(*o.CouponID), string(o.ID)); err != nil {
			return err
		}
	}
	if err := s.post(ctx, tx, LedgerEntry{Kind: "order_refund", Ref: r.ID, OrderID: string(o.ID), MemberID: o.MemberID, Memo: "refund on order " + o.OrderNo,
		Lines: []LedgerLine{{Account: AcctRefunds, Debit: r.Amount}, {Account: AcctCustomerClearing, Credit: r.Amount}}}); err != nil {
		return err
	}
	if s.Distribution != nil {
		for _, l := range rls {
			if !l.Amount.IsPositive() {
				continue // a points-goods line earned no commission
			}
			if err := s.Distribution.OnLineRefunded(ctx, tx, string(o.ID), l.LineID, l.Amount, lines[l.LineID].PaidAmount, r.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// refundFailedAfterSale puts the after-sales request of a failed refund
// back where it was before the refund, so staff can try again.
func (s *Service) refundFailedAfterSale(ctx context.Context, tx *db.Tx, r refundRow) error {
	if r.AfterSaleID == nil {
		return nil
	}
	_, err := tx.ExecContext(ctx, `UPDATE after_sales SET state = CASE kind WHEN 'refund_only' THEN 'requested' ELSE 'received' END, updated_at = $3
WHERE tenant_id = $1 AND id = $2 AND state = 'refunding'`, tid(ctx), *r.AfterSaleID, s.now())
	return err
}

// SettleRefundInput records the outcome of a refund pending at an offline
// or asynchronous provider.
type SettleRefundInput struct {
	Status  string `json:"status"` // succeeded | failed
	Message string `json:"message,omitempty"`
}

// SettleRefund records by hand what happened to a pending refund (money
// given back outside Banyan through payment-offline, or a provider's answer
// that never arrived). A refund no longer pending is answered as it is.
func (s *Service) SettleRefund(ctx context.Context, id string, in SettleRefundInput) (Refund, error) {
	v := errs.Validator{}
	v.Check(in.Status == RefundSucceeded || in.Status == RefundFailed, "status", "invalid", "succeeded or failed")
	v.Check(len([]rune(in.Message)) <= 500, "message", "too_long", "at most 500 characters")
	if err := v.Err(); err != nil {
		return Refund{}, err
	}
	if !tenancy.ValidUUID(id) {
		return Refund{}, errs.E(errs.NotFound, "refund not found")
	}
	var r Refund
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		cur, err := s.refundRow(ctx, tx, id, false)
		if err != nil {
			return err
		}
		msg := in.Message
		if msg == "" {
			msg = "settled by hand: " + in.Status
		}
		r, err = s.settleRefund(ctx, tx, id, refundOutcome{Status: in.Status, ProviderRef: cur.ProviderRef, Message: msg})
		return err
	})
	return r, err
}

// FinishRefundArgs finishes a refund whose request did not: the request
// died after phase 1, or the provider was unreachable. Enqueued with the
// refund (phase 1), scheduled refundRetryAfter later; River retries it with
// backoff while the provider stays unreachable.
type FinishRefundArgs struct {
	jobs.Tenant
	RefundID string `json:"refund_id"`
}

// Kind implements river.JobArgs.
func (FinishRefundArgs) Kind() string { return "orders.finish_refund" }

type finishRefundWorker struct {
	river.WorkerDefaults[FinishRefundArgs]
	s *Service
}

// Work asks the provider and settles the refund; a refund already settled
// is left alone (no provider call).
func (w *finishRefundWorker) Work(ctx context.Context, j *river.Job[FinishRefundArgs]) error {
	if !j.Args.TenantID.Valid() {
		return river.JobCancel(fmt.Errorf("job without a valid tenant id %q", j.Args.TenantID))
	}
	t := tenancy.Tenant{ID: j.Args.TenantID}
	if w.s.Tenants != nil {
		// The plugin context carries the shop's currency and minor units.
		tt, err := w.s.Tenants.ByID(ctx, j.Args.TenantID)
		if err != nil {
			return err
		}
		t = tenancy.Tenant{ID: tt.ID, Slug: tt.Slug, Name: tt.Name, Status: tt.Status, Currency: tt.Currency, Timezone: tt.Timezone}
	}
	_, err := w.s.finishRefund(tenancy.With(ctx, t), j.Args.RefundID)
	if errs.Is(err, errs.NotFound) {
		return river.JobCancel(err)
	}
	return err
}
