package catalog_test

import (
	"hash/fnv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"github.com/banyanmall/banyan/core/catalog"
	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/errs"
)

// TestReserveRace: 200 buyers race for a stock of 50; exactly 50 get one.
func TestReserveRace(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := e.shop("free")
	p := e.product(ctx, "限量款", nil, "99")
	sku := p.SKUs[0].ID
	stock := 50
	if _, err := e.s.Bulk(ctx, catalog.BulkInput{SKUCodes: []string{p.SKUs[0].Code}, Stock: &stock}); err != nil {
		t.Fatal(err)
	}
	var ok, short atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := e.d.App.InTenant(ctx, func(tx *db.Tx) error {
				return e.s.Reserve(ctx, tx, []catalog.Line{{SKU: sku, Qty: 1}})
			})
			switch {
			case err == nil:
				ok.Add(1)
			case errs.Is(err, errs.InsufficientStock):
				short.Add(1)
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 50 || short.Load() != 150 {
		t.Fatalf("%d reserved, %d refused; want 50 and 150", ok.Load(), short.Load())
	}
	if n := e.count(`SELECT stock FROM skus WHERE id = $1`, sku); n != 0 {
		t.Fatalf("stock left %d", n)
	}
}

func TestReserveIsAllOrNothingAndRelease(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := e.shop("free")
	a := e.product(ctx, "A", nil, "10") // stock 10
	b := e.product(ctx, "B", nil, "20") // stock 10
	lines := []catalog.Line{{SKU: a.SKUs[0].ID, Qty: 3}, {SKU: b.SKUs[0].ID, Qty: 11}}
	err := e.d.App.InTenant(ctx, func(tx *db.Tx) error { return e.s.Reserve(ctx, tx, lines) })
	if !errs.Is(err, errs.InsufficientStock) || !strings.Contains(err.Error(), b.SKUs[0].Code) || fieldsOf(err)["lines[1]"] == "" {
		t.Fatalf("want insufficient stock naming %s and lines[1], got %v", b.SKUs[0].Code, err)
	}
	if n := e.count(`SELECT stock FROM skus WHERE id = $1`, a.SKUs[0].ID); n != 10 {
		t.Fatalf("A's stock %d after a failed order; want 10", n)
	}
	// Two lines of the same SKU add up.
	err = e.d.App.InTenant(ctx, func(tx *db.Tx) error {
		return e.s.Reserve(ctx, tx, []catalog.Line{{SKU: a.SKUs[0].ID, Qty: 4}, {SKU: a.SKUs[0].ID, Qty: 4}})
	})
	if err != nil {
		t.Fatal(err)
	}
	err = e.d.App.InTenant(ctx, func(tx *db.Tx) error {
		return e.s.Release(ctx, tx, []catalog.Line{{SKU: a.SKUs[0].ID, Qty: 5}})
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := e.count(`SELECT stock FROM skus WHERE id = $1`, a.SKUs[0].ID); n != 7 {
		t.Fatalf("stock %d, want 10-8+5 = 7", n)
	}
	// Another shop's SKU is not found.
	other := e.shop("free")
	err = e.d.App.InTenant(other, func(tx *db.Tx) error {
		return e.s.Reserve(other, tx, []catalog.Line{{SKU: a.SKUs[0].ID, Qty: 1}})
	})
	if !errs.Is(err, errs.NotFound) {
		t.Fatalf("another shop's SKU: %v", err)
	}
}

func TestSKUsForQuote(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := e.shop("free")
	cat := e.category(ctx, "数码", nil)
	p, err := e.s.CreateProduct(ctx, catalog.ProductInput{
		Title: "耳机", CategoryID: cat, Status: catalog.OnSale, Images: []string{"https://img.example/a.png"}, PointsPrice: ptr(500),
		Distribution: &catalog.Distribution{Mode: catalog.DistNone},
		SKUs:         []catalog.SKUInput{{Code: "EAR-1", Price: dec("199.00"), Stock: 3}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var views []catalog.SKUView
	err = e.d.App.InTenant(ctx, func(tx *db.Tx) error {
		var err error
		views, err = e.s.SKUsForQuote(ctx, tx, []catalog.SKUID{catalog.SKUID(uuid.NewString()), p.SKUs[0].ID, "junk"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(views) != 1 {
		t.Fatalf("views %+v", views)
	}
	v := views[0]
	if v.ProductID != p.ID || *v.CategoryID != *cat || v.Title != "耳机" || v.Price.String() != "199" || v.Stock != 3 ||
		v.Status != catalog.OnSale || v.Image != "https://img.example/a.png" || v.Distribution.Mode != "none" || *v.PointsPrice != 500 {
		t.Fatalf("view %+v", v)
	}
}

func TestRecordPurchaseAndRecommendations(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.runJobs()
	ctx := e.shop("free")
	cat := e.category(ctx, "服装", nil)
	shirt := e.product(ctx, "衬衫", cat, "100")
	tie := e.product(ctx, "领带", nil, "50")
	belt := e.product(ctx, "皮带", nil, "80")
	socks := e.product(ctx, "袜子", cat, "10")
	coat := e.product(ctx, "大衣", cat, "900")
	_ = socks
	buy := func(ids ...catalog.ProductID) {
		t.Helper()
		order := uuid.NewString()
		for i := 0; i < 2; i++ { // twice: the second call changes nothing
			err := e.d.App.InTenant(ctx, func(tx *db.Tx) error {
				return e.s.RecordPurchase(ctx, tx, "", order, ids)
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	buy(shirt.ID, tie.ID)
	buy(shirt.ID, tie.ID)
	buy(shirt.ID, belt.ID)
	if n := e.count(`SELECT count(*) FROM catalog_purchases`); n != 6 {
		t.Fatalf("%d purchase rows, want 6", n)
	}
	// A visitor looked at the shirt and the coat; another one at the shirt.
	for _, v := range []catalog.Viewer{{VisitorID: "visitor-aaaa"}, {VisitorID: "visitor-bbbb"}} {
		if _, err := e.s.ShopProduct(ctx, shirt.ID, v); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.s.ShopProduct(ctx, coat.ID, catalog.Viewer{VisitorID: "visitor-aaaa"}); err != nil {
		t.Fatal(err)
	}
	recs, err := e.s.Recommend(ctx, &shirt.ID, catalog.Viewer{VisitorID: "visitor-bbbb"}, 4)
	if err != nil {
		t.Fatal(err)
	}
	got := []string{}
	for _, r := range recs {
		got = append(got, r.Product.Title+":"+r.Reason)
	}
	want := "领带:bought_together 皮带:bought_together 大衣:also_viewed 袜子:for_you"
	if strings.Join(got, " ") != want {
		t.Fatalf("recommendations %v\nwant %s", got, want)
	}
	// A stranger with no history gets best sellers; the sales counts are
	// computed by a job from the purchases.
	// Three overlapping recount jobs must all land: the last one to run
	// sees every purchase (an older snapshot once wrote back tie = 1).
	waitFor(t, func() bool {
		return e.count(`SELECT sales_count FROM products WHERE id = $1`, shirt.ID) == 3 &&
			e.count(`SELECT sales_count FROM products WHERE id = $1`, tie.ID) == 2 &&
			e.count(`SELECT sales_count FROM products WHERE id = $1`, belt.ID) == 1
	})
	recs, err = e.s.Recommend(ctx, nil, catalog.Viewer{}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[0].Product.ID != shirt.ID || recs[0].Reason != "best_seller" || recs[1].Product.ID != tie.ID {
		t.Fatalf("best sellers %+v", recs)
	}
}

// TestSalesCountShared: orders of the same products share one recount job,
// and purchases racing with the recounts they cause are all counted.
func TestSalesCountShared(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := e.shop("free")
	hit := e.product(ctx, "爆款", nil, "10")
	other := e.product(ctx, "配件", nil, "5")
	buyAs := func(order string, ids ...catalog.ProductID) {
		t.Helper()
		if err := inTx(t, e.d.App, ctx, func(tx *db.Tx) error {
			return e.s.RecordPurchase(ctx, tx, "", order, ids)
		}); err != nil {
			t.Error(err)
		}
	}
	buy := func(ids ...catalog.ProductID) { t.Helper(); buyAs(uuid.NewString(), ids...) }
	// sameShard answers a new order id in the recount shard of order (the
	// FNV-1a hash of the id, modulo 4).
	shard := func(order string) uint32 { h := fnv.New32a(); h.Write([]byte(order)); return h.Sum32() % 4 }
	sameShard := func(order string) string {
		for {
			if id := uuid.NewString(); shard(id) == shard(order) {
				return id
			}
		}
	}
	// No worker runs yet: forty orders of one product share at most a job
	// per shard (4), and orders of the same pair, whatever their order,
	// share theirs.
	for range 40 {
		buy(hit.ID)
	}
	for range 10 {
		buy(hit.ID, other.ID)
		buy(other.ID, hit.ID)
	}
	if n := e.count(`SELECT count(*) FROM river_job WHERE kind = 'catalog_sales_count' AND jsonb_array_length(args->'products') = 1`); n < 1 || n > 4 {
		t.Fatalf("%d recount jobs for 40 orders of one product, want 1 to 4", n)
	}
	if n := e.count(`SELECT count(*) FROM river_job WHERE kind = 'catalog_sales_count' AND jsonb_array_length(args->'products') = 2`); n < 1 || n > 4 {
		t.Fatalf("%d recount jobs for 20 orders of one pair, want 1 to 4", n)
	}
	// A recount already running may have counted before a new purchase
	// commits: that purchase gets a follow-up job, and when the follow-up
	// is running too, a plain one. (The job is made "running" by hand and
	// left so: no worker owns it.)
	late := e.product(ctx, "新品", nil, "20")
	running := func() {
		t.Helper()
		if _, err := e.d.Owner.Exec(`UPDATE river_job SET state = 'running', attempted_at = now(), attempt = 1
WHERE id = (SELECT max(id) FROM river_job WHERE kind = 'catalog_sales_count' AND args->'products' ? $1)`, string(late.ID)); err != nil {
			t.Fatal(err)
		}
	}
	first := uuid.NewString()
	buyAs(first, late.ID)
	running()
	buyAs(sameShard(first), late.ID)
	if n := e.count(`SELECT count(*) FROM river_job WHERE kind = 'catalog_sales_count' AND args->'products' ? $1 AND (args->>'after')::bigint > 0`, string(late.ID)); n != 1 {
		t.Fatalf("%d follow-up jobs after a purchase during a running recount, want 1", n)
	}
	running()
	buyAs(sameShard(first), late.ID)
	if n := e.count(`SELECT count(*) FROM river_job WHERE kind = 'catalog_sales_count' AND args->'products' ? $1`, string(late.ID)); n != 3 {
		t.Fatalf("%d recount jobs, want 3 (the running one, its running follow-up, a plain one)", n)
	}
	e.runJobs()
	// 8 buyers × 25 orders while the recounts run.
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 25 {
				buy(hit.ID)
			}
		})
	}
	wg.Wait()
	waitFor(t, func() bool {
		return e.count(`SELECT sales_count FROM products WHERE id = $1`, hit.ID) == 260 &&
			e.count(`SELECT sales_count FROM products WHERE id = $1`, other.ID) == 20 &&
			e.count(`SELECT sales_count FROM products WHERE id = $1`, late.ID) == 3
	})
}
