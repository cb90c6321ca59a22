package main

import (
	"context"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/app"
	"github.com/banyanmall/banyan/core/catalog"
	"github.com/banyanmall/banyan/core/tenancy"
)

// seedCatalog gives the demo shop a small catalogue: a category tree and a
// few products on sale, some with variants.
func seedCatalog(ctx context.Context, a *app.App, tenant tenancy.TenantID) error {
	ctx = tenancy.With(ctx, tenancy.Tenant{ID: tenant})
	price := func(s string) *decimal.Decimal { d := decimal.RequireFromString(s); return &d }
	ids := map[string]*catalog.CategoryID{}
	for _, c := range []struct{ name, parent string }{
		{"服装", ""}, {"男装", "服装"}, {"女装", "服装"}, {"数码", ""}, {"耳机", "数码"}, {"家居", ""},
	} {
		cat, err := a.Catalog.CreateCategory(ctx, catalog.CategoryInput{Name: c.name, ParentID: ids[c.parent]})
		if err != nil {
			return fmt.Errorf("seed category %s: %w", c.name, err)
		}
		ids[c.name] = &cat.ID
	}
	sizes := []catalog.SpecAttr{{Name: "颜色", Values: []string{"白", "黑"}}, {Name: "尺码", Values: []string{"M", "L", "XL"}}}
	products := []catalog.ProductInput{
		{Code: "DEMO-TEE", Title: "纯棉圆领短袖T恤", Subtitle: "夏季新款 透气舒适", CategoryID: ids["男装"], Tags: []string{"夏季", "纯棉"},
			Specs: sizes, Variants: &catalog.VariantTemplate{CodePrefix: "DEMO-TEE", Price: price("69.00"), OriginalPrice: price("99.00"), Stock: 100}},
		{Code: "DEMO-SHIRT", Title: "男士商务长袖衬衫", CategoryID: ids["男装"], Tags: []string{"商务"},
			Specs: sizes, Variants: &catalog.VariantTemplate{CodePrefix: "DEMO-SHIRT", Price: price("159.00"), Stock: 50},
			Distribution: &catalog.Distribution{Mode: catalog.DistOverride, Rates: []decimal.Decimal{*price("0.10"), *price("0.05")}}},
		{Code: "DEMO-DRESS", Title: "真丝连衣裙", Subtitle: "优雅气质", CategoryID: ids["女装"], Tags: []string{"真丝"},
			Specs: []catalog.SpecAttr{{Name: "尺码", Values: []string{"S", "M", "L"}}}, Variants: &catalog.VariantTemplate{CodePrefix: "DEMO-DRESS", Price: price("399.00"), Stock: 20}},
		{Code: "DEMO-EARBUDS", Title: "Wireless Earbuds 无线蓝牙耳机", CategoryID: ids["耳机"], Tags: []string{"蓝牙"},
			SKUs: []catalog.SKUInput{{Code: "DEMO-EARBUDS-1", Price: price("199.00"), OriginalPrice: price("299.00"), Stock: 30}}},
		{Code: "DEMO-MUG", Title: "陶瓷马克杯", CategoryID: ids["家居"], PointsPrice: func() *int { n := 2000; return &n }(),
			SKUs: []catalog.SKUInput{{Code: "DEMO-MUG-1", Price: price("29.90"), Stock: 200}}},
	}
	for _, p := range products {
		p.Status = catalog.OnSale
		if p.Description == "" {
			p.Description = "<p>" + p.Title + "</p>"
		}
		if _, err := a.Catalog.CreateProduct(ctx, p); err != nil {
			return fmt.Errorf("seed product %s: %w", p.Code, err)
		}
	}
	return nil
}
