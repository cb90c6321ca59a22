package api_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"

	"github.com/banyanmall/banyan/core/apptest"
	"github.com/banyanmall/banyan/core/catalog"
)

func problemFields(t *testing.T, res *apptest.Resp) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, f := range res.Problem(t).Errors {
		out[f.Field] = f.Code
	}
	return out
}

// TestCatalogThroughTheAPI: a merchant builds a category tree and a product
// with variants, uploads an image; a customer finds it and views it.
func TestCatalogThroughTheAPI(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	shop := e.Signup("cat-shop")
	other := e.Signup("cat-other")
	admin := func(method, path string, body any) apptest.Req {
		return apptest.Req{Method: method, Path: path, Token: shop.OwnerToken, Tenant: shop.Slug, Body: body}
	}
	clothes := newCategory(e, shop, "服装", "")
	men := newCategory(e, shop, "男装", clothes)
	tee := newCategory(e, shop, "T恤", men)
	res := e.Must(422, admin("POST", "/api/v1/admin/categories", map[string]any{"name": "太深", "parent_id": tee}))
	if problemFields(t, res)["parent_id"] != "too_deep" {
		t.Fatalf("fourth level: %s", res)
	}
	var tree struct{ Items []catalog.Category }
	e.Must(200, admin("GET", "/api/v1/admin/categories", nil)).Decode(t, &tree)
	if len(tree.Items) != 1 || tree.Items[0].Children[0].Children[0].Name != "T恤" {
		t.Fatalf("tree %+v", tree)
	}

	product := map[string]any{
		"title": "纯棉圆领T恤", "category_id": tee, "status": "on_sale", "tags": []string{"夏季"},
		"specs":        []any{map[string]any{"name": "颜色", "values": []string{"白", "黑"}}, map[string]any{"name": "尺码", "values": []string{"M", "L"}}},
		"variants":     map[string]any{"code_prefix": "TEE", "price": "69.00", "original_price": "99.00", "cost": "20", "stock": 8},
		"distribution": map[string]any{"mode": "override", "rates": []string{"0.10", "0.05"}},
	}
	var p catalog.Product
	e.Must(201, admin("POST", "/api/v1/admin/products", product)).Decode(t, &p)
	if len(p.SKUs) != 4 || p.SKUs[0].Price.String() != "69" || p.SKUs[0].Cost == nil {
		t.Fatalf("product %+v", p)
	}

	// Bad input names the field and changes nothing.
	bad := []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"title": "x", "skus": []any{map[string]any{"code": "N1", "price": "-5"}}}, "skus[0].price"},
		{map[string]any{"title": "x", "skus": []any{map[string]any{"code": "TEE-1", "price": "5"}}}, "skus[0].code"},
		{map[string]any{"title": "x", "specs": []any{map[string]any{"name": "色", "values": []string{"红", "蓝"}}},
			"skus": []any{map[string]any{"code": "D1", "price": "5", "spec": map[string]string{"色": "红"}},
				map[string]any{"code": "D1", "price": "5", "spec": map[string]string{"色": "蓝"}}}}, "skus[1].code"},
	}
	for _, b := range bad {
		res := e.Must(422, admin("POST", "/api/v1/admin/products", b.body))
		if problemFields(t, res)[b.field] == "" {
			t.Errorf("want %s named: %s", b.field, res)
		}
	}
	res = e.Must(400, admin("POST", "/api/v1/admin/products", map[string]any{"title": "x", "sales_count": 5}))
	if res.Problem(t).Code != "unknown_field" {
		t.Fatalf("sales_count is not settable: %s", res)
	}
	var list catalog.Result
	e.Must(200, admin("GET", "/api/v1/admin/products", nil)).Decode(t, &list)
	if len(list.Items) != 1 {
		t.Fatalf("bad input created products: %+v", list.Items)
	}

	// Images: a real PNG is stored and served; a text file is refused.
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	img.Set(1, 1, color.RGBA{R: 255, A: 255})
	var pngBuf bytes.Buffer
	if err := png.Encode(&pngBuf, img); err != nil {
		t.Fatal(err)
	}
	path := "/api/v1/admin/products/" + string(p.ID) + "/images"
	res = e.Must(422, multipartReq(t, shop, path, "file", "evil.png", []byte("<script>alert(1)</script>"), nil))
	if problemFields(t, res)["file"] != "not_an_image" {
		t.Fatalf("text as image: %s", res)
	}
	e.Must(200, multipartReq(t, shop, path, "file", "a.png", pngBuf.Bytes(), nil)).Decode(t, &p)
	if len(p.Images) != 1 || !strings.HasPrefix(p.Images[0], "/uploads/"+shop.ID+"/") {
		t.Fatalf("images %v", p.Images)
	}
	served := e.Must(200, apptest.Req{Method: "GET", Path: p.Images[0]})
	if served.Header.Get("Content-Type") != "image/png" || !bytes.Equal(served.Body, pngBuf.Bytes()) || served.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("served %v", served.Header)
	}
	e.Must(404, apptest.Req{Method: "GET", Path: "/uploads/" + shop.ID + "/../../etc/passwd"})
	big := make([]byte, catalog.MaxImageSize+10)
	copy(big, pngBuf.Bytes())
	res = e.Do(multipartReq(t, shop, path, "file", "big.png", big, nil))
	if res.Status != 413 && res.Status != 422 {
		t.Fatalf("a 5 MiB+ image: %s", res)
	}

	// The customer's side: search, detail (no cost, view recorded), 404s.
	shopReq := func(path string) apptest.Req { return apptest.Req{Method: "GET", Path: path, Tenant: shop.Slug} }
	var found catalog.Result
	e.Must(200, shopReq("/api/v1/shop/products?q=T恤&category_id="+clothes+"&min_price=60&max_price=70")).Decode(t, &found)
	if len(found.Items) != 1 || found.Items[0].ID != p.ID || len(found.Facets) != 3 {
		t.Fatalf("search %+v", found)
	}
	res = e.Must(200, shopReq("/api/v1/shop/products/"+string(p.ID)))
	if strings.Contains(string(res.Body), `"cost"`) || strings.Contains(string(res.Body), `"rates"`) {
		t.Fatalf("the storefront sees costs or rates: %s", res.Body)
	}
	vid := res.Header.Get("X-Visitor-ID")
	if vid == "" || !strings.Contains(res.Header.Get("Set-Cookie"), "banyan_vid="+vid) {
		t.Fatalf("no visitor id issued: %v", res.Header)
	}
	if n := countRows(t, e, `SELECT count(*) FROM product_views WHERE viewer = $1`, "v:"+vid); n != 1 {
		t.Fatalf("%d views recorded", n)
	}
	e.Must(404, apptest.Req{Method: "GET", Path: "/api/v1/shop/products/" + string(p.ID), Tenant: other.Slug})
	var recs struct{ Items []catalog.Recommendation }
	e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/shop/recommendations?product_id=" + string(p.ID), Tenant: shop.Slug,
		Header: map[string]string{"X-Visitor-ID": vid}}).Decode(t, &recs)
	if len(recs.Items) != 0 { // the only product is the one asked about
		t.Fatalf("recommendations %+v", recs)
	}
	draft := newProduct(e, shop, map[string]any{"title": "草稿", "skus": []any{map[string]any{"code": "DR-1", "price": "1"}}})
	e.Must(404, shopReq("/api/v1/shop/products/"+draft))
	e.Must(200, shopReq("/api/v1/shop/recommendations?limit=5")).Decode(t, &recs)
	if len(recs.Items) != 1 || recs.Items[0].Reason != "best_seller" {
		t.Fatalf("best sellers %+v", recs)
	}

	// Bulk: all or nothing.
	res = e.Must(409, admin("POST", "/api/v1/admin/products/bulk", map[string]any{"sku_codes": []string{"TEE-1", "TEE-2"}, "stock_delta": -9}))
	if !strings.Contains(res.Problem(t).Detail, "TEE-1") {
		t.Fatalf("bulk stock below zero: %s", res)
	}
	res = e.Must(422, admin("POST", "/api/v1/admin/products/bulk", map[string]any{"sku_codes": []string{"TEE-1", "NOPE"}, "price": "1"}))
	if problemFields(t, res)["sku_codes[1]"] != "not_found" {
		t.Fatalf("bulk unknown code: %s", res)
	}
	var br catalog.BulkResult
	e.Must(200, admin("POST", "/api/v1/admin/products/bulk", map[string]any{"product_ids": []string{string(p.ID)}, "price": "59.90", "status": "off_shelf"})).Decode(t, &br)
	if br.SKUs != 4 || br.Products != 1 {
		t.Fatalf("bulk %+v", br)
	}
	e.Must(404, shopReq("/api/v1/shop/products/"+string(p.ID)))

	// Export in both formats.
	csvRes := e.Must(200, admin("GET", "/api/v1/admin/products/export?format=csv", nil))
	if !strings.Contains(string(csvRes.Body), "TEE-1,颜色:白;尺码:M,59.90") {
		t.Fatalf("csv export:\n%s", csvRes.Body)
	}
	xlsxRes := e.Must(200, admin("GET", "/api/v1/admin/products/export?format=xlsx", nil))
	f, err := excelize.OpenReader(bytes.NewReader(xlsxRes.Body))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := f.GetRows("Sheet1")
	if len(rows) != 6 || rows[0][0] != "product_code" {
		t.Fatalf("xlsx export rows %v", rows)
	}
	e.Must(422, admin("GET", "/api/v1/admin/products/export?format=pdf", nil))

	// Delete: a category in use is refused; an empty one goes.
	res = e.Must(409, admin("DELETE", "/api/v1/admin/categories/"+tee, nil))
	if !strings.Contains(res.Problem(t).Detail, "1 products") {
		t.Fatalf("delete a category with products: %s", res)
	}
	e.Must(204, admin("DELETE", "/api/v1/admin/products/"+string(p.ID), nil))
	e.Must(204, admin("DELETE", "/api/v1/admin/categories/"+tee, nil))
	e.Must(404, apptest.Req{Method: "GET", Path: p.Images[0]})
}

