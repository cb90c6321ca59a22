package catalog_test

import (
	"sort"
	"strings"
	"testing"

	"github.com/banyanmall/banyan/core/catalog"
	"github.com/banyanmall/banyan/core/page"
)

func titles(cs []catalog.Card) string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Title
	}
	return strings.Join(out, ",")
}

func sortedTitles(cs []catalog.Card) string {
	out := strings.Split(titles(cs), ",")
	sort.Strings(out)
	return strings.Join(out, ",")
}

func TestSearch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := e.shop("free")
	clothes := e.category(ctx, "服装", nil)
	men := e.category(ctx, "男装", clothes)
	women := e.category(ctx, "女装", clothes)
	digital := e.category(ctx, "数码", nil)
	e.product(ctx, "男装纯棉T恤", men, "59", "79")
	e.product(ctx, "男装休闲衬衫", men, "129")
	e.product(ctx, "女装连衣裙", women, "299")
	e.product(ctx, "Wireless Headphones 无线耳机", digital, "399")
	draft, err := e.s.CreateProduct(ctx, catalog.ProductInput{Title: "男装草稿", CategoryID: men,
		SKUs: []catalog.SKUInput{{Code: "DRAFT-1", Price: dec("1")}}})
	if err != nil {
		t.Fatal(err)
	}
	soldOut, err := e.s.CreateProduct(ctx, catalog.ProductInput{Title: "男装羽绒服", CategoryID: men, Status: catalog.OnSale, Tags: []string{"冬季"},
		SKUs: []catalog.SKUInput{{Code: "DOWN-1", Price: dec("899"), Stock: 0}}})
	if err != nil {
		t.Fatal(err)
	}
	// Another shop's matching product never shows.
	other := e.shop("free")
	e.product(other, "男装别家T恤", nil, "60")

	shop := []catalog.Status{catalog.OnSale}
	cases := []struct {
		name string
		q    catalog.Query
		want string // titles in order; "~" prefix: any order
	}{
		{"two-character Chinese keyword", catalog.Query{Keyword: "男装", Statuses: shop}, "~男装休闲衬衫,男装纯棉T恤,男装羽绒服"},
		{"three-character keyword", catalog.Query{Keyword: "连衣裙", Statuses: shop}, "女装连衣裙"},
		{"single character", catalog.Query{Keyword: "衫", Statuses: shop}, "男装休闲衬衫"},
		{"mixed case English", catalog.Query{Keyword: "HEADPHONES", Statuses: shop}, "Wireless Headphones 无线耳机"},
		{"two words, both required", catalog.Query{Keyword: "男装 t恤", Statuses: shop}, "男装纯棉T恤"},
		{"tag", catalog.Query{Keyword: "冬季", Statuses: shop}, "男装羽绒服"},
		{"no match", catalog.Query{Keyword: "手机", Statuses: shop}, ""},
		{"category with subcategories", catalog.Query{CategoryID: clothes, Sort: catalog.SortPriceAsc, Statuses: shop}, "男装纯棉T恤,男装休闲衬衫,女装连衣裙,男装羽绒服"},
		{"subcategory", catalog.Query{CategoryID: women, Statuses: shop}, "女装连衣裙"},
		{"price range (lowest SKU price)", catalog.Query{MinPrice: dec("50"), MaxPrice: dec("130"), Sort: catalog.SortPriceDesc, Statuses: shop}, "男装休闲衬衫,男装纯棉T恤"},
		{"in stock", catalog.Query{Keyword: "男装", InStock: true, Statuses: shop}, "~男装休闲衬衫,男装纯棉T恤"},
		{"keyword, category and price", catalog.Query{Keyword: "男装", CategoryID: clothes, MaxPrice: dec("100"), Statuses: shop}, "男装纯棉T恤"},
		{"staff see drafts", catalog.Query{Keyword: "草稿"}, "男装草稿"},
		{"staff filter by status", catalog.Query{Statuses: []catalog.Status{catalog.Draft}}, "男装草稿"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := e.s.Search(ctx, c.q)
			if err != nil {
				t.Fatal(err)
			}
			got := titles(res.Items)
			if strings.HasPrefix(c.want, "~") {
				got = "~" + sortedTitles(res.Items)
			}
			if got != c.want {
				t.Fatalf("got %q, want %q", got, c.want)
			}
		})
	}
	_ = draft
	_ = soldOut

	t.Run("facets roll up the tree", func(t *testing.T) {
		res, err := e.s.Search(ctx, catalog.Query{Keyword: "装", Statuses: shop, Facets: true})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for _, f := range res.Facets {
			got[f.Name] = f.Count
		}
		if got["服装"] != 4 || got["男装"] != 3 || got["女装"] != 1 || len(got) != 3 {
			t.Fatalf("facets %v", got)
		}
	})

	t.Run("cursor pagination", func(t *testing.T) {
		for _, sortBy := range []string{catalog.SortNewest, catalog.SortPriceAsc, catalog.SortPriceDesc, catalog.SortSales, catalog.SortRelevance} {
			q := catalog.Query{Statuses: shop, Sort: sortBy, Page: page.Request{Limit: 2}}
			if sortBy == catalog.SortRelevance {
				q.Keyword = "装"
			}
			all, err := e.s.Search(ctx, catalog.Query{Statuses: shop, Sort: sortBy, Keyword: q.Keyword, Page: page.Request{Limit: 100}})
			if err != nil {
				t.Fatal(err)
			}
			var paged []catalog.Card
			for i := 0; i < 10; i++ {
				res, err := e.s.Search(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				paged = append(paged, res.Items...)
				if res.NextCursor == "" {
					break
				}
				q.Page.Cursor = res.NextCursor
			}
			if titles(paged) != titles(all.Items) || len(paged) < 4 {
				t.Fatalf("%s: paged %q, all %q", sortBy, titles(paged), titles(all.Items))
			}
		}
	})

	t.Run("bad queries name the field", func(t *testing.T) {
		for field, q := range map[string]catalog.Query{
			"sort":      {Sort: "cheapest"},
			"max_price": {MinPrice: dec("10"), MaxPrice: dec("5")},
			"cursor":    {Page: page.Request{Cursor: "garbage!"}},
		} {
			if _, err := e.s.Search(ctx, q); fieldsOf(err)[field] == "" {
				t.Errorf("%s: %v", field, err)
			}
		}
	})
}
