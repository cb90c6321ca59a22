package catalog_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/catalog"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/tenancy"
)

// fieldsOf returns the field names of a validation error.
func fieldsOf(err error) map[string]string {
	out := map[string]string{}
	var e *errs.Error
	if errors.As(err, &e) {
		for _, f := range e.Fields {
			out[f.Field] = f.Code
		}
	}
	return out
}

func TestCategoryTree(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := e.shop("free")
	clothes := e.category(ctx, "服装", nil)
	men := e.category(ctx, "男装", clothes)
	tee := e.category(ctx, "T恤", men)
	e.category(ctx, "女装", clothes)

	if _, err := e.s.CreateCategory(ctx, catalog.CategoryInput{Name: "太深", ParentID: tee}); fieldsOf(err)["parent_id"] != "too_deep" {
		t.Fatalf("a fourth level: %v", err)
	}
	if _, err := e.s.CreateCategory(ctx, catalog.CategoryInput{Name: "男装", ParentID: clothes}); fieldsOf(err)["name"] != "taken" {
		t.Fatalf("duplicate name at a level: %v", err)
	}
	if _, err := e.s.CreateCategory(ctx, catalog.CategoryInput{Name: "a/b"}); fieldsOf(err)["name"] != "invalid" {
		t.Fatalf("slash in a name: %v", err)
	}
	tree, err := e.s.Tree(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(tree) != 1 || len(tree[0].Children) != 2 || tree[0].Children[0].Name != "女装" || len(tree[0].Children[1].Children) != 1 {
		t.Fatalf("tree %+v", tree)
	}

	// Moving 男装 (two levels) under 女装 would make four levels.
	if _, err := e.s.UpdateCategory(ctx, *men, catalog.CategoryPatch{ParentID: &tree[0].Children[0].ID}); fieldsOf(err)["parent_id"] != "too_deep" {
		t.Fatalf("move too deep: %v", err)
	}
	if _, err := e.s.UpdateCategory(ctx, *clothes, catalog.CategoryPatch{ParentID: tee}); fieldsOf(err)["parent_id"] != "cycle" {
		t.Fatalf("move under itself: %v", err)
	}
	root := catalog.CategoryID("")
	moved, err := e.s.UpdateCategory(ctx, *men, catalog.CategoryPatch{ParentID: &root})
	if err != nil || moved.Depth != 1 || moved.ParentID != nil {
		t.Fatalf("move to top: %+v %v", moved, err)
	}
	if n := e.count(`SELECT depth FROM categories WHERE id = $1`, *tee); n != 2 {
		t.Fatalf("the subtree moved with it: T恤 at depth %d", n)
	}

	// Deleting a category with children or products is refused, clearly.
	e.product(ctx, "圆领T恤", tee, "59")
	err = e.s.DeleteCategory(ctx, *men)
	if !errs.Is(err, errs.InvalidState) || !strings.Contains(err.Error(), "1 subcategories") {
		t.Fatalf("delete with children: %v", err)
	}
	err = e.s.DeleteCategory(ctx, *tee)
	if !errs.Is(err, errs.InvalidState) || !strings.Contains(err.Error(), "1 products") {
		t.Fatalf("delete with products: %v", err)
	}
	if err := e.s.DeleteCategory(ctx, tree[0].Children[0].ID); err != nil {
		t.Fatalf("delete an empty category: %v", err)
	}
	other := e.shop("free")
	if err := e.s.DeleteCategory(other, *tee); !errs.Is(err, errs.NotFound) {
		t.Fatalf("another shop deletes a category: %v", err)
	}
}

func TestCreateProductWithVariants(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := e.shop("free")
	in := catalog.ProductInput{
		Title: "纯棉短袖T恤", Subtitle: "夏季新款", Brand: "Banyan", Tags: []string{"夏季", "纯棉"},
		Description: `<p>好<script>alert(1)</script><a href="javascript:x()" onclick="y()">link</a></p>`,
		Specs:       []catalog.SpecAttr{{Name: "颜色", Values: []string{"红", "蓝"}}, {Name: "尺码", Values: []string{"M", "L"}}},
		SKUs: []catalog.SKUInput{{Code: "TEE-RED-L", Spec: map[string]string{"颜色": "红", "尺码": "L"}, Price: dec("79.00"),
			OriginalPrice: dec("99"), Cost: dec("30"), Stock: 5, Weight: dec("0.25")}},
		Variants:     &catalog.VariantTemplate{CodePrefix: "TEE", Price: dec("69.50"), Stock: 10},
		Distribution: &catalog.Distribution{Mode: catalog.DistOverride, Rates: []decimalT{*dec("0.10"), *dec("0.05")}},
		PointsPrice:  ptr(6900),
	}
	p, err := e.s.CreateProduct(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.SKUs) != 4 || p.MinPrice.String() != "69.5" || p.MaxPrice.String() != "79" || p.Status != catalog.Draft {
		t.Fatalf("product %+v", p)
	}
	if strings.Contains(p.Description, "script") || strings.Contains(p.Description, "javascript") || strings.Contains(p.Description, "onclick") {
		t.Fatalf("description not sanitised: %s", p.Description)
	}
	codes := map[string]string{}
	for _, s := range p.SKUs {
		codes[s.Code] = s.SpecText
	}
	if codes["TEE-RED-L"] != "颜色:红;尺码:L" || codes["TEE-1"] != "颜色:红;尺码:M" || codes["TEE-4"] != "颜色:蓝;尺码:L" || len(codes) != 4 {
		t.Fatalf("generated variants %v", codes)
	}
	if p.Distribution.Mode != "override" || len(p.Distribution.Rates) != 2 || *p.PointsPrice != 6900 {
		t.Fatalf("distribution %+v points %v", p.Distribution, p.PointsPrice)
	}

	// Update: rename, drop a SKU, change a price; the range follows.
	skus := []catalog.SKUInput{}
	for _, s := range p.SKUs {
		if s.Code == "TEE-4" {
			continue
		}
		price := s.Price
		if s.Code == "TEE-RED-L" {
			price = *dec("129")
		}
		skus = append(skus, catalog.SKUInput{ID: s.ID, Code: s.Code, Spec: s.Spec, Price: &price, Stock: s.Stock})
	}
	title := "纯棉短袖T恤 2代"
	p2, err := e.s.UpdateProduct(ctx, p.ID, catalog.ProductPatch{Title: &title, SKUs: &skus})
	if err != nil {
		t.Fatal(err)
	}
	if len(p2.SKUs) != 3 || p2.MaxPrice.String() != "129" || p2.Title != title {
		t.Fatalf("updated %+v", p2)
	}
}

type decimalT = decimal.Decimal

func ptr[T any](v T) *T { return &v }

func TestProductValidationNamesEveryField(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := e.shop("free")
	e.product(ctx, "已有商品", nil, "10")
	existing, _ := e.s.Search(ctx, catalog.Query{})
	taken := ""
	if p, err := e.s.Product(ctx, existing.Items[0].ID); err == nil {
		taken = p.SKUs[0].Code
	}
	cases := []struct {
		name  string
		in    catalog.ProductInput
		field string
		code  string
	}{
		{"negative price", catalog.ProductInput{Title: "x", SKUs: []catalog.SKUInput{{Code: "A1", Price: dec("-1")}}}, "skus[0].price", "negative"},
		{"three decimals", catalog.ProductInput{Title: "x", SKUs: []catalog.SKUInput{{Code: "A1", Price: dec("1.005")}}}, "skus[0].price", "precision"},
		{"missing price", catalog.ProductInput{Title: "x", SKUs: []catalog.SKUInput{{Code: "A1"}}}, "skus[0].price", "required"},
		{"no title", catalog.ProductInput{SKUs: []catalog.SKUInput{{Code: "A1", Price: dec("1")}}}, "title", "length"},
		{"no skus", catalog.ProductInput{Title: "x"}, "skus", "required"},
		{"sku code twice", catalog.ProductInput{Title: "x",
			Specs: []catalog.SpecAttr{{Name: "色", Values: []string{"红", "蓝"}}},
			SKUs: []catalog.SKUInput{{Code: "A1", Spec: map[string]string{"色": "红"}, Price: dec("1")},
				{Code: "A1", Spec: map[string]string{"色": "蓝"}, Price: dec("1")}}}, "skus[1].code", "duplicate"},
		{"sku code of another product", catalog.ProductInput{Title: "x", SKUs: []catalog.SKUInput{{Code: taken, Price: dec("1")}}}, "skus[0].code", "taken"},
		{"spec not offered", catalog.ProductInput{Title: "x", Specs: []catalog.SpecAttr{{Name: "色", Values: []string{"红"}}},
			SKUs: []catalog.SKUInput{{Code: "A1", Spec: map[string]string{"色": "绿"}, Price: dec("1")}}}, "skus[0].spec", "mismatch"},
		{"bad rate", catalog.ProductInput{Title: "x", SKUs: []catalog.SKUInput{{Code: "A1", Price: dec("1")}},
			Distribution: &catalog.Distribution{Mode: "override", Rates: []decimalT{*dec("1.5")}}}, "distribution.rates[0]", "out_of_range"},
		{"rates without override", catalog.ProductInput{Title: "x", SKUs: []catalog.SKUInput{{Code: "A1", Price: dec("1")}},
			Distribution: &catalog.Distribution{Mode: "none", Rates: []decimalT{*dec("0.1")}}}, "distribution.rates", "not_allowed"},
		{"image not a url", catalog.ProductInput{Title: "x", Images: []string{"javascript:alert(1)"}, SKUs: []catalog.SKUInput{{Code: "A1", Price: dec("1")}}}, "images[0]", "invalid"},
		{"another shop's upload", catalog.ProductInput{Title: "x", Images: []string{"/uploads/00000000-0000-0000-0000-000000000000/0123456789abcdef0123456789abcdef.png"},
			SKUs: []catalog.SKUInput{{Code: "A1", Price: dec("1")}}}, "images[0]", "invalid"},
		{"points", catalog.ProductInput{Title: "x", PointsPrice: ptr(-5), SKUs: []catalog.SKUInput{{Code: "A1", Price: dec("1")}}}, "points_price", "out_of_range"},
	}
	before := e.count(`SELECT count(*) FROM products`)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.s.CreateProduct(ctx, c.in)
			if got := fieldsOf(err)[c.field]; got != c.code {
				t.Fatalf("want %s %s, got %v", c.field, c.code, err)
			}
		})
	}
	if n := e.count(`SELECT count(*) FROM products`); n != before {
		t.Fatalf("bad input created %d products", n-before)
	}
}

