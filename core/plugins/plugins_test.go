package plugins_test

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/banyanmall/banyan/core/apptest"
	"github.com/banyanmall/banyan/core/config"
	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/plugins"
	"github.com/banyanmall/banyan/core/tenancy"
	"github.com/banyanmall/banyan/sdk"
)

func needPlugins(t *testing.T) {
	t.Helper()
	if os.Getenv("BANYAN_PLUGIN_DIR") == "" {
		t.Fatal("BANYAN_PLUGIN_DIR is not set: build the plugins (bash plugins/build.sh bin/plugins) and point it there (make test does)")
	}
}

func tenantCtx(shop apptest.Shop) context.Context {
	return tenancy.With(context.Background(), tenancy.Tenant{ID: tenancy.TenantID(shop.ID), Slug: shop.Slug, Currency: "CNY"})
}

type shopPlugin struct {
	Name     string
	Kind     string
	State    string
	Enabled  bool
	Priority int
	Config   map[string]any
}

func put(e *apptest.Env, shop apptest.Shop, name string, body any) *apptest.Resp {
	e.T.Helper()
	return e.Do(apptest.Req{Method: "PUT", Path: "/api/v1/admin/plugins/" + name, Token: shop.OwnerToken, Tenant: shop.Slug, Body: body})
}

func fields(t *testing.T, res *apptest.Resp) []string {
	t.Helper()
	var out []string
	for _, f := range res.Problem(t).Errors {
		out = append(out, f.Field)
	}
	return out
}

