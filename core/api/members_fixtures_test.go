package api_test

import (
	"fmt"
	"sync/atomic"

	"github.com/banyanmall/banyan/core/apptest"
)

// Cross-tenant fixtures of the members and marketing capabilities.
func init() {
	var n atomic.Int64
	create := func(e *apptest.Env, shop apptest.Shop, path string, body any) string {
		e.T.Helper()
		res := e.Must(201, apptest.Req{Method: "POST", Path: path, Token: shop.OwnerToken, Tenant: shop.Slug, Body: body})
		var out struct{ ID string }
		res.Decode(e.T, &out)
		return out.ID
	}
	crossTenantFixtures["member"] = func(e *apptest.Env, shop apptest.Shop) string {
		_, id := e.Member(shop)
		return id
	}
	crossTenantFixtures["member_level"] = func(e *apptest.Env, shop apptest.Shop) string {
		i := n.Add(1)
		return create(e, shop, "/api/v1/admin/member-levels", map[string]any{
			"name": fmt.Sprintf("Level %d", i), "rank": i % 100, "threshold_kind": "spend", "threshold": "1000"})
	}
	crossTenantFixtures["member_tag"] = func(e *apptest.Env, shop apptest.Shop) string {
		return create(e, shop, "/api/v1/admin/member-tags", map[string]any{"name": fmt.Sprintf("Tag %d", n.Add(1))})
	}
	crossTenantFixtures["coupon"] = func(e *apptest.Env, shop apptest.Shop) string {
		return create(e, shop, "/api/v1/admin/coupons", map[string]any{"name": "5 off", "kind": "fixed", "amount": "5", "valid_days": 30})
	}
	crossTenantFixtures["coupon_issue"] = func(e *apptest.Env, shop apptest.Shop) string {
		coupon := crossTenantFixtures["coupon"](e, shop)
		tag := crossTenantFixtures["member_tag"](e, shop)
		res := e.Must(202, apptest.Req{Method: "POST", Path: "/api/v1/admin/coupons/" + coupon + "/issues", Token: shop.OwnerToken, Tenant: shop.Slug,
			Body: map[string]any{"tag_id": tag}})
		var out struct{ ID string }
		res.Decode(e.T, &out)
		return out.ID
	}
	crossTenantFixtures["oauth_provider"] = func(e *apptest.Env, shop apptest.Shop) string {
		return create(e, shop, "/api/v1/admin/oauth-providers", map[string]any{
			"name": fmt.Sprintf("idp%d", n.Add(1)), "display_name": "IdP", "client_id": "c", "client_secret": "s",
			"authorize_url": "https://idp.example/authorize", "token_url": "https://idp.example/token", "userinfo_url": "https://idp.example/userinfo"})
	}
	crossTenantFixtures["address"] = func(e *apptest.Env, shop apptest.Shop) string {
		token, _ := e.Member(shop)
		res := e.Must(201, apptest.Req{Method: "POST", Path: "/api/v1/shop/me/addresses", Token: token, Tenant: shop.Slug, Body: map[string]any{
			"name": "Li Lei", "phone": "13800138000", "province": "浙江省", "city": "杭州市", "district": "西湖区", "detail": "文三路 1 号"}})
		var out struct{ ID string }
		res.Decode(e.T, &out)
		return out.ID
	}
}
