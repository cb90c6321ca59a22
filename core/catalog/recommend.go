package catalog

import (
	"context"
	"fmt"
	"hash/fnv"
	"regexp"
	"slices"
	"time"

	"github.com/lib/pq"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/identity"
	"github.com/banyanmall/banyan/core/jobs"
	"github.com/banyanmall/banyan/core/tenancy"
)

// Viewer is who is browsing: a logged-in member, an anonymous visitor (a
// random id the storefront keeps in the X-Visitor-ID header or the
// banyan_vid cookie), or both.
type Viewer struct {
	MemberID  identity.MemberID
	VisitorID string
}

var visitorRe = regexp.MustCompile(`^[A-Za-z0-9_-]{8,64}$`)

// ValidVisitorID reports whether id can be a visitor id.
func ValidVisitorID(id string) bool { return visitorRe.MatchString(id) }

// keys are the viewer's product_views keys.
func (v Viewer) keys() []string {
	var out []string
	if v.MemberID != "" {
		out = append(out, "m:"+string(v.MemberID))
	}
	if ValidVisitorID(v.VisitorID) {
		out = append(out, "v:"+v.VisitorID)
	}
	return out
}

// recordView notes that the viewer looked at the product.
func recordView(ctx context.Context, tx *db.Tx, id ProductID, v Viewer) error {
	keys := v.keys()
	if len(keys) == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, `
INSERT INTO product_views AS pv (tenant_id, viewer, product_id) SELECT $1, k, $3 FROM unnest($2::text[]) k
ON CONFLICT (tenant_id, viewer, product_id) DO UPDATE SET views = pv.views + 1, viewed_at = now()`, tid(ctx), pq.Array(keys), id)
	if err != nil {
		return fmt.Errorf("record view: %w", err)
	}
	return nil
}

// RecordPurchase notes, inside the order's transaction, which products an
// order contained: it feeds "bought together" and, through a recount job
// shared with the other orders of the same products (enqueueSalesCount),
// the products' sales counts. Concurrent orders of the same products wait
// on each other only for that job's row, from this call to their commit:
// call it last. Calling it twice for an order changes nothing.
func (s *Service) RecordPurchase(ctx context.Context, tx *db.Tx, member identity.MemberID, order string, products []ProductID) error {
	if !tenancy.ValidUUID(order) {
		return fmt.Errorf("record purchase: order id %q is not a UUID", order)
	}
	var m any
	if member != "" {
		m = member
	}
	var inserted []ProductID
	err := tx.SelectContext(ctx, &inserted, `
INSERT INTO catalog_purchases (tenant_id, order_id, product_id, member_id)
SELECT $1, $2, p, $4 FROM unnest($3::uuid[]) p
ON CONFLICT DO NOTHING RETURNING product_id`, tid(ctx), order, pqIDs(products), m)
	if code, _, ok := db.Constraint(err); ok && code == "23503" {
		return errs.E(errs.NotFound, "a product of the order does not exist")
	}
	if err != nil {
		return fmt.Errorf("record purchase: %w", err)
	}
	if len(inserted) == 0 {
		return nil
	}
	return enqueueSalesCount(ctx, tx, order, inserted)
}

// salesCountShards is how many shared recount jobs a product set has at a
// time: an order picks one by its id, so concurrent payments of a best
// seller wait on a job row less often (each waits only for the payments
// that share its shard), at the price of up to that many recounts per
// delay instead of one.
const salesCountShards = 4

// salesCountDelay is how long a recount waits for more purchases of the
// same products to share it.
const salesCountDelay = time.Second

// salesCountStates are the states in which a recount job absorbs a new
// purchase's: every state before it finishes (River requires running too).
var salesCountStates = []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending,
	rivertype.JobStateRetryable, rivertype.JobStateRunning, rivertype.JobStateScheduled}