func TestEnableConfigureAndRead(t *testing.T) {
	needPlugins(t)
	e := apptest.New(t)
	shop := e.Signup("plugin-shop")

	var listed struct{ Items []shopPlugin }
	e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/admin/plugins", Token: shop.OwnerToken, Tenant: shop.Slug}).Decode(t, &listed)
	var names []string
	for _, p := range listed.Items {
		names = append(names, p.Name)
		if p.Enabled {
			t.Errorf("%s enabled before anyone enabled it", p.Name)
		}
	}
	for _, want := range []string{"promotion-basic", "payment-sandbox"} {
		if !slices.Contains(names, want) {
			t.Fatalf("built-in %s not listed for the shop: %v", want, names)
		}
	}

	cases := []struct {
		name      string
		config    any
		wantField string
	}{
		{"required field missing", map[string]any{}, "config"},
		{"too short (schema)", map[string]any{"webhook_secret": "short"}, "config.webhook_secret"},
		{"unknown field", map[string]any{"webhook_secret": "0123456789abcdef0123", "extra": 1}, "config"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := put(e, shop, "payment-sandbox", map[string]any{"enabled": true, "config": c.config})
			if res.Status != 422 {
				t.Fatalf("want 422, got %s", res)
			}
			if got := fields(t, res); !slices.Contains(got, c.wantField) {
				t.Errorf("fields %v, want %s", got, c.wantField)
			}
		})
	}
	res := e.Must(200, apptest.Req{Method: "PUT", Path: "/api/v1/admin/plugins/payment-sandbox", Token: shop.OwnerToken, Tenant: shop.Slug,
		Body: map[string]any{"enabled": true, "config": map[string]any{"webhook_secret": "0123456789abcdef0123"}}})
	var got shopPlugin
	res.Decode(t, &got)
	if !got.Enabled || got.Config["webhook_secret"] != plugins.MaskValue {
		t.Fatalf("after enabling: %s (want enabled, secret masked)", res.Body)
	}
	// Sending the mask back keeps the secret.
	e.Must(200, apptest.Req{Method: "PUT", Path: "/api/v1/admin/plugins/payment-sandbox", Token: shop.OwnerToken, Tenant: shop.Slug,
		Body: map[string]any{"enabled": true, "config": map[string]any{"webhook_secret": plugins.MaskValue}}})
	ctx := tenantCtx(shop)
	err := e.App.DB.InTenant(ctx, func(tx *db.Tx) error {
		cfg, ok, err := e.App.TenantPlugins.Config(ctx, tx, "payment-sandbox")
		if err != nil || !ok || !strings.Contains(string(cfg), "0123456789abcdef0123") {
			t.Errorf("stored config %s %v %v: want the secret kept", cfg, ok, err)
		}
		en, err := e.App.TenantPlugins.Enabled(ctx, tx, sdk.KindPayment)
		if err != nil || len(en) != 1 || en[0].Name != "payment-sandbox" {
			t.Errorf("Enabled(payment) = %+v, %v", en, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The database holds the secret sealed (core/secrets), never as sent;
	// the reads above opened it for the plugin.
	var raw string
	if err := e.DB.Owner.GetContext(context.Background(), &raw, `SELECT config->>'webhook_secret' FROM tenant_plugins WHERE tenant_id = $1 AND plugin = 'payment-sandbox'`, shop.ID); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(raw, "sealed:v1:") || strings.Contains(raw, "0123456789abcdef0123") {
		t.Errorf("stored webhook_secret %q: want it sealed", raw)
	}
	// A priority is for promotion plugins only; an unknown plugin is 404.
	if res := put(e, shop, "payment-sandbox", map[string]any{"enabled": true, "priority": 5}); res.Status != 422 {
		t.Errorf("priority on a payment plugin: want 422, got %s", res)
	}
	if res := put(e, shop, "no-such-plugin", map[string]any{"enabled": true}); res.Status != 404 {
		t.Errorf("unknown plugin: want 404, got %s", res)
	}
	// Support staff may read but not change.
	support, _ := e.AddStaff(shop, "support")
	if res := e.Do(apptest.Req{Method: "PUT", Path: "/api/v1/admin/plugins/promotion-basic", Token: support, Tenant: shop.Slug,
		Body: map[string]any{"enabled": true}}); res.Status != 403 {
		t.Errorf("support enabling a plugin: want 403, got %s", res)
	}
	var n int
	if err := e.DB.Owner.GetContext(context.Background(), &n, `SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'plugin.update'`, shop.ID); err != nil || n != 2 {
		t.Errorf("audit entries: %d, %v; want 2", n, err)
	}
	var detail string
	_ = e.DB.Owner.GetContext(context.Background(), &detail, `SELECT detail::text FROM audit_log WHERE tenant_id = $1 AND action = 'plugin.update' LIMIT 1`, shop.ID)
	if strings.Contains(detail, "0123456789abcdef0123") {
		t.Errorf("the audit log holds the secret: %s", detail)
	}
}

func TestQuotaAndAvailability(t *testing.T) {
	needPlugins(t)
	e := apptest.New(t)
	shop := e.Signup("quota-shop")
	op := e.Operator("superadmin")
	ctx := context.Background()
	if _, err := e.DB.Owner.ExecContext(ctx, `UPDATE plans SET max_plugins = 1 WHERE code = 'free'`); err != nil {
		t.Fatal(err)
	}
	e.Must(200, apptest.Req{Method: "PUT", Path: "/api/v1/admin/plugins/promotion-basic", Token: shop.OwnerToken, Tenant: shop.Slug,
		Body: map[string]any{"enabled": true, "priority": 10}})
	res := put(e, shop, "payment-sandbox", map[string]any{"enabled": true, "config": map[string]any{"webhook_secret": "0123456789abcdef0123"}})
	if res.Status != 403 || res.Problem(t).Code != "quota_exceeded" {
		t.Fatalf("second plugin on a 1-plugin plan: want 403 quota_exceeded, got %s", res)
	}
	// Re-saving the enabled one is not a new plugin; disabled ones do not count.
	e.Must(200, apptest.Req{Method: "PUT", Path: "/api/v1/admin/plugins/promotion-basic", Token: shop.OwnerToken, Tenant: shop.Slug,
		Body: map[string]any{"enabled": true, "priority": 20}})
	e.Must(200, apptest.Req{Method: "PUT", Path: "/api/v1/admin/plugins/payment-sandbox", Token: shop.OwnerToken, Tenant: shop.Slug,
		Body: map[string]any{"enabled": false}})

	// The platform lists every plugin; built-ins are available to all plans.
	var list struct {
		Items []struct {
			Name         string
			State        string
			AvailableTo  json.RawMessage `json:"available_to"`
			ConfigSchema json.RawMessage `json:"config_schema"`
		}
	}
	e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/platform/plugins", Token: op}).Decode(t, &list)
	found := false
	for _, p := range list.Items {
		if p.Name == "promotion-basic" {
			found = true
			if string(p.AvailableTo) != `"all"` || p.State != "up" || len(p.ConfigSchema) == 0 {
				t.Errorf("promotion-basic on the platform: %+v", p)
			}
		}
	}
	if !found {
		t.Fatal("promotion-basic not listed on the platform")
	}
	// Withdraw it from every plan: the shop no longer sees it, cannot set
	// it, and it no longer counts as enabled.
	for _, bad := range []any{"some", []string{"not-a-uuid"}, []string{"00000000-0000-4000-8000-000000000000"}} {
		if res := e.Do(apptest.Req{Method: "PATCH", Path: "/api/v1/platform/plugins/promotion-basic", Token: op,
			Body: map[string]any{"available_to": bad}}); res.Status != 422 {
			t.Errorf("available_to %v: want 422, got %s", bad, res)
		}
	}
	e.Must(200, apptest.Req{Method: "PATCH", Path: "/api/v1/platform/plugins/promotion-basic", Token: op, Body: map[string]any{"available_to": []string{}}})
	if res := e.Do(apptest.Req{Method: "GET", Path: "/api/v1/admin/plugins/promotion-basic", Token: shop.OwnerToken, Tenant: shop.Slug}); res.Status != 404 {
		t.Errorf("withdrawn plugin: want 404, got %s", res)
	}
	if res := put(e, shop, "promotion-basic", map[string]any{"enabled": true}); res.Status != 404 {
		t.Errorf("enabling a withdrawn plugin: want 404, got %s", res)
	}
	tctx := tenantCtx(shop)
	_ = e.App.DB.InTenant(tctx, func(tx *db.Tx) error {
		if en, err := e.App.TenantPlugins.Enabled(tctx, tx, sdk.KindPromotion); err != nil || len(en) != 0 {
			t.Errorf("Enabled after withdrawal = %+v, %v; want none", en, err)
		}
		return nil
	})
	// Back to the shop's plan only.
	var planID string
	if err := e.DB.Owner.GetContext(ctx, &planID, `SELECT plan_id FROM tenants WHERE id = $1`, shop.ID); err != nil {
		t.Fatal(err)
	}
	e.Must(200, apptest.Req{Method: "PATCH", Path: "/api/v1/platform/plugins/promotion-basic", Token: op, Body: map[string]any{"available_to": []string{planID}}})
	e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/admin/plugins/promotion-basic", Token: shop.OwnerToken, Tenant: shop.Slug})
	var n int
	if err := e.DB.Owner.GetContext(ctx, &n, `SELECT count(*) FROM platform_audit_log WHERE action = 'plugin.availability'`); err != nil || n != 2 {
		t.Errorf("platform audit entries: %d, %v; want 2", n, err)
	}
	// A merchant cannot reach the platform route.
	if res := e.Do(apptest.Req{Method: "PATCH", Path: "/api/v1/platform/plugins/promotion-basic", Token: shop.OwnerToken,
		Body: map[string]any{"available_to": "all"}}); res.Status != 403 {
		t.Errorf("merchant on the platform route: want 403, got %s", res)
	}
}

func TestReadyzReportsPlugins(t *testing.T) {
	needPlugins(t)
	e := apptest.New(t)
	var ready struct {
		Ready  bool
		Checks []struct {
			Name   string
			OK     bool
			Detail []struct{ Name, State string }
		}
	}
	e.Must(200, apptest.Req{Method: "GET", Path: "/readyz"}).Decode(t, &ready)
	for _, c := range ready.Checks {
		if c.Name == "plugins" {
			if !c.OK || len(c.Detail) == 0 {
				t.Errorf("plugins check: %+v", c)
			}
			return
		}
	}
	t.Errorf("no plugins check in /readyz: %+v", ready)
}

func TestNoPluginDir(t *testing.T) {
	e := apptest.New(t, func(c *config.Config) { c.PluginDir = "" })
	if st := e.App.Plugins.Status(); len(st) != 0 {
		t.Errorf("no plugin dir, yet plugins: %+v", st)
	}
	shop := e.Signup("bare-shop")
	var listed struct{ Items []shopPlugin }
	e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/admin/plugins", Token: shop.OwnerToken, Tenant: shop.Slug}).Decode(t, &listed)
	if len(listed.Items) != 0 {
		t.Errorf("listed %+v", listed.Items)
	}
	e.Must(200, apptest.Req{Method: "GET", Path: "/readyz"})
}

func TestFieldName(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", "config"}, {"/webhook_secret", "config.webhook_secret"}, {"/tiers/0/spend", "config.tiers.0.spend"}, {"/a~1b", "config.a/b"},
	} {
		if got := plugins.FieldName("config", c.in); got != c.want {
			t.Errorf("FieldName(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestMask(t *testing.T) {
	schema := json.RawMessage(`{"type":"object","properties":{"token":{"type":"string","writeOnly":true},"bank":{"type":"object"}}}`)
	stored := json.RawMessage(`{"token":"t0k","api_key":"k","name":"n","bank":{"password":"p","branch":"b"},"empty_secret":""}`)
	masked := plugins.Mask(schema, stored)
	var m map[string]any
	_ = json.Unmarshal(masked, &m)
	if m["token"] != plugins.MaskValue || m["api_key"] != plugins.MaskValue || m["name"] != "n" || m["empty_secret"] != "" {
		t.Errorf("masked: %s", masked)
	}
	if b := m["bank"].(map[string]any); b["password"] != plugins.MaskValue || b["branch"] != "b" {
		t.Errorf("nested: %s", masked)
	}
	back := plugins.Unmask(schema, masked, stored)
	var a, b any
	_ = json.Unmarshal(back, &a)
	_ = json.Unmarshal(stored, &b)
	if !jsonEqual(a, b) {
		t.Errorf("unmask(mask(x)) = %s, want %s", back, stored)
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
