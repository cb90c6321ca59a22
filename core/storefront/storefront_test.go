package storefront_test

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/banyanmall/banyan/core/apptest"
	"github.com/banyanmall/banyan/core/catalog"
)

var (
	imgRe   = regexp.MustCompile(`<img\b[^>]*>`)
	ldRe    = regexp.MustCompile(`(?s)<script type="application/ld\+json">(.*?)</script>`)
	titleRe = regexp.MustCompile(`<title>([^<]*)</title>`)
	metaRe  = func(prop string) *regexp.Regexp {
		return regexp.MustCompile(`<meta property="` + regexp.QuoteMeta(prop) + `" content="([^"]*)">`)
	}
	canonRe  = regexp.MustCompile(`<link rel="canonical" href="([^"]*)">`)
	descRe   = regexp.MustCompile(`<meta name="description" content="([^"]*)">`)
	widthRe  = regexp.MustCompile(`\swidth="\d+"`)
	heightRe = regexp.MustCompile(`\sheight="\d+"`)
)

// shopWithProduct signs up a branded shop with a category tree and an
// on-sale product with four variants.
func shopWithProduct(t *testing.T, e *apptest.Env, slug string) (apptest.Shop, catalog.Product, string) {
	t.Helper()
	shop := e.Signup(slug)
	admin := func(method, path string, body any) apptest.Req {
		return apptest.Req{Method: method, Path: path, Token: shop.OwnerToken, Tenant: shop.Slug, Body: body}
	}
	e.Must(200, admin("PATCH", "/api/v1/admin/settings", map[string]any{"logo_url": "https://cdn.example.com/logo.png", "primary_color": "#1f7a4d"}))
	var clothes, tee catalog.Category
	e.Must(201, admin("POST", "/api/v1/admin/categories", map[string]any{"name": "服装"})).Decode(t, &clothes)
	e.Must(201, admin("POST", "/api/v1/admin/categories", map[string]any{"name": "T恤", "parent_id": clothes.ID})).Decode(t, &tee)
	var p catalog.Product
	e.Must(201, admin("POST", "/api/v1/admin/products", map[string]any{
		"title": "纯棉圆领T恤", "subtitle": "夏季新款 透气舒适", "category_id": tee.ID, "status": "on_sale", "brand": "榕树",
		"images":      []string{"https://cdn.example.com/tee-1.jpg", "https://cdn.example.com/tee-2.jpg"},
		"description": `<p>100% 棉</p><img src="https://cdn.example.com/detail.jpg"><script>alert(1)</script>`,
		"specs":       []any{map[string]any{"name": "颜色", "values": []string{"白", "黑"}}, map[string]any{"name": "尺码", "values": []string{"M", "L"}}},
		"variants":    map[string]any{"code_prefix": "TEE", "price": "69.00", "original_price": "99.00", "stock": 8},
	})).Decode(t, &p)
	return shop, p, string(clothes.ID)
}

