package api_test

import (
	"fmt"

	"github.com/banyanmall/banyan/core/apptest"
)

// newSKU creates a product with one SKU on sale in shop and returns the SKU id.
func newSKU(e *apptest.Env, shop apptest.Shop) string {
	e.T.Helper()
	res := e.Must(201, apptest.Req{Method: "POST", Path: "/api/v1/admin/products", Token: shop.OwnerToken, Tenant: shop.Slug,
		Body: map[string]any{"title": "杯子", "status": "on_sale", "skus": []any{map[string]any{"code": fmt.Sprintf("OF-%d", catalogSeq.Add(1)), "price": "9.90", "stock": 5}}}})
	var p struct {
		SKUs []struct{ ID string } `json:"skus"`
	}
	res.Decode(e.T, &p)
	return p.SKUs[0].ID
}

// newOrder places an order of one SKU in shop by a new member.
func newOrder(e *apptest.Env, shop apptest.Shop) (orderID, memberToken, lineID string) {
	e.T.Helper()
	sku := newSKU(e, shop)
	token, _ := e.Member(shop)
	res := e.Must(201, apptest.Req{Method: "POST", Path: "/api/v1/shop/me/addresses", Token: token, Tenant: shop.Slug, Body: map[string]any{
		"name": "Li Lei", "phone": "13800138000", "province": "浙江省", "city": "杭州市", "district": "西湖区", "detail": "文三路 1 号"}})
	var a struct{ ID string }
	res.Decode(e.T, &a)
	lines := []any{map[string]any{"sku_id": sku, "qty": 1}}
	res = e.Must(200, apptest.Req{Method: "POST", Path: "/api/v1/shop/quote", Token: token, Tenant: shop.Slug,
		Body: map[string]any{"lines": lines, "address_id": a.ID}})
	var q struct {
		Signature string `json:"signature"`
		ExpiresAt string `json:"expires_at"`
	}
	res.Decode(e.T, &q)
	res = e.Must(201, apptest.Req{Method: "POST", Path: "/api/v1/shop/orders", Token: token, Tenant: shop.Slug,
		Header: map[string]string{"Idempotency-Key": "fixture"},
		Body:   map[string]any{"lines": lines, "address_id": a.ID, "quote_signature": q.Signature, "quote_expires_at": q.ExpiresAt}})
	var o struct {
		ID    string
		Lines []struct{ ID string }
	}
	res.Decode(e.T, &o)
	return o.ID, token, o.Lines[0].ID
}

// Cross-tenant fixtures of the orders capability.
func init() {
	crossTenantFixtures["order"] = func(e *apptest.Env, shop apptest.Shop) string {
		id, _, _ := newOrder(e, shop)
		return id
	}
	crossTenantFixtures["sku"] = newSKU
	crossTenantFixtures["refund"] = func(e *apptest.Env, shop apptest.Shop) string {
		id, _, line := newOrder(e, shop)
		e.Must(200, apptest.Req{Method: "POST", Path: "/api/v1/admin/orders/" + id + "/mark-paid", Token: shop.OwnerToken, Tenant: shop.Slug,
			Body: map[string]string{"reference": "bank 1"}})
		res := e.Must(201, apptest.Req{Method: "POST", Path: "/api/v1/admin/orders/" + id + "/refunds", Token: shop.OwnerToken, Tenant: shop.Slug,
			Body: map[string]any{"lines": []any{map[string]any{"line_id": line, "amount": "1.00"}}}})
		var r struct{ ID string }
		res.Decode(e.T, &r)
		return r.ID
	}
	crossTenantFixtures["after_sale"] = func(e *apptest.Env, shop apptest.Shop) string {
		id, token, line := newOrder(e, shop)
		e.Must(200, apptest.Req{Method: "POST", Path: "/api/v1/admin/orders/" + id + "/mark-paid", Token: shop.OwnerToken, Tenant: shop.Slug,
			Body: map[string]string{"reference": "bank 1"}})
		res := e.Must(201, apptest.Req{Method: "POST", Path: "/api/v1/shop/orders/" + id + "/after-sales", Token: token, Tenant: shop.Slug,
			Body: map[string]any{"kind": "return_and_refund", "reason": "wrong size", "lines": []any{map[string]any{"line_id": line, "qty": 1}}}})
		var a struct{ ID string }
		res.Decode(e.T, &a)
		return a.ID
	}
}

// Cross-tenant fixtures of logistics: a carrier only shop has (every shop
// gets the default carriers, so the fixture adds its own code).
func init() {
	crossTenantFixtures["carrier"] = func(e *apptest.Env, shop apptest.Shop) string {
		code := fmt.Sprintf("XT%d", catalogSeq.Add(1))
		e.Must(201, apptest.Req{Method: "POST", Path: "/api/v1/admin/carriers", Token: shop.OwnerToken, Tenant: shop.Slug,
			Body: map[string]any{"code": code, "name": "跨租户快递"}})
		return code
	}
}
