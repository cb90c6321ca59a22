package app

import (
	"context"
	"encoding/json"
	"time"

	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/finance"
	"github.com/banyanmall/banyan/core/identity"
	"github.com/banyanmall/banyan/core/orders"
	"github.com/banyanmall/banyan/core/plugins"
	"github.com/banyanmall/banyan/core/promotions"
)

// The adapters below let core/orders talk to the capabilities it calls
// through its own small interfaces (so it builds and tests on its own).

type orderPlugins struct{ p *plugins.Service }

func (a orderPlugins) PaymentConfig(ctx context.Context, tx *db.Tx, provider string) (json.RawMessage, error) {
	cfg, ok, err := a.p.Config(ctx, tx, provider)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errs.E(errs.NotFound, "payment provider %s is not enabled", provider)
	}
	return cfg, nil
}

type orderPromotions struct{ p *promotions.Service }

func (a orderPromotions) Apply(ctx context.Context, tx *db.Tx, member identity.MemberID, levelID string, lines []orders.PromotionLine, now time.Time) (orders.PromotionResult, error) {
	in := promotions.ApplyInput{MemberID: string(member), MemberLevelID: levelID, Now: now}
	for _, l := range lines {
		in.Lines = append(in.Lines, promotions.Line{LineID: l.LineID, ProductID: l.ProductID, SKUID: l.SKUID, CategoryID: l.CategoryID,
			Quantity: l.Quantity, UnitPrice: l.UnitPrice, Amount: l.Amount})
	}
	res, err := a.p.Apply(ctx, tx, in)
	if err != nil {
		return orders.PromotionResult{}, err
	}
	out := orders.PromotionResult{PerLine: res.PerLine}
	for _, x := range res.Adjustments {
		out.Adjustments = append(out.Adjustments, orders.Adjustment{CampaignID: string(x.CampaignID), Name: x.CampaignName, Plugin: x.Plugin,
			LineIDs: x.LineIDs, Amount: x.Amount, Reason: x.Reason})
	}
	for _, g := range res.Gifts {
		out.Gifts = append(out.Gifts, orders.Gift{CampaignID: string(g.CampaignID), CampaignName: g.CampaignName, Plugin: g.Plugin,
			SKUID: g.SKUID, Quantity: g.Quantity, Reason: g.Reason})
	}
	return out, nil
}

func (a orderPromotions) RecordUsage(ctx context.Context, tx *db.Tx, member identity.MemberID, orderID string, ids []string) error {
	cs := make([]promotions.CampaignID, len(ids))
	for i, id := range ids {
		cs[i] = promotions.CampaignID(id)
	}
	return a.p.RecordUsage(ctx, tx, member, orderID, cs)
}

type orderLedger struct{ f *finance.Service }

func (a orderLedger) Post(ctx context.Context, tx *db.Tx, e orders.LedgerEntry) (string, bool, error) {
	fe := finance.Entry{Kind: e.Kind, Ref: e.Ref, OrderID: e.OrderID, MemberID: e.MemberID, Memo: e.Memo}
	for _, l := range e.Lines {
		fe.Lines = append(fe.Lines, finance.Line{Account: finance.Account(l.Account), Party: l.Party, Debit: l.Debit, Credit: l.Credit})
	}
	return a.f.Post(ctx, tx, fe)
}

// newOrders builds the orders capability and registers its jobs (the sweep
// of unpaid orders every sweepEvery).
func newOrders(a *App, sweepEvery time.Duration) *orders.Service {
	s := &orders.Service{DB: a.DB, Log: a.Log, Catalog: a.Catalog, Members: a.Members, Marketing: a.Marketing, Tenants: a.Tenants,
		Plugins: orderPlugins{a.TenantPlugins}, Promotions: orderPromotions{a.Promotions}, Ledger: orderLedger{a.Finance}}
	if a.Plugins != nil {
		s.Payments = a.Plugins
	}
	if a.Distribution != nil {
		s.Distribution = a.Distribution
		a.Distribution.Orders = s
	}
	orders.Register(a.Jobs, s, sweepEvery)
	return s
}
