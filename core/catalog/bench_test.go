package catalog_test

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/banyanmall/banyan/core/catalog"
	"github.com/banyanmall/banyan/core/page"
	"github.com/banyanmall/banyan/core/tenancy"
)

// Vocabulary of the seeded titles: materials × kinds × styles, so keywords
// of different selectivity exist (男装 ~1/7, 连衣裙 ~1/12, 真丝连衣裙 ~1/84).
var (
	benchMaterials = []string{"男装", "女装", "童装", "纯棉", "真丝", "羊毛", "牛仔"}
	benchKinds     = []string{"T恤", "衬衫", "连衣裙", "夹克", "卫衣", "外套", "短裤", "长裤", "帽子", "运动鞋", "wireless earbuds", "leather bag"}
	benchStyles    = []string{"修身", "宽松", "韩版", "新款", "经典", "加厚", "透气", "复古", "商务"}
)

// seedCatalog fills a tenant with n products (1 to 3 SKUs each, 80% on
// sale, 5% out of stock) and a 3-level tree of 100 leaf categories, with
// set-based SQL (generate_series) as the schema owner.
func seedCatalog(b testing.TB, e *env, ctx context.Context, n int) []catalog.CategoryID {
	b.Helper()
	var leaves []catalog.CategoryID
	for i := 0; i < 5; i++ {
		top := e.category(ctx, fmt.Sprintf("类目%d", i), nil)
		for j := 0; j < 4; j++ {
			mid := e.category(ctx, fmt.Sprintf("子类%d-%d", i, j), top)
			for k := 0; k < 5; k++ {
				leaves = append(leaves, *e.category(ctx, fmt.Sprintf("细类%d-%d-%d", i, j, k), mid))
			}
		}
	}
	ids := make([]string, len(leaves))
	for i, c := range leaves {
		ids[i] = string(c)
	}
	tenant := string(tenancy.ID(ctx))
	_, err := e.d.Owner.Exec(`
INSERT INTO products (tenant_id, code, category_id, title, subtitle, brand, tags, status, min_price, max_price, sales_count, created_at)
SELECT $1, 'B' || i, ($2::uuid[])[1 + (i * 31) % cardinality($2::uuid[])],
       ($3::text[])[1 + i % 7] || ($4::text[])[1 + (i / 7) % 12] || ' ' || ($5::text[])[1 + (i / 84) % 9] || ' 款号' || i,
       '品质保证 ' || ($5::text[])[1 + i % 9], 'brand' || (i % 50),
       ARRAY[($5::text[])[1 + (i / 3) % 9], '热卖'],
       CASE WHEN (i / 3) % 10 = 0 THEN 'draft' WHEN (i / 3) % 10 = 1 THEN 'off_shelf' ELSE 'on_sale' END,
       10 + (i * 37) % 990, 10 + (i * 37) % 990 + i % 3, (i * 7919) % 5000, now() - make_interval(secs => i)
FROM generate_series(1, $6) i`, tenant, pq.Array(ids), pq.Array(benchMaterials), pq.Array(benchKinds), pq.Array(benchStyles), n)
	if err != nil {
		b.Fatal(err)
	}
	_, err = e.d.Owner.Exec(`
INSERT INTO skus (tenant_id, product_id, code, spec, price, stock, position)
SELECT p.tenant_id, p.id, p.code || '-' || k, '规格:' || k, p.min_price + k - 1,
       CASE WHEN hashtext(p.code) % 20 = 0 THEN 0 ELSE 100 END, k
FROM products p, generate_series(1, 3) k
WHERE p.tenant_id = $1 AND k <= 1 + (p.max_price - p.min_price)`, tenant)
	if err != nil {
		b.Fatal(err)
	}
	return leaves
}

// BenchmarkSearch measures storefront search over 100,000 products of one
// shop (BANYAN_BENCH_PRODUCTS to change), with three other shops of 5,000
// beside it, and reports latency percentiles per query shape. The seed
// happens only when the benchmark runs (go test -bench Search).
func BenchmarkSearch(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("BANYAN_BENCH_PRODUCTS")); err == nil && v > 0 {
		n = v
	}
	e := newEnv(b)
	start := time.Now()
	for i := 0; i < 3; i++ {
		seedCatalog(b, e, e.shop("enterprise"), 5000)
	}
	ctx := e.shop("enterprise")
	leaves := seedCatalog(b, e, ctx, n)
	for _, q := range []string{`VACUUM ANALYZE products`, `VACUUM ANALYZE product_search`, `VACUUM ANALYZE skus`} {
		if _, err := e.d.Owner.Exec(q); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("seeded %d + 3×5000 products in %v", n, time.Since(start))
	tree, err := e.s.Tree(ctx)
	if err != nil {
		b.Fatal(err)
	}
	top := tree[0].ID
	onSale := []catalog.Status{catalog.OnSale}
	shapes := []struct {
		name string
		q    catalog.Query
	}{
		{"keyword2_zh_relevance_facets", catalog.Query{Keyword: "男装", Statuses: onSale, Facets: true}},
		{"keyword3_zh_category_price", catalog.Query{Keyword: "连衣裙", CategoryID: &top, MinPrice: dec("100"), MaxPrice: dec("500"), Sort: catalog.SortPriceAsc, Statuses: onSale}},
		{"keyword_zh_two_words", catalog.Query{Keyword: "真丝 连衣裙", Statuses: onSale, InStock: true, Facets: true}},
		{"keyword_en", catalog.Query{Keyword: "wireless", Statuses: onSale, Sort: catalog.SortSales}},
		{"browse_category_newest_facets", catalog.Query{CategoryID: &top, Statuses: onSale, Facets: true}},
		{"browse_leaf_price_instock", catalog.Query{CategoryID: &leaves[7], MinPrice: dec("50"), MaxPrice: dec("800"), InStock: true, Sort: catalog.SortPriceDesc, Statuses: onSale}},
		{"all_sales_page3", catalog.Query{Statuses: onSale, Sort: catalog.SortSales, Page: page.Request{Limit: 20}}},
		{"admin_keyword_all_statuses", catalog.Query{Keyword: "款号1234"}},
	}
	for _, sh := range shapes {
		b.Run(sh.name, func(b *testing.B) {
			q := sh.q
			if sh.name == "all_sales_page3" {
				for i := 0; i < 2; i++ {
					res, err := e.s.Search(ctx, q)
					if err != nil {
						b.Fatal(err)
					}
					q.Page.Cursor = res.NextCursor
				}
			}
			if _, err := e.s.Search(ctx, q); err != nil { // warm up
				b.Fatal(err)
			}
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				res, err := e.s.Search(ctx, q)
				lat = append(lat, time.Since(t0))
				if err != nil || (len(res.Items) == 0 && sh.name != "admin_keyword_all_statuses") {
					b.Fatalf("%v %d items", err, len(res.Items))
				}
			}
			b.StopTimer()
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			pct := func(p float64) float64 {
				return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
			}
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.95), "p95-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
		})
	}
}
