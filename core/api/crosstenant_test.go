package api_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/banyanmall/banyan/core/api"
	"github.com/banyanmall/banyan/core/apptest"
)

// crossTenantFixtures create one resource of a kind in shop and return its
// id. Each capability's test file adds its kinds in an init function.
var crossTenantFixtures = map[string]func(e *apptest.Env, shop apptest.Shop) string{
	"staff": func(e *apptest.Env, shop apptest.Shop) string {
		_, id := e.AddStaff(shop, "support")
		return id
	},
}

// sharedPathParams are fixtures whose path value names something every
// tenant has its own view of, not a tenant's resource: a plugin is
// /admin/plugins/promotion-basic in every shop whose plan may use it. For
// those, A asking through A's own shop rightly gets A's view (200), so the
// test checks instead that B's settings do not show in it; through B's shop
// A still gets 404.
var sharedPathParams = map[string]bool{"plugin": true}

var pathParamRe = regexp.MustCompile(`\{[a-zA-Z_]+\}`)

// TestCrossTenantIsNotFound is generated from the route table: for every
// tenant route that takes an id, tenant A's owner asking for tenant B's
// resource gets 404 — through A's own shop (RLS hides B's row) and through B's
// shop (A's owner is not on B's staff).
func TestCrossTenantIsNotFound(t *testing.T) {
	e := apptest.New(t)
	a := e.Signup("shop-a")
	b := e.Signup("shop-b")
	covered := 0
	for _, rt := range api.Routes() {
		if !strings.Contains(rt.Path, "{") {
			continue
		}
		if rt.Access != api.TenantStaff && rt.Access != api.Member {
			continue // platform ids are tenants themselves; webhooks carry the tenant in the path
		}
		fixture, ok := crossTenantFixtures[rt.Fixture]
		if !ok {
			t.Errorf("%s %s takes an id but declares no cross-tenant fixture (Fixture %q)", rt.Method, rt.Path, rt.Fixture)
			continue
		}
		covered++
		t.Run(rt.Name, func(t *testing.T) {
			id := fixture(e, b)
			path := pathParamRe.ReplaceAllString(rt.Path, id)
			var body any
			if rt.Body != nil {
				if rt.Example == nil {
					t.Fatalf("%s has a body and a path id but no Example body", rt.Name)
				}
				body = rt.Example
			}
			token := a.OwnerToken
			if rt.Access == api.Member {
				token, _ = e.Member(a)
			}
			// Through A's own shop.
			res := e.Do(apptest.Req{Method: rt.Method, Path: path, Token: token, Tenant: a.Slug, Body: body})
			if sharedPathParams[rt.Fixture] {
				if rt.Method == "GET" && (res.Status != 200 || strings.Contains(string(res.Body), `"enabled":true`)) {
					t.Errorf("A's view of %s %s: want 200 with A's own (disabled) settings, got %s", rt.Fixture, id, res)
				}
			} else if res.Status != 404 {
				t.Errorf("A's token in shop A on B's %s: want 404, got %s", rt.Fixture, res)
			}
			// Through B's shop, with A's token.
			res = e.Do(apptest.Req{Method: rt.Method, Path: path, Token: token, Tenant: b.Slug, Body: body})
			if rt.Access == api.TenantStaff && res.Status != 404 {
				t.Errorf("A's token in shop B: want 404, got %s", res)
			}
			if rt.Access == api.Member && res.Status != 401 {
				t.Errorf("A's member token in shop B: want 401, got %s", res)
			}
		})
	}
	if covered == 0 {
		t.Fatal("no route with an id was covered")
	}
}