func TestProductPage(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	shop, p, clothes := shopWithProduct(t, e, "sf-shop")
	host := shop.Slug + ".shops.test"
	res := e.DoHost(host, apptest.Req{Method: "GET", Path: "/p/" + string(p.ID)})
	if res.Status != 200 {
		t.Fatalf("product page: %s", res)
	}
	html := string(res.Body)
	if d := os.Getenv("SF_DUMP"); d != "" {
		_ = os.WriteFile(d, res.Body, 0o644)
	}
	if len(res.Body) >= 100*1024 {
		t.Errorf("product page is %d bytes, want < 100 KB", len(res.Body))
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("content type %q", ct)
	}
	for _, want := range []string{"纯棉圆领T恤", "69.00", "https://cdn.example.com/tee-1.jpg", "Shop sf-shop", "#1f7a4d",
		"https://cdn.example.com/logo.png", `lang="zh-CN"`, "加入购物车", `<select name="add"`, "颜色:白;尺码:M", "100% 棉"} {
		if !strings.Contains(html, want) {
			t.Errorf("product page lacks %q", want)
		}
	}
	if strings.Contains(html, "alert(1)") {
		t.Error("the description's script reached the page")
	}
	if m := titleRe.FindStringSubmatch(html); m == nil || !strings.Contains(m[1], "纯棉圆领T恤") || !strings.Contains(m[1], "Shop sf-shop") {
		t.Errorf("title %v", m)
	}
	if m := descRe.FindStringSubmatch(html); m == nil || m[1] != "夏季新款 透气舒适" {
		t.Errorf("meta description %v", m)
	}
	imgs := imgRe.FindAllString(html, -1)
	if len(imgs) < 3 {
		t.Errorf("want the gallery and the description's image, got %v", imgs)
	}
	for _, img := range imgs {
		if !widthRe.MatchString(img) || !heightRe.MatchString(img) {
			t.Errorf("img without width and height: %s", img)
		}
	}
	canonical := "http://" + host + "/p/" + string(p.ID)
	if m := canonRe.FindStringSubmatch(html); m == nil || m[1] != canonical {
		t.Errorf("canonical %v, want %s", m, canonical)
	}
	for prop, want := range map[string]string{"og:type": "product", "og:url": canonical, "og:image": "https://cdn.example.com/tee-1.jpg"} {
		if m := metaRe(prop).FindStringSubmatch(html); m == nil || m[1] != want {
			t.Errorf("%s = %v, want %s", prop, m, want)
		}
	}
	if m := metaRe("og:title").FindStringSubmatch(html); m == nil || !strings.Contains(m[1], "纯棉圆领T恤") {
		t.Errorf("og:title %v", m)
	}
	m := ldRe.FindStringSubmatch(html)
	if m == nil {
		t.Fatal("no JSON-LD")
	}
	var ld struct {
		Type   string   `json:"@type"`
		Name   string   `json:"name"`
		Image  []string `json:"image"`
		SKU    string   `json:"sku"`
		Offers struct {
			Type         string `json:"@type"`
			Price        string `json:"price"`
			Currency     string `json:"priceCurrency"`
			Availability string `json:"availability"`
		} `json:"offers"`
	}
	if err := json.Unmarshal([]byte(m[1]), &ld); err != nil {
		t.Fatalf("JSON-LD %q: %v", m[1], err)
	}
	if ld.Type != "Product" || ld.Name != "纯棉圆领T恤" || ld.Offers.Price != "69.00" || ld.Offers.Currency != "CNY" ||
		ld.Offers.Availability != "https://schema.org/InStock" || len(ld.Image) != 2 || ld.SKU != p.Code {
		t.Errorf("JSON-LD %+v", ld)
	}

	// English on request, remembered by a cookie.
	res = e.DoHost(host, apptest.Req{Method: "GET", Path: "/p/" + string(p.ID) + "?lang=en"})
	if !strings.Contains(string(res.Body), "Add to cart") || !strings.Contains(string(res.Body), `lang="en"`) || !strings.Contains(res.Header.Get("Set-Cookie"), "banyan_lang=en") {
		t.Errorf("english page: %s", res.Header)
	}

	// Points goods offer "Redeem with points" (checkout with the exchange flag, in app.js).
	if strings.Contains(html, `id="redeem"`) {
		t.Errorf("a product without a points price offers redeeming")
	}
	e.Must(200, apptest.Req{Method: "PATCH", Path: "/api/v1/admin/products/" + string(p.ID), Token: shop.OwnerToken, Tenant: shop.Slug,
		Body: map[string]any{"points_price": 300}})
	res = e.DoHost(host, apptest.Req{Method: "GET", Path: "/p/" + string(p.ID) + "?lang=zh-CN"})
	if !strings.Contains(string(res.Body), `value="exchange" id="redeem">积分兑换 · 300 积分`) {
		t.Errorf("points goods page without the redeem action: %s", res.Body)
	}

	// Home and category pages.
	res = e.DoHost(host, apptest.Req{Method: "GET", Path: "/"})
	if res.Status != 200 || !strings.Contains(string(res.Body), "纯棉圆领T恤") || !strings.Contains(string(res.Body), "服装") {
		t.Errorf("home: %s", res)
	}
	res = e.DoHost(host, apptest.Req{Method: "GET", Path: "/c/" + clothes})
	if res.Status != 200 || !strings.Contains(string(res.Body), "/p/"+string(p.ID)) {
		t.Errorf("category page: %d", res.Status)
	}

	// Unknown product, another tenant's product, bad id: 404 pages.
	other, op, _ := shopWithProduct(t, e, "sf-other")
	for _, path := range []string{"/p/" + string(op.ID), "/p/not-a-uuid", "/p/00000000-0000-4000-8000-000000000000", "/no-such-page"} {
		if res := e.DoHost(host, apptest.Req{Method: "GET", Path: path}); res.Status != 404 || !strings.Contains(string(res.Body), "<html") {
			t.Errorf("%s: want a 404 page, got %d", path, res.Status)
		}
	}
	if res := e.DoHost(other.Slug+".shops.test", apptest.Req{Method: "GET", Path: "/p/" + string(op.ID)}); res.Status != 200 {
		t.Errorf("the other shop's own product: %d", res.Status)
	}
}