// enqueueSalesCount makes sure a recount of products runs after tx commits,
// without a job per order: one unique job per product set and shard (River
// UniqueOpts by args), scheduled salesCountDelay out, absorbs the purchases
// of every order that finds it not yet finished. A best seller paid 30
// times a second gets a few recounts a second, not 30, and each counts all
// its purchases.
//
// Why no purchase is left uncounted: the unique insert that finds the job
// updates its row (River's ON CONFLICT DO UPDATE), so that row stays locked
// until tx commits, and River fetches jobs FOR UPDATE SKIP LOCKED: a job
// found available, scheduled or retryable cannot start before tx's purchase
// is committed, and its count sees it. Only a job found already running may
// have counted before tx commits; then a follow-up job (After = its id,
// another unique key, absorbed the same way) is inserted, and if even that
// one is running, a plain job. Purchases are inserted before the job and
// products are sorted, so orders of the same products lock in one order.
// Call it late in the transaction: the job row stays locked until commit.
func enqueueSalesCount(ctx context.Context, tx *db.Tx, order string, products []ProductID) error {
	products = slices.Clone(products)
	slices.Sort(products)
	h := fnv.New32a()
	_, _ = h.Write([]byte(order))
	args := SalesCountArgs{Tenant: jobs.Tenant{TenantID: tid(ctx)}, Products: products, Shard: int(h.Sum32() % salesCountShards)}
	opts := &river.InsertOpts{ScheduledAt: time.Now().Add(salesCountDelay),
		UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: salesCountStates}}
	for range 2 {
		res, err := jobs.Enqueue(ctx, tx, args, opts)
		if err != nil {
			return err
		}
		if !res.UniqueSkippedAsDuplicate || res.Job.State != rivertype.JobStateRunning {
			return nil
		}
		args.After = res.Job.ID
	}
	opts.UniqueOpts = river.UniqueOpts{}
	_, err := jobs.Enqueue(ctx, tx, args, opts)
	return err
}

// SalesCountArgs recomputes the sales count of products. After, when set,
// is the id of a recount that was already running when a purchase came, and
// Shard the order's shard (salesCountShards): both only make the job's
// unique key differ.
type SalesCountArgs struct {
	jobs.Tenant
	Products []ProductID `json:"products"`
	After    int64       `json:"after,omitempty"`
	Shard    int         `json:"shard,omitempty"`
}

// Kind names the job.
func (SalesCountArgs) Kind() string { return "catalog_sales_count" }

// SalesCountWorker recomputes sales counts from catalog_purchases: a
// recount, not an increment, so running it twice is harmless.
type SalesCountWorker struct {
	river.WorkerDefaults[SalesCountArgs]
	DB *db.DB
}

// Work recounts.
func (w *SalesCountWorker) Work(ctx context.Context, job *river.Job[SalesCountArgs]) error {
	return jobs.InTenant(ctx, w.DB, job.Args.TenantID, func(ctx context.Context, tx *db.Tx) error {
		// Lock the rows first, then count in a second statement. Under READ
		// COMMITTED an UPDATE that waits for another job's row lock keeps
		// the snapshot it started with, so two overlapping recounts could
		// write back an older, smaller count (seen in CI). The count taken
		// after the locks are held sees every purchase committed before.
		// FOR NO KEY UPDATE (what the UPDATE takes anyway), not FOR UPDATE:
		// it still serialises recounts, but does not block the foreign-key
		// checks (FOR KEY SHARE) of order lines and purchases that every
		// checkout of a best seller makes on the same product row.
		if _, err := tx.ExecContext(ctx, `
SELECT id FROM products WHERE tenant_id = $1 AND id = ANY($2::uuid[]) ORDER BY id FOR NO KEY UPDATE`,
			tid(ctx), pqIDs(job.Args.Products)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `
UPDATE products p SET sales_count = (SELECT count(*) FROM catalog_purchases c WHERE c.tenant_id = p.tenant_id AND c.product_id = p.id)
WHERE p.tenant_id = $1 AND p.id = ANY($2::uuid[])`, tid(ctx), pqIDs(job.Args.Products))
		return err
	})
}

// Recommendation reasons.
const (
	ReasonBoughtTogether = "bought_together"
	ReasonAlsoViewed     = "also_viewed"
	ReasonForYou         = "for_you"
	ReasonBestSeller     = "best_seller"
)

// Recommendation is a product and why it is recommended.
type Recommendation struct {
	Product Card   `json:"product"`
	Reason  string `json:"reason"`
}

