package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/banyanmall/banyan/core/app"
	"github.com/banyanmall/banyan/core/config"
	"github.com/banyanmall/banyan/tenants"
)

// Demo logins printed by make run. They exist only in a database seeded with
// `banyan seed`; never seed a production database.
const (
	demoSlug          = "demo"
	demoOwnerEmail    = "owner@demo.banyan.local"
	demoOwnerPassword = "demo-owner-2026"
	operatorEmail     = "operator@banyan.local"
	operatorPassword  = "operator-2026"
)

func seed(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	a, err := app.New(ctx, cfg, log, app.Options{})
	if err != nil {
		return err
	}
	defer a.Close()
	if _, err := a.Staff.EnsurePlatformUser(ctx, operatorEmail, "Platform operator", operatorPassword, "superadmin"); err != nil {
		return fmt.Errorf("seed operator: %w", err)
	}
	if err := a.Authz.Reload(ctx); err != nil {
		return err
	}
	printLogins := func() {
		fmt.Printf("    merchant owner (demo)   %s / %s\n", demoOwnerEmail, demoOwnerPassword)
		fmt.Printf("    platform operator       %s / %s\n", operatorEmail, operatorPassword)
	}
	if _, err := a.Tenants.Resolve(ctx, "", demoSlug, ""); err == nil {
		log.Info("demo shop already seeded")
		printLogins()
		return nil
	}
	res, err := a.Tenants.Signup(ctx, tenants.SignupInput{ShopName: "Banyan 演示商城", Slug: demoSlug, Email: demoOwnerEmail, Password: demoOwnerPassword}, "")
	if err != nil {
		return fmt.Errorf("seed demo shop: %w", err)
	}
	if err := seedCatalog(ctx, a, res.Tenant.ID); err != nil {
		return err
	}
	if err := seedDemoShop(ctx, a, log, res); err != nil {
		return err
	}
	log.Info("demo shop seeded", "tenant", res.Tenant.ID)
	printLogins()
	return nil
}