func TestSearchSitemapRobots(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	shop, p, clothes := shopWithProduct(t, e, "sf-search")
	host := shop.Slug + ".shops.test"

	for _, path := range []string{"/search?q=" + "%E5%9C%86%E9%A2%86", "/search?q=%E7%BA%AF%E6%A3%89+T%E6%81%A4&sort=price_asc&min=10&max=100", "/search?category=" + clothes} {
		res := e.DoHost(host, apptest.Req{Method: "GET", Path: path})
		if res.Status != 200 || !strings.Contains(string(res.Body), "/p/"+string(p.ID)) {
			t.Errorf("%s: %d, product not found", path, res.Status)
		}
		if !strings.Contains(string(res.Body), "服装 (1)") {
			t.Errorf("%s: no facet count", path)
		}
	}
	res := e.DoHost(host, apptest.Req{Method: "GET", Path: "/search?q=%E6%B2%A1%E6%9C%89%E8%BF%99%E4%B8%AA"})
	if res.Status != 200 || strings.Contains(string(res.Body), "/p/"+string(p.ID)) {
		t.Errorf("search for something else: %d", res.Status)
	}
	if res := e.DoHost(host, apptest.Req{Method: "GET", Path: "/search?q=x&min=200"}); strings.Contains(string(res.Body), "/p/"+string(p.ID)) {
		t.Error("the price filter let a 69.00 product through min=200")
	}

	res = e.DoHost(host, apptest.Req{Method: "GET", Path: "/sitemap.xml"})
	var set struct {
		URLs []struct {
			Loc string `xml:"loc"`
		} `xml:"url"`
	}
	if err := xml.Unmarshal(res.Body, &set); err != nil || res.Status != 200 {
		t.Fatalf("sitemap: %v %s", err, res)
	}
	locs := map[string]bool{}
	for _, u := range set.URLs {
		locs[u.Loc] = true
	}
	for _, want := range []string{"http://" + host + "/", "http://" + host + "/p/" + string(p.ID), "http://" + host + "/c/" + clothes} {
		if !locs[want] {
			t.Errorf("sitemap lacks %s: %v", want, locs)
		}
	}

	res = e.DoHost(host, apptest.Req{Method: "GET", Path: "/robots.txt"})
	body := string(res.Body)
	for _, want := range []string{"User-agent: *", "Disallow: /api/", "Disallow: /admin/", "Disallow: /cart", "Disallow: /checkout", "Disallow: /me", "Sitemap: http://" + host + "/sitemap.xml"} {
		if !strings.Contains(body, want) {
			t.Errorf("robots.txt lacks %q:\n%s", want, body)
		}
	}

	// Shells render for the member's pages; static assets are cached.
	for _, path := range []string{"/cart", "/checkout", "/login", "/me", "/me/orders", "/distributor"} {
		if res := e.DoHost(host, apptest.Req{Method: "GET", Path: path}); res.Status != 200 || !strings.Contains(string(res.Body), "app.js") {
			t.Errorf("%s: %d", path, res.Status)
		}
	}
	// The APIs of checkout, orders and the distributor centre are there: no
	// "coming soon"; no payment plugin is enabled: checkout says so.
	for _, path := range []string{"/checkout", "/me/orders", "/distributor"} {
		if res := e.DoHost(host, apptest.Req{Method: "GET", Path: path}); strings.Contains(string(res.Body), `<section class="sec soon">即将上线`) {
			t.Errorf("%s says coming soon", path)
		}
	}
	if res := e.DoHost(host, apptest.Req{Method: "GET", Path: "/checkout"}); !strings.Contains(string(res.Body), "店铺暂未开通在线支付") {
		t.Error("checkout without a payment plugin does not say so")
	}
	// The pages name the script by its asset version (bumped when static/
	// changes); that URL is served and cacheable for good.
	script := regexp.MustCompile(`/static/v[0-9]+/app\.js`).FindString(string(e.DoHost(host, apptest.Req{Method: "GET", Path: "/cart"}).Body))
	if script == "" {
		t.Fatal("the cart page names no versioned app.js")
	}
	res = e.DoHost(host, apptest.Req{Method: "GET", Path: script})
	if res.Status != 200 || !strings.Contains(res.Header.Get("Cache-Control"), "immutable") {
		t.Errorf("app.js: %d %s", res.Status, res.Header)
	}
	// The API keeps answering problem+json for unknown endpoints.
	if res := e.DoHost(host, apptest.Req{Method: "GET", Path: "/api/v1/nope"}); res.Status != 404 || !strings.Contains(res.Header.Get("Content-Type"), "problem+json") {
		t.Errorf("/api/v1/nope: %d %s", res.Status, res.Header.Get("Content-Type"))
	}
}

func TestUnknownAndSuspendedShops(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	shop, p, _ := shopWithProduct(t, e, "sf-susp")
	res := e.DoHost("nosuchshop.shops.test", apptest.Req{Method: "GET", Path: "/"})
	if res.Status != 404 || !strings.Contains(string(res.Body), "店铺不存在") {
		t.Errorf("unknown shop: %s", res)
	}
	op := e.Operator("operator")
	e.Must(200, apptest.Req{Method: "POST", Path: "/api/v1/platform/tenants/" + shop.ID + "/suspend", Token: op, Body: map[string]string{"reason": "unpaid"}})
	for _, path := range []string{"/", "/p/" + string(p.ID), "/sitemap.xml"} {
		res := e.DoHost(shop.Slug+".shops.test", apptest.Req{Method: "GET", Path: path})
		if res.Status != 403 || !strings.Contains(string(res.Body), "店铺已暂停营业") || strings.Contains(string(res.Body), "纯棉") {
			t.Errorf("%s of a suspended shop: %s", path, res)
		}
	}
}
