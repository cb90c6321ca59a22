package catalog_test

import (
	"testing"

	"github.com/banyanmall/banyan/core/catalog"
	"github.com/banyanmall/banyan/core/db"
)

// assertSearchCopy checks that product_search (what keyword search reads,
// migrations/00077) holds exactly the searched columns of every product,
// of every shop.
func assertSearchCopy(t *testing.T, e *env, step string) {
	t.Helper()
	const prod = `SELECT tenant_id, id, category_id, price_cents, created_at, sales_count, status, search_text, length(search_text) FROM products`
	const copy = `SELECT tenant_id, id, category_id, price_cents, created_at, sales_count, status, search_text, len FROM product_search`
	for _, q := range []string{prod + ` EXCEPT ` + copy, copy + ` EXCEPT ` + prod} {
		if n := e.count(`SELECT count(*) FROM (` + q + `) d`); n != 0 {
			t.Fatalf("after %s: %d rows differ between products and product_search (%s)", step, n, q)
		}
	}
	if a, b := e.count(`SELECT count(*) FROM products`), e.count(`SELECT count(*) FROM product_search`); a != b {
		t.Fatalf("after %s: %d products, %d search rows", step, a, b)
	}
}

// TestSearchCopyFollowsEveryProductWrite makes every kind of product write
// and checks after each that the search copy is exact and that search sees
// the change.
func TestSearchCopyFollowsEveryProductWrite(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.runJobs()
	ctx := e.shop("free")
	other := e.shop("free")
	clothes := e.category(ctx, "服装", nil)
	shoes := e.category(ctx, "鞋履", nil)
	shop := []catalog.Status{catalog.OnSale}
	find := func(kw string, q catalog.Query) []catalog.Card {
		t.Helper()
		q.Keyword = kw
		res, err := e.s.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return res.Items
	}

	shirt := e.product(ctx, "纯棉衬衫", clothes, "100", "120")
	e.product(other, "别家商品 棉麻衬衫", nil, "90")
	assertSearchCopy(t, e, "create")

	// Title, tags, brand and category: the text and the facet move.
	_, err := e.s.UpdateProduct(ctx, shirt.ID, catalog.ProductPatch{Title: ptr("亚麻衬衫"), Tags: &[]string{"夏季"}, Brand: ptr("Banyan"), CategoryID: shoes})
	if err != nil {
		t.Fatal(err)
	}
	assertSearchCopy(t, e, "update")
	if got := find("纯棉", catalog.Query{Statuses: shop}); len(got) != 0 {
		t.Fatalf("the old title still matches: %v", titles(got))
	}
	res, err := e.s.Search(ctx, catalog.Query{Keyword: "亚麻 夏季 banyan", Statuses: shop, Facets: true})
	if err != nil || len(res.Items) != 1 || len(res.Facets) != 1 || res.Facets[0].CategoryID != *shoes {
		t.Fatalf("after the update: %+v %v", res, err)
	}

	// Status.
	if _, err := e.s.UpdateProduct(ctx, shirt.ID, catalog.ProductPatch{Status: ptr(catalog.OffShelf)}); err != nil {
		t.Fatal(err)
	}
	assertSearchCopy(t, e, "status")
	if got := find("亚麻", catalog.Query{Statuses: shop}); len(got) != 0 {
		t.Fatalf("an off-shelf product is found on the storefront: %v", titles(got))
	}

	// Prices of the SKUs (the lowest price is what search filters on).
	p, err := e.s.Product(ctx, shirt.ID)
	if err != nil {
		t.Fatal(err)
	}
	skus := []catalog.SKUInput{}
	for _, s := range p.SKUs {
		skus = append(skus, catalog.SKUInput{ID: s.ID, Code: s.Code, Spec: s.Spec, Price: dec("30"), Stock: s.Stock})
	}
	if _, err := e.s.UpdateProduct(ctx, shirt.ID, catalog.ProductPatch{SKUs: &skus, Status: ptr(catalog.OnSale)}); err != nil {
		t.Fatal(err)
	}
	assertSearchCopy(t, e, "SKU prices")
	if got := find("亚麻", catalog.Query{Statuses: shop, MaxPrice: dec("30")}); len(got) != 1 {
		t.Fatalf("the new price is not searched: %v", titles(got))
	}

	// Bulk price, stock and status.
	bulk := []catalog.BulkInput{
		{ProductIDs: []catalog.ProductID{shirt.ID}, Price: dec("45.5")},
		{ProductIDs: []catalog.ProductID{shirt.ID}, Stock: ptr(0)},
		{ProductIDs: []catalog.ProductID{shirt.ID}, Status: ptr(catalog.Draft)},
	}
	for _, in := range bulk {
		if _, err := e.s.Bulk(ctx, in); err != nil {
			t.Fatal(err)
		}
		assertSearchCopy(t, e, "bulk")
	}
	if got := find("亚麻", catalog.Query{MinPrice: dec("45.5"), MaxPrice: dec("45.5"), Statuses: []catalog.Status{catalog.Draft}}); len(got) != 1 {
		t.Fatalf("bulk price and status are not searched: %v", titles(got))
	}

	// Import: new products and an update by code, in one job.
	job, err := e.s.StartImport(ctx, "catalog.csv", catalog.FormatCSV, []byte(goodCSV))
	if err != nil {
		t.Fatal(err)
	}
	if job = waitImport(t, e, ctx, job.ID); job.Status != catalog.JobDone {
		t.Fatalf("import %+v", job)
	}
	assertSearchCopy(t, e, "import")
	again := "product_code,title,sku_code,price\nMUG,陶瓷马克杯,MUG-1,19\n"
	if job, err = e.s.StartImport(ctx, "again.csv", catalog.FormatCSV, []byte(again)); err != nil {
		t.Fatal(err)
	}
	if job = waitImport(t, e, ctx, job.ID); job.Status != catalog.JobDone {
		t.Fatalf("import %+v", job)
	}
	assertSearchCopy(t, e, "import update")
	if got := find("陶瓷", catalog.Query{Statuses: shop, MaxPrice: dec("19")}); titles(got) != "陶瓷马克杯" {
		t.Fatalf("the imported update is not searched: %v", titles(got))
	}

	// Sales recount (a job after RecordPurchase).
	mug := find("马克杯", catalog.Query{Statuses: shop})[0]
	err = e.d.App.InTenant(ctx, func(tx *db.Tx) error {
		return e.s.RecordPurchase(ctx, tx, "", "00000000-0000-0000-0000-000000000001", []catalog.ProductID{mug.ID})
	})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return e.count(`SELECT sales_count FROM product_search WHERE id = $1`, mug.ID) == 1 })
	assertSearchCopy(t, e, "sales recount")

	// Delete.
	if err := e.s.DeleteProduct(ctx, shirt.ID); err != nil {
		t.Fatal(err)
	}
	assertSearchCopy(t, e, "delete")
	if n := e.count(`SELECT count(*) FROM product_search WHERE id = $1`, shirt.ID); n != 0 {
		t.Fatal("a deleted product stays in product_search")
	}

	// The copy is under forced RLS like products: the app sees its shop's rows only.
	var n int
	err = e.d.App.InTenant(ctx, func(tx *db.Tx) error { return tx.GetContext(ctx, &n, `SELECT count(*) FROM product_search`) })
	if err != nil || n != 2 {
		t.Fatalf("the app sees %d search rows (%v), want its shop's 2", n, err)
	}
	// Another shop's product never shows, by short or long words, on the
	// storefront or to staff.
	for _, kw := range []string{"别家", "棉麻", "别家商品", "棉麻衬衫", "衬衫 别家"} {
		if got := find(kw, catalog.Query{}); len(got) != 0 {
			t.Fatalf("%q finds another shop's products: %v", kw, titles(got))
		}
	}
}
