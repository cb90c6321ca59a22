package api_test

import (
	"github.com/banyanmall/banyan/core/apptest"
)

// Cross-tenant fixtures of the plugins and promotions capabilities. Both
// need the built-in plugins (BANYAN_PLUGIN_DIR, as make test sets it).
func init() {
	enable := func(e *apptest.Env, shop apptest.Shop) {
		e.T.Helper()
		e.Must(200, apptest.Req{Method: "PUT", Path: "/api/v1/admin/plugins/promotion-basic", Token: shop.OwnerToken, Tenant: shop.Slug,
			Body: map[string]any{"enabled": true, "config": map[string]any{}, "priority": 10}})
	}
	// A plugin's name is not a tenant resource: every shop whose plan may use
	// it sees it under the same name. The fixture enables it in the other
	// shop; the cross-tenant test checks that A's view shows nothing of B's
	// settings and that B's shop is 404 to A (see sharedPathParams).
	crossTenantFixtures["plugin"] = func(e *apptest.Env, shop apptest.Shop) string {
		enable(e, shop)
		return "promotion-basic"
	}
	crossTenantFixtures["promotion"] = func(e *apptest.Env, shop apptest.Shop) string {
		enable(e, shop)
		res := e.Must(201, apptest.Req{Method: "POST", Path: "/api/v1/admin/promotions", Token: shop.OwnerToken, Tenant: shop.Slug,
			Body: map[string]any{"name": "10% off", "plugin": "promotion-basic", "status": "active",
				"config": map[string]any{"type": "percent_off", "percent": "10"}}})
		var out struct{ ID string }
		res.Decode(e.T, &out)
		return out.ID
	}
}
