package catalog_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/banyanmall/banyan/core/catalog"
	"github.com/banyanmall/banyan/core/page"
	"github.com/banyanmall/banyan/core/tenancy"
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

// titlesLike lists the titles of cs in order, or sorted after a "~" when
// want starts with one (any order).
func titlesLike(want string, cs []catalog.Card) string {
	if strings.HasPrefix(want, "~") {
		return "~" + sortedTitles(cs)
	}
	return titles(cs)
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
			if got := titlesLike(c.want, res.Items); got != c.want {
				t.Fatalf("got %q, want %q", got, c.want)
			}
		})
	}
	_ = draft
	_ = soldOut

	t.Run("short words of Chinese, Latin and both", func(t *testing.T) {
		ctx := e.shop("free")
		e.product(ctx, "TV 电视机 4K", nil, "1999")
		e.product(ctx, "纯棉T恤 男款", nil, "59")
		e.product(ctx, "Leather bag 皮包", nil, "299")
		for _, c := range []struct{ kw, want string }{
			{"tv", "TV 电视机 4K"},         // two Latin letters: the gram index
			{"4k", "TV 电视机 4K"},         // digit and letter
			{"t恤", "纯棉T恤 男款"},           // Latin and CJK in one word
			{"电", "TV 电视机 4K"},          // one character
			{"包 bag", "Leather bag 皮包"}, // a short and a longer word: trigrams, then LIKE
			{"视 tv", "TV 电视机 4K"},       // two short words, both required
			{"皮 tv", ""},
			{"g 皮", "Leather bag 皮包"},
		} {
			res, err := e.s.Search(ctx, catalog.Query{Keyword: c.kw, Statuses: shop})
			if err != nil {
				t.Fatal(err)
			}
			if got := titles(res.Items); got != c.want {
				t.Errorf("%q: got %q, want %q", c.kw, got, c.want)
			}
		}
	})

	t.Run("shops whose ids share the gram prefix stay apart", func(t *testing.T) {
		// The gram index keys carry the first 8 hex digits of the tenant id;
		// two shops with the same 8 digits share posting lists, and the
		// search must still answer with the asking shop's products only.
		var a, b context.Context
		for i, id := range []string{"abcdef01-0000-4000-8000-000000000001", "abcdef01-0000-4000-8000-000000000002"} {
			slug := fmt.Sprintf("prefix-%d", i)
			if _, err := e.d.Owner.Exec(`INSERT INTO tenants (id, slug, name, plan_id) SELECT $1, $2, $2, id FROM plans WHERE code = 'free'`, id, slug); err != nil {
				t.Fatal(err)
			}
			ctx := tenancy.With(context.Background(), tenancy.Tenant{ID: tenancy.TenantID(id), Slug: slug})
			e.product(ctx, fmt.Sprintf("男装 店%d", i), nil, "10")
			if i == 0 {
				a = ctx
			} else {
				b = ctx
			}
		}
		for want, ctx := range map[string]context.Context{"男装 店0": a, "男装 店1": b} {
			for _, kw := range []string{"男装", "店", "男装 店"} {
				res, err := e.s.Search(ctx, catalog.Query{Keyword: kw, Statuses: shop, Facets: true})
				if err != nil {
					t.Fatal(err)
				}
				if got := titles(res.Items); got != want {
					t.Errorf("%q: got %q, want %q", kw, got, want)
				}
			}
		}
	})

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

	// With a long word or in_stock, catalog_search collects the filtered
	// matches once for the page and the counts (migrations/00077).
	t.Run("facets of a long word or in stock", func(t *testing.T) {
		for _, c := range []struct {
			name   string
			q      catalog.Query
			items  string
			facets map[string]int
		}{
			{"in stock", catalog.Query{Keyword: "男装", InStock: true}, "~男装休闲衬衫,男装纯棉T恤", map[string]int{"服装": 2, "男装": 2}},
			{"long word", catalog.Query{Keyword: "男装纯棉"}, "男装纯棉T恤", map[string]int{"服装": 1, "男装": 1}},
			{"the category filters the items, not the facets", catalog.Query{Keyword: "男装纯棉", CategoryID: women}, "", map[string]int{"服装": 1, "男装": 1}},
			{"long and short words, price", catalog.Query{Keyword: "衫 男装休闲", MaxPrice: dec("200")}, "男装休闲衬衫", map[string]int{"服装": 1, "男装": 1}},
		} {
			c.q.Statuses, c.q.Facets = shop, true
			res, err := e.s.Search(ctx, c.q)
			if err != nil {
				t.Fatal(err)
			}
			got := titlesLike(c.items, res.Items)
			facets := map[string]int{}
			for _, f := range res.Facets {
				facets[f.Name] = f.Count
			}
			if got != c.items || fmt.Sprint(facets) != fmt.Sprint(c.facets) {
				t.Errorf("%s: items %q facets %v, want %q %v", c.name, got, facets, c.items, c.facets)
			}
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