var dec20 = decimal.NewFromInt(20)

func countRows(t *testing.T, e *apptest.Env, q string, args ...any) int {
	t.Helper()
	var n int
	if err := e.DB.Owner.Get(&n, q, args...); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestImportXLSX10k: 10,000 SKUs from an .xlsx file through the API, with
// the progress polled, then found by a customer.
func TestImportXLSX10k(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	shop := e.Signup("big-import")
	// The free plan allows 200 products; this shop is on growth.
	if _, err := e.DB.Owner.Exec(`UPDATE tenants SET plan_id = (SELECT id FROM plans WHERE code = 'growth') WHERE id = $1`, shop.ID); err != nil {
		t.Fatal(err)
	}
	const products, sizes = 2000, 5
	kinds := []struct{ title, path string }{
		{"男装纯棉T恤", "服装/男装/T恤"}, {"女装真丝连衣裙", "服装/女装/连衣裙"}, {"运动跑鞋", "鞋靴/运动鞋"}, {"Wireless Earbuds 无线耳机", "数码/耳机"},
	}
	f := excelize.NewFile()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	header := []any{"product_code", "title", "category_path", "tags", "status", "sku_code", "spec", "price", "stock"}
	if err := sw.SetRow("A1", header); err != nil {
		t.Fatal(err)
	}
	row := 1
	for i := 0; i < products; i++ {
		k := kinds[i%len(kinds)]
		for j, size := range []string{"S", "M", "L", "XL", "XXL"}[:sizes] {
			row++
			cell, _ := excelize.CoordinatesToCellName(1, row)
			r := []any{fmt.Sprintf("P%05d", i), nil, nil, nil, nil, fmt.Sprintf("P%05d-%s", i, size), "尺码:" + size, 10 + float64(i%200) + float64(j), 100}
			if j == 0 {
				r[1], r[2], r[3], r[4] = fmt.Sprintf("%s %d号", k.title, i), k.path, "新品|热卖", "on_sale"
			}
			if err := sw.SetRow(cell, r); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var rep catalog.ImportReport
	e.Must(200, multipartReq(t, shop, "/api/v1/admin/products/import", "file", "catalog.xlsx", buf.Bytes(), map[string]string{"dry_run": "true"})).Decode(t, &rep)
	if !rep.Valid || rep.Rows != products*sizes || rep.Products != products || rep.NewProducts != products {
		t.Fatalf("dry run %+v", rep)
	}
	t.Logf("dry run of %d rows: %v", rep.Rows, time.Since(start))
	var job catalog.ImportJob
	e.Must(202, multipartReq(t, shop, "/api/v1/admin/products/import", "file", "catalog.xlsx", buf.Bytes(), nil)).Decode(t, &job)
	seen := map[int]bool{}
	deadline := time.Now().Add(90 * time.Second)
	for job.Status != catalog.JobDone && job.Status != catalog.JobFailed {
		if time.Now().After(deadline) {
			t.Fatalf("import not done: %+v", job)
		}
		time.Sleep(50 * time.Millisecond)
		e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/admin/products/import/" + string(job.ID), Token: shop.OwnerToken, Tenant: shop.Slug}).Decode(t, &job)
		if job.Total != products*sizes {
			t.Fatalf("total %d", job.Total)
		}
		seen[job.Done] = true
	}
	t.Logf("import of %d rows: %v; progress values seen: %d", job.Total, time.Since(start), len(seen))
	if job.Status != catalog.JobDone || job.Done != job.Total || len(job.Errors) != 0 {
		t.Fatalf("job %+v", job)
	}
	if len(seen) < 3 {
		t.Errorf("progress went %v: want intermediate values", seen)
	}
	if n := countRows(t, e, `SELECT count(*) FROM skus WHERE tenant_id = $1`, shop.ID); n != products*sizes {
		t.Fatalf("%d SKUs imported", n)
	}
	if n := countRows(t, e, `SELECT count(*) FROM products WHERE tenant_id = $1 AND status = 'on_sale'`, shop.ID); n != products {
		t.Fatalf("%d products imported", n)
	}
	var jobsList struct{ Items []catalog.ImportJob }
	e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/admin/jobs", Token: shop.OwnerToken, Tenant: shop.Slug}).Decode(t, &jobsList)
	if len(jobsList.Items) != 1 || jobsList.Items[0].ID != job.ID {
		t.Fatalf("jobs %+v", jobsList)
	}

	// A customer finds them by a Chinese keyword, a category and a price range.
	var tree struct{ Items []catalog.Category }
	e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/shop/categories", Tenant: shop.Slug}).Decode(t, &tree)
	var clothes string
	for _, c := range tree.Items {
		if c.Name == "服装" {
			clothes = string(c.ID)
		}
	}
	q := url.Values{"q": {"连衣裙"}, "category_id": {clothes}, "min_price": {"20"}, "max_price": {"29.99"}, "limit": {"100"}, "sort": {"price_asc"}}
	var res catalog.Result
	e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/shop/products?" + q.Encode(), Tenant: shop.Slug}).Decode(t, &res)
	// 女装 products are i%4 == 1; price 10+i%200 in [20, 29.99] → i%200 in 10..19.
	want := 0
	for i := 0; i < products; i++ {
		if i%4 == 1 && i%200 >= 10 && i%200 <= 19 {
			want++
		}
	}
	if len(res.Items) != want || want == 0 {
		t.Fatalf("found %d, want %d", len(res.Items), want)
	}
	for _, c := range res.Items {
		if !strings.Contains(c.Title, "连衣裙") || c.MinPrice.LessThan(dec20) || c.Stock != 500 {
			t.Fatalf("result %+v", c)
		}
	}
}

// TestShopImageUpload: the merchant uploads a banner or logo image and gets
// the URL it is served at; a file that is not an image is refused and a role
// without settings:write cannot upload.
func TestShopImageUpload(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	shop := e.Signup("img-shop")
	img := image.NewRGBA(image.Rect(0, 0, 8, 3))
	img.Set(2, 1, color.RGBA{B: 255, A: 255})
	var pngBuf bytes.Buffer
	if err := png.Encode(&pngBuf, img); err != nil {
		t.Fatal(err)
	}
	var up struct {
		URL string `json:"url"`
	}
	e.Must(201, multipartReq(t, shop, "/api/v1/admin/images", "file", "banner.png", pngBuf.Bytes(), nil)).Decode(t, &up)
	if !strings.HasPrefix(up.URL, "/uploads/"+shop.ID+"/") || !strings.HasSuffix(up.URL, ".png") {
		t.Fatalf("url %q", up.URL)
	}
	served := e.Must(200, apptest.Req{Method: "GET", Path: up.URL})
	if served.Header.Get("Content-Type") != "image/png" || !bytes.Equal(served.Body, pngBuf.Bytes()) {
		t.Fatalf("served %v", served.Header)
	}
	// The URL is accepted as a banner image.
	e.Must(200, apptest.Req{Method: "PATCH", Path: "/api/v1/admin/settings", Token: shop.OwnerToken, Tenant: shop.Slug,
		Body: map[string]any{"banners": []map[string]any{{"image": up.URL, "link": "/", "title": "上新", "sort": 10}}}})

	res := e.Must(422, multipartReq(t, shop, "/api/v1/admin/images", "file", "evil.png", []byte("<svg onload=alert(1)>"), nil))
	if problemFields(t, res)["file"] != "not_an_image" {
		t.Fatalf("text as image: %s", res)
	}
	support, _ := e.AddStaff(shop, "support")
	req := multipartReq(t, shop, "/api/v1/admin/images", "file", "banner.png", pngBuf.Bytes(), nil)
	req.Token = support
	e.Must(403, req)
}