func TestProductQuota(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if _, err := e.d.Owner.Exec(`INSERT INTO plans (code, name, max_staff, max_products, max_plugins) VALUES ('tiny', 'Tiny', 1, 2, 0)`); err != nil {
		t.Fatal(err)
	}
	ctx := e.shop("tiny")
	e.product(ctx, "one", nil, "1")
	e.product(ctx, "two", nil, "1")
	_, err := e.s.CreateProduct(ctx, catalog.ProductInput{Title: "three", SKUs: []catalog.SKUInput{{Code: "THREE", Price: dec("1")}}})
	if !errs.Is(err, errs.QuotaExceeded) {
		t.Fatalf("third product on a 2-product plan: %v", err)
	}
	// Imports respect the quota too: the product over it is refused by name.
	rep, err := e.s.CheckImport(ctx, catalog.FormatCSV, []byte("product_code,title,sku_code,price\nNEW,新品,NEW-1,1\n"))
	if err != nil || rep.Valid || len(rep.Errors) != 1 || !strings.Contains(rep.Errors[0].Message, "plan") {
		t.Fatalf("import over the quota: %+v %v", rep, err)
	}
	// The platform's usage report counts real products.
	var n int
	if err := e.d.Owner.Get(&n, `SELECT products FROM platform_tenant_usage(ARRAY[$1]::uuid[])`, string(tenancy.ID(ctx))); err != nil || n != 2 {
		t.Fatalf("usage: %d products, %v", n, err)
	}
}
