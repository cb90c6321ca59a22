package storefront_test

import (
	"strings"
	"testing"

	"github.com/banyanmall/banyan/core/apptest"
	"github.com/banyanmall/banyan/core/orders"
)

// TestServerCart follows the cart the storefront's pages use, on the shop's
// host as the browser calls it: a visitor's cart under their own visitor id
// (add, change, remove; another visitor sees nothing), a line going off the
// shelf shown invalid, the merge into the member's cart at login, and the
// member centre's level name.
func TestServerCart(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	shop, p, _ := shopWithProduct(t, e, "sf-cart")
	host := shop.Slug + ".shops.test"
	sku1, sku2 := string(p.SKUs[0].ID), string(p.SKUs[1].ID)
	const visitor, stranger = "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"
	guest := func(method, path string, body any, vid string) apptest.Req {
		return apptest.Req{Method: method, Path: "/api/v1/shop/guest-cart" + path, Body: body, Header: map[string]string{"X-Visitor-Id": vid}}
	}
	// must sends r to the shop's host and wants status.
	must := func(status int, r apptest.Req) *apptest.Resp {
		t.Helper()
		res := e.DoHost(host, r)
		if res.Status != status {
			t.Fatalf("%s %s: want %d, got %s", r.Method, r.Path, status, res)
		}
		return res
	}
	cartOf := func(res *apptest.Resp) orders.Cart {
		t.Helper()
		var c orders.Cart
		res.Decode(t, &c)
		return c
	}
	qtys := func(c orders.Cart) map[string]int {
		out := map[string]int{}
		for _, l := range c.Lines {
			out[l.SKUID] = l.Qty
		}
		return out
	}

	// The pages: the product form works without JS (GET /cart?add=…), the
	// cart shell is there and its API exists (no "coming soon").
	html := string(e.DoHost(host, apptest.Req{Method: "GET", Path: "/p/" + string(p.ID)}).Body)
	for _, want := range []string{`action="/cart"`, `name="add"`, `name="qty"`} {
		if !strings.Contains(html, want) {
			t.Errorf("product page lacks %s", want)
		}
	}
	res := e.DoHost(host, apptest.Req{Method: "GET", Path: "/cart?add=" + sku1 + "&qty=2"})
	if res.Status != 200 || strings.Contains(string(res.Body), `soon">即将上线`) || !strings.Contains(string(res.Body), `id="lines"`) {
		t.Fatalf("cart page: %s", res)
	}

	// A visitor's cart: add (twice adds up), set, a second line, remove.
	c := cartOf(must(200, guest("POST", "", map[string]any{"sku_id": sku1, "qty": 1}, visitor)))
	c = cartOf(must(200, guest("POST", "", map[string]any{"sku_id": sku1, "qty": 2}, visitor)))
	if got := qtys(c); got[sku1] != 3 || len(got) != 1 {
		t.Fatalf("after adding 1 + 2: %v", got)
	}
	if l := c.Lines[0]; !l.Valid || l.Title != "纯棉圆领T恤" || l.Price.StringFixed(2) != "69.00" || l.ProductID != string(p.ID) {
		t.Errorf("line %+v", l)
	}
	must(200, guest("PATCH", "/"+sku1, map[string]any{"qty": 1}, visitor))
	must(200, guest("POST", "", map[string]any{"sku_id": sku2, "qty": 1}, visitor))
	c = cartOf(must(200, guest("DELETE", "/"+sku2, nil, visitor)))
	if got := qtys(c); got[sku1] != 1 || len(got) != 1 {
		t.Fatalf("after set 1, add and remove another: %v", got)
	}
	must(404, guest("DELETE", "/"+sku2, nil, visitor))
	must(422, guest("PATCH", "/"+sku1, map[string]any{"qty": 0}, visitor))
	must(422, guest("GET", "", nil, "short"))
	// Another visitor's cart is another cart: empty, and they cannot touch ours.
	if c := cartOf(must(200, guest("GET", "", nil, stranger))); len(c.Lines) != 0 {
		t.Errorf("a stranger sees %v", qtys(c))
	}
	must(404, guest("DELETE", "/"+sku1, nil, stranger))

	// The product goes off the shelf: the line stays, invalid, and can be removed.
	admin := func(method, path string, body any) apptest.Req {
		return apptest.Req{Method: method, Path: path, Token: shop.OwnerToken, Tenant: shop.Slug, Body: body}
	}
	e.Must(200, admin("PATCH", "/api/v1/admin/products/"+string(p.ID), map[string]any{"status": "off_shelf"}))
	c = cartOf(must(200, guest("GET", "", nil, visitor)))
	if len(c.Lines) != 1 || c.Lines[0].Valid || c.Lines[0].Problem != "off_shelf" {
		t.Fatalf("off-shelf line: %+v", c.Lines)
	}
	e.Must(200, admin("PATCH", "/api/v1/admin/products/"+string(p.ID), map[string]any{"status": "on_sale"}))

	// Logging in merges the visitor's cart into the member's (quantities add up).
	token, memberID := e.Member(shop)
	member := func(method, path string, body any) apptest.Req {
		return apptest.Req{Method: method, Path: "/api/v1/shop" + path, Body: body, Token: token}
	}
	must(200, member("POST", "/cart", map[string]any{"sku_id": sku1, "qty": 2}))
	c = cartOf(must(200, member("POST", "/cart/merge", map[string]any{"visitor_id": visitor})))
	if got := qtys(c); got[sku1] != 3 || len(got) != 1 {
		t.Fatalf("merged cart: %v", got)
	}
	if c := cartOf(must(200, guest("GET", "", nil, visitor))); len(c.Lines) != 0 {
		t.Errorf("the visitor's cart after the merge: %v", qtys(c))
	}

	// The member centre: no level, then the level the merchant sets, by name.
	var me struct {
		ID    string
		Level *struct{ Name string }
	}
	must(200, member("GET", "/me", nil)).Decode(t, &me)
	if me.ID != memberID || me.Level != nil {
		t.Fatalf("me before a level: %+v", me)
	}
	var gold struct{ ID string }
	e.Must(201, admin("POST", "/api/v1/admin/member-levels", map[string]any{"name": "金牌会员", "rank": 1, "threshold_kind": "spend", "threshold": "1000"})).Decode(t, &gold)
	e.Must(200, admin("PATCH", "/api/v1/admin/members/"+memberID, map[string]any{"level_id": gold.ID}))
	must(200, member("GET", "/me", nil)).Decode(t, &me)
	if me.Level == nil || me.Level.Name != "金牌会员" {
		t.Fatalf("me with a level: %+v", me.Level)
	}
}