// Recommend picks up to limit on-sale products. With a product: bought
// together with it, then viewed by those who viewed it; then picks from the
// viewer's history (best sellers of the categories they looked at or
// bought from); best sellers fill the rest.
func (s *Service) Recommend(ctx context.Context, product *ProductID, v Viewer, limit int) ([]Recommendation, error) {
	if limit <= 0 || limit > 50 {
		limit = 10
	}
	if product != nil && !tenancy.ValidUUID(string(*product)) {
		return nil, notFound("product")
	}
	var out []Recommendation
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		picked := map[ProductID]bool{}
		if product != nil {
			picked[*product] = true
		}
		var order []ProductID
		reason := map[ProductID]string{}
		add := func(r string, ids []ProductID) {
			for _, id := range ids {
				if !picked[id] && len(order) < limit {
					picked[id] = true
					order = append(order, id)
					reason[id] = r
				}
			}
		}
		keys := v.keys()
		// Candidates are fetched with headroom: some are not on sale.
		n := limit * 2
		if product != nil {
			ids, err := selectIDs(ctx, tx, `
SELECT b.product_id FROM (
  SELECT order_id FROM catalog_purchases WHERE tenant_id = $1 AND product_id = $2 ORDER BY created_at DESC LIMIT 500) a
JOIN catalog_purchases b ON b.tenant_id = $1 AND b.order_id = a.order_id AND b.product_id <> $2
JOIN products p ON p.tenant_id = $1 AND p.id = b.product_id AND p.status = 'on_sale'
GROUP BY b.product_id ORDER BY count(*) DESC, b.product_id LIMIT $3`, tid(ctx), *product, n)
			if err != nil {
				return err
			}
			add(ReasonBoughtTogether, ids)
			ids, err = selectIDs(ctx, tx, `
SELECT o.product_id FROM (
  SELECT viewer FROM product_views WHERE tenant_id = $1 AND product_id = $2 AND viewer <> ALL($4::text[]) ORDER BY viewed_at DESC LIMIT 500) v
JOIN product_views o ON o.tenant_id = $1 AND o.viewer = v.viewer AND o.product_id <> $2
JOIN products p ON p.tenant_id = $1 AND p.id = o.product_id AND p.status = 'on_sale'
GROUP BY o.product_id ORDER BY count(*) DESC, o.product_id LIMIT $3`, tid(ctx), *product, n, pq.Array(keys))
			if err != nil {
				return err
			}
			add(ReasonAlsoViewed, ids)
		}
		if len(order) < limit && (len(keys) > 0 || v.MemberID != "") {
			var member any
			if v.MemberID != "" {
				member = v.MemberID
			}
			ids, err := selectIDs(ctx, tx, `
WITH seen AS (
  (SELECT product_id FROM product_views WHERE tenant_id = $1 AND viewer = ANY($2::text[]) ORDER BY viewed_at DESC LIMIT 20)
  UNION
  (SELECT product_id FROM catalog_purchases WHERE tenant_id = $1 AND member_id = $3 ORDER BY created_at DESC LIMIT 20)
), cats AS (
  SELECT DISTINCT p.category_id FROM products p JOIN seen ON seen.product_id = p.id WHERE p.tenant_id = $1 AND p.category_id IS NOT NULL
)
SELECT p.id FROM products p
WHERE p.tenant_id = $1 AND p.status = 'on_sale' AND p.category_id IN (SELECT category_id FROM cats)
  AND p.id NOT IN (SELECT product_id FROM seen)
ORDER BY p.sales_count DESC, p.id DESC LIMIT $4`, tid(ctx), pq.Array(keys), member, n)
			if err != nil {
				return err
			}
			add(ReasonForYou, ids)
		}
		if len(order) < limit {
			ids, err := selectIDs(ctx, tx, `SELECT id FROM products WHERE tenant_id = $1 AND status = 'on_sale'
ORDER BY sales_count DESC, id DESC LIMIT $2`, tid(ctx), limit+len(picked))
			if err != nil {
				return err
			}
			add(ReasonBestSeller, ids)
		}
		cards, err := loadCards(ctx, tx, order, true)
		if err != nil {
			return err
		}
		out = make([]Recommendation, 0, len(cards))
		for _, c := range cards {
			out = append(out, Recommendation{Product: c, Reason: reason[c.ID]})
		}
		return nil
	})
	return out, err
}

func selectIDs(ctx context.Context, tx *db.Tx, q string, args ...any) ([]ProductID, error) {
	var ids []ProductID
	if err := tx.SelectContext(ctx, &ids, q, args...); err != nil {
		return nil, fmt.Errorf("recommend: %w", err)
	}
	return ids, nil
}
