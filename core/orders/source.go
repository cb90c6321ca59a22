package orders

import (
	"context"
	"fmt"
	"time"

	"github.com/banyanmall/banyan/core/catalog"
	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/distribution"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/tenancy"
)

// The orders capability is distribution's source of paid orders.
var _ distribution.OrderSource = (*Service)(nil)

// PaidOrder reports a paid (or later) order for commission, in tx.
func (s *Service) PaidOrder(ctx context.Context, tx *db.Tx, orderID string) (distribution.PaidOrder, error) {
	if !tenancy.ValidUUID(orderID) {
		return distribution.PaidOrder{}, errs.E(errs.NotFound, "order not found")
	}
	o, err := s.load(ctx, tx, OrderID(orderID), false)
	if err != nil {
		return distribution.PaidOrder{}, err
	}
	if o.PaidAt == nil {
		return distribution.PaidOrder{}, errs.E(errs.InvalidState, "order %s is not paid", o.OrderNo)
	}
	out, err := s.paidOrders(ctx, tx, []Order{o})
	if err != nil {
		return distribution.PaidOrder{}, err
	}
	return out[0], nil
}

// PaidOrdersBetween reports the orders paid in [from, to), oldest first.
func (s *Service) PaidOrdersBetween(ctx context.Context, tx *db.Tx, from, to time.Time) ([]distribution.PaidOrder, error) {
	var ids []OrderID
	if err := tx.SelectContext(ctx, &ids, `SELECT id FROM orders WHERE tenant_id = $1 AND paid_at >= $2 AND paid_at < $3 ORDER BY paid_at, id`, tid(ctx), from, to); err != nil {
		return nil, fmt.Errorf("paid orders: %w", err)
	}
	os := make([]Order, 0, len(ids))
	for _, id := range ids {
		o, err := s.load(ctx, tx, id, false)
		if err != nil {
			return nil, err
		}
		os = append(os, o)
	}
	return s.paidOrders(ctx, tx, os)
}

// paidOrders converts orders, with each product's distribution setting
// (default, override rates, none) from the catalogue.
func (s *Service) paidOrders(ctx context.Context, tx *db.Tx, os []Order) ([]distribution.PaidOrder, error) {
	var skus []catalog.SKUID
	for _, o := range os {
		for _, l := range o.Lines {
			skus = append(skus, catalog.SKUID(l.SKUID))
		}
	}
	views, err := s.Catalog.SKUsForQuote(ctx, tx, skus)
	if err != nil {
		return nil, err
	}
	dist := map[string]catalog.Distribution{}
	for _, v := range views {
		dist[string(v.SKUID)] = v.Distribution
	}
	out := make([]distribution.PaidOrder, 0, len(os))
	for _, o := range os {
		p := distribution.PaidOrder{OrderID: string(o.ID), OrderNo: o.OrderNo, BuyerID: o.MemberID, PaidAt: *o.PaidAt}
		if o.ReferrerID != nil {
			p.ReferrerID = *o.ReferrerID
		}
		for _, l := range o.Lines {
			d := dist[l.SKUID]
			mode := d.Mode
			switch {
			case l.Kind == LineGift || l.Kind == LineExchange:
				// No money changed hands for it: nothing to earn commission on.
				mode = "none"
			case mode == "":
				mode = "default"
			}
			cat := ""
			if l.CategoryID != nil {
				cat = *l.CategoryID
			}
			p.Lines = append(p.Lines, distribution.OrderLine{LineID: l.ID, ProductID: l.ProductID, SKUID: l.SKUID, CategoryID: cat,
				Quantity: l.Qty, UnitPrice: l.UnitPrice, PaidAmount: l.PaidAmount, Distribution: mode, OverrideRates: d.Rates})
		}
		out = append(out, p)
	}
	return out, nil
}
