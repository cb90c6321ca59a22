package orders

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/catalog"
	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/identity"
	"github.com/banyanmall/banyan/core/marketing"
	"github.com/banyanmall/banyan/core/tenancy"
	"github.com/banyanmall/banyan/sdk"
)

// Refund is money given back on an order.
type Refund struct {
	ID        string          `db:"id" json:"id"`
	OrderID   OrderID         `db:"order_id" json:"order_id"`
	Amount    decimal.Decimal `db:"amount" json:"amount"`
	Status    string          `db:"status" json:"status"`
	Reason    string          `db:"reason" json:"reason"`
	CreatedAt time.Time       `db:"created_at" json:"created_at"`
}

// RefundInput refunds some lines: an amount of each (at most what was paid
// for it less what was refunded) and the quantity coming back.
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
// provider. In one transaction with the refund record: the lines' and the
// order's refunded amounts (conditional updates: never above what was
// paid), restock, points, the coupon on a full refund, the ledger and the
// commissions. The provider is called inside it, so a provider failure
// changes nothing (503); the provider refunds idempotently per refund id.
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
		v.Check(l.Amount.IsPositive() && l.Amount.Equal(l.Amount.Round(mu)), f+".amount", "out_of_range", fmt.Sprintf("a positive amount with at most %d decimals", mu))
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
		r, err = s.refund(ctx, tx, id, in, total, nil)
		return err
	})
	if err != nil {
		return Refund{}, err
	}
	return r, nil
}

// refund does RefundOrder's work in tx; afterSale links the refund to the
// request it settles.
func (s *Service) refund(ctx context.Context, tx *db.Tx, id OrderID, in RefundInput, total decimal.Decimal, afterSale *string) (Refund, error) {
	r := Refund{ID: uuid.NewString(), OrderID: id, Amount: total, Status: "succeeded", Reason: in.Reason, CreatedAt: s.now()}
	err := func() error {
		o, err := s.load(ctx, tx, id, true)
		if err != nil {
			return err
		}
		if o.State != Paid && o.State != Shipped && o.State != Completed {
			return invalidState(o, "refund")
		}
		var p Payment
		if err := tx.GetContext(ctx, &p, `SELECT `+paymentCols+` FROM payments WHERE tenant_id = $1 AND order_id = $2 AND status = 'succeeded' ORDER BY settled_at LIMIT 1`, tid(ctx), id); err != nil {
			return db.NotFound(err, "payment")
		}
		lines := map[string]Line{}
		for _, l := range o.Lines {
			lines[l.ID] = l
		}
		var restock []catalog.Line
		for i, l := range in.Lines {
			ol, ok := lines[l.LineID]
			if !ok {
				return errs.Field(fmt.Sprintf("lines[%d].line_id", i), "not_found", "not a line of this order")
			}
			res, err := tx.ExecContext(ctx, `UPDATE order_lines SET refunded_amount = refunded_amount + $3, refunded_qty = refunded_qty + $4
WHERE tenant_id = $1 AND id = $2 AND refunded_amount + $3 <= paid_amount AND refunded_qty + $4 <= qty`, tid(ctx), l.LineID, l.Amount, l.Qty)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return errs.Field(fmt.Sprintf("lines[%d].amount", i), "above_paid",
					fmt.Sprintf("at most %s (and %d items) can still be refunded on this line", ol.PaidAmount.Sub(ol.RefundedAmount), ol.Qty-ol.RefundedQty))
			}
			if in.Restock && l.Qty > 0 {
				restock = append(restock, catalog.Line{SKU: catalog.SKUID(ol.SKUID), Qty: l.Qty})
			}
		}
		res, err := tx.ExecContext(ctx, `UPDATE orders SET refunded_amount = refunded_amount + $3 WHERE tenant_id = $1 AND id = $2 AND refunded_amount + $3 <= paid_amount`, tid(ctx), id, total)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.Field("lines", "above_paid", "more than what was paid")
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO refunds (tenant_id, id, order_id, payment_id, amount, status, reason, restock, created_at, after_sale_id)
VALUES ($1, $2, $3, $4, $5, 'succeeded', $6, $7, $8, $9)`, tid(ctx), r.ID, id, p.ID, total, in.Reason, in.Restock, r.CreatedAt, afterSale); err != nil {
			return err
		}
		for _, l := range in.Lines {
			if _, err := tx.ExecContext(ctx, `INSERT INTO refund_lines (tenant_id, refund_id, line_id, qty, amount) VALUES ($1, $2, $3, $4, $5)`,
				tid(ctx), r.ID, l.LineID, l.Qty, l.Amount); err != nil {
				return err
			}
		}
		if len(restock) > 0 {
			if err := s.Catalog.Release(ctx, tx, restock); err != nil {
				return err
			}
		}
		member := identity.MemberID(o.MemberID)
		full := o.RefundedAmount.Add(total).Equal(o.PaidAmount)
		share := decimal.NewFromInt(1)
		if !full && o.PaidAmount.IsPositive() {
			share = total.Div(o.PaidAmount.Sub(o.RefundedAmount)).Round(8)
			if share.GreaterThan(decimal.NewFromInt(1)) || !share.IsPositive() {
				share = decimal.NewFromInt(1)
			}
		}
		if _, err := s.Members.RefundPoints(ctx, tx, member, string(id), r.ID, share); err != nil {
			return err
		}
		// A completed order counted towards the member's spend: take the
		// refund off it (before completion, completion counts paid − refunded).
		if _, err := s.Members.RecordOrderRefund(ctx, tx, member, string(id), r.ID, total); err != nil {
			return err
		}
		if full && o.CouponID != nil {
			if err := s.Marketing.ReleaseCoupon(ctx, tx, member, marketing.CouponID(*o.CouponID), string(id)); err != nil {
				return err
			}
		}
		if err := s.post(ctx, tx, LedgerEntry{Kind: "order_refund", Ref: r.ID, OrderID: string(id), MemberID: o.MemberID, Memo: "refund on order " + o.OrderNo,
			Lines: []LedgerLine{{Account: AcctRefunds, Debit: total}, {Account: AcctCustomerClearing, Credit: total}}}); err != nil {
			return err
		}
		if s.Distribution != nil {
			for _, l := range in.Lines {
				if err := s.Distribution.OnLineRefunded(ctx, tx, string(id), l.LineID, l.Amount, lines[l.LineID].PaidAmount, r.ID); err != nil {
					return err
				}
			}
		}
		if err := s.event(ctx, tx, id, "refunded", "", "", fmt.Sprintf("%s %s", total, in.Reason)); err != nil {
			return err
		}
		if p.Provider == "offline" {
			return nil
		}
		prov, cfg, err := s.provider(ctx, tx, p.Provider)
		if err != nil {
			return err
		}
		out, err := prov.Refund(ctx, sdk.RefundRequest{Context: s.pluginContext(ctx, cfg), PaymentID: string(p.ID), ProviderRef: p.ProviderRef,
			RefundID: r.ID, Amount: total, Currency: p.Currency, Reason: in.Reason})
		if err != nil {
			return pluginErr(p.Provider, err)
		}
		if out.Status == sdk.StatusFailed {
			return errs.E(errs.PluginUnavailable, "%s refused the refund: %s", p.Provider, out.Message)
		}
		r.Status = string(out.Status)
		_, err = tx.ExecContext(ctx, `UPDATE refunds SET status = $3, provider_ref = $4 WHERE tenant_id = $1 AND id = $2`, tid(ctx), r.ID, r.Status, out.ProviderRef)
		return err
	}()
	return r, err
}
