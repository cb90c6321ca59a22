package plugins_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/banyanmall/banyan/core/apptest"
	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/plugins"
)

// The shop's enabled plugins are cached per replica (checkout reads them on
// every request). A change through one replica is seen there at once and
// by another replica as soon as PostgreSQL announces it: config, disabling,
// availability and the shop's plan.
func TestEnabledPluginsCacheAcrossReplicas(t *testing.T) {
	needPlugins(t)
	e := apptest.New(t)
	shop := e.Signup("cache-shop")
	other := e.Signup("cache-other")
	op := e.Operator("superadmin")

	d := e.ReplicaDB()
	one := e.App.TenantPlugins
	two := &plugins.Service{DB: d, Host: e.App.Plugins, Tenants: e.App.Tenants, Secrets: one.Secrets}

	// config answers the sandbox's webhook secret as replica s sees it
	// ("" when not enabled).
	config := func(s *plugins.Service, sh apptest.Shop) string {
		t.Helper()
		var secret string
		tctx := tenantCtx(sh)
		err := s.DB.InTenant(tctx, func(tx *db.Tx) error {
			raw, ok, err := s.Config(tctx, tx, "payment-sandbox")
			if err != nil || !ok {
				return err
			}
			// Stored sealed; Config answers it opened.
			var c struct {
				WebhookSecret string `json:"webhook_secret"`
			}
			err = json.Unmarshal(raw, &c)
			secret = c.WebhookSecret
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return secret
	}
	soon := func(s *plugins.Service, sh apptest.Shop, want, what string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for got := config(s, sh); got != want; got = config(s, sh) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: replica 2 still sees %q, want %q", what, got, want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	enable := func(sh apptest.Shop, secret string) {
		t.Helper()
		e.Must(200, apptest.Req{Method: "PUT", Path: "/api/v1/admin/plugins/payment-sandbox", Token: sh.OwnerToken, Tenant: sh.Slug,
			Body: map[string]any{"enabled": secret != "", "config": map[string]string{"webhook_secret": secret}}})
	}

	const s1, s2 = "first-secret-0123456789", "second-secret-012345678"
	enable(shop, s1)
	enable(other, s2)
	if config(one, shop) != s1 || config(two, shop) != s1 || config(two, other) != s2 {
		t.Fatal("the replicas do not see the enabled plugin with its own shop's config")
	}

	// A new config through replica 1.
	enable(shop, s2)
	if got := config(one, shop); got != s2 {
		t.Fatalf("replica 1 right after the change: %q", got)
	}
	soon(two, shop, s2, "new config")

	// Disabled.
	enable(shop, "")
	if got := config(one, shop); got != "" {
		t.Fatalf("replica 1 right after disabling: %q", got)
	}
	soon(two, shop, "", "disabled")
	if config(two, other) != s2 {
		t.Fatal("the other shop lost its plugin")
	}

	// Withdrawn from every plan by the platform: gone for every shop.
	e.Must(200, apptest.Req{Method: "PATCH", Path: "/api/v1/platform/plugins/payment-sandbox", Token: op, Body: map[string]any{"available_to": []string{}}})
	if got := config(one, other); got != "" {
		t.Fatalf("replica 1 right after the withdrawal: %q", got)
	}
	soon(two, other, "", "withdrawn")

	// Available to the other shop's plan only, then the shop moves to
	// another plan (the platform's plan change) — the plugin goes with it.
	var planID, otherPlan string
	if err := e.DB.Owner.Get(&planID, `SELECT plan_id FROM tenants WHERE id = $1`, other.ID); err != nil {
		t.Fatal(err)
	}
	e.Must(200, apptest.Req{Method: "PATCH", Path: "/api/v1/platform/plugins/payment-sandbox", Token: op, Body: map[string]any{"available_to": []string{planID}}})
	soon(two, other, s2, "available again")
	if err := e.DB.Owner.Get(&otherPlan, `SELECT id FROM plans WHERE id <> $1 ORDER BY id LIMIT 1`, planID); err != nil {
		t.Fatal(err)
	}
	e.Must(200, apptest.Req{Method: "PATCH", Path: "/api/v1/platform/tenants/" + other.ID, Token: op, Body: map[string]any{"plan_id": otherPlan}})
	if got := config(one, other); got != "" {
		t.Fatalf("replica 1 right after the plan change: %q", got)
	}
	soon(two, other, "", "plan change")
}
