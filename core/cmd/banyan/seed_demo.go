package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/app"
	"github.com/banyanmall/banyan/core/identity"
	"github.com/banyanmall/banyan/core/marketing"
	"github.com/banyanmall/banyan/core/plugins"
	"github.com/banyanmall/banyan/core/promotions"
	"github.com/banyanmall/banyan/core/tenancy"
	"github.com/banyanmall/banyan/tenants"
)

// seedDemoShop sets up the freshly created demo shop's marketing through the
// same services the API uses (seed_catalog.go fills its catalogue): plugins
// enabled and configured, a promotion and a claimable coupon. A plugin that is not
// built is skipped with a log line (the shop still works without it).
func seedDemoShop(ctx context.Context, a *app.App, log *slog.Logger, res tenants.SignupResult) error {
	ctx = tenancy.With(ctx, res.Tenant.Context())
	ctx = identity.WithActor(ctx, identity.Actor{Kind: "staff", UserID: res.User.ID})

	enable := func(name string, cfg string, priority *int) bool {
		_, err := a.TenantPlugins.Put(ctx, name, plugins.Setting{Enabled: true, Config: json.RawMessage(cfg), Priority: priority})
		if err != nil {
			log.Warn("demo: plugin not enabled", "plugin", name, "err", err)
			return false
		}
		return true
	}
	enable("payment-sandbox", `{"webhook_secret":"demo-sandbox-secret-0123456789"}`, nil)
	enable("commission-tiered", `{"rates":["0.10","0.05"]}`, nil)
	one := 1
	promo := enable("promotion-basic", `{}`, &one)

	price := func(s string) *decimal.Decimal { d := decimal.RequireFromString(s); return &d }
	if promo {
		_, err := a.Promotions.Create(ctx, promotions.CampaignInput{Name: "满199减20", Plugin: "promotion-basic",
			Config:   json.RawMessage(`{"type":"full_reduction","scope":{"type":"all"},"tiers":[{"spend":"199","save":"20"}]}`),
			Priority: 10, StackingGroup: "order", Status: "active"})
		if err != nil {
			log.Warn("demo: promotion not created", "err", err)
		}
	}
	days, qty, limit, yes := 30, 1000, 1, true
	if _, err := a.Marketing.CreateTemplate(ctx, marketing.TemplateInput{Name: "新人券 满100减10", Kind: "fixed",
		Amount: price("10"), MinSpend: price("100"), ValidDays: &days, TotalQuantity: &qty, PerMemberLimit: &limit,
		Scope: "all", Claimable: &yes}); err != nil {
		return fmt.Errorf("demo coupon: %w", err)
	}
	return nil
}
