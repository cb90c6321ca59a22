package catalog

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/page"
	"github.com/banyanmall/banyan/core/tenancy"
)

// Card is a product in a list: search results, recommendations.
type Card struct {
	ID          ProductID       `db:"id" json:"id"`
	Code        string          `db:"code" json:"code"`
	Title       string          `db:"title" json:"title"`
	Subtitle    string          `db:"subtitle" json:"subtitle"`
	Image       string          `db:"image" json:"image"`
	CategoryID  *CategoryID     `db:"category_id" json:"category_id"`
	Brand       string          `db:"brand" json:"brand"`
	Tags        pq.StringArray  `db:"tags" json:"tags"`
	Status      Status          `db:"status" json:"status"`
	MinPrice    decimal.Decimal `db:"min_price" json:"min_price"`
	MaxPrice    decimal.Decimal `db:"max_price" json:"max_price"`
	Stock       int64           `db:"stock" json:"stock"`
	PointsPrice *int            `db:"points_price" json:"points_price"`
	SalesCount  int64           `db:"sales_count" json:"sales_count"`
	CreatedAt   time.Time       `db:"created_at" json:"created_at"`
	// Score is the keyword relevance (0..1) when searching by keyword.
	Score *float32 `db:"score" json:"score,omitempty"`
}

const cardCols = `p.id, p.code, p.title, p.subtitle, coalesce(p.images[1], '') AS image, p.category_id, p.brand, p.tags, p.status,
p.min_price, p.max_price, p.points_price, p.sales_count, p.created_at,
(SELECT coalesce(sum(s.stock), 0) FROM skus s WHERE s.tenant_id = p.tenant_id AND s.product_id = p.id) AS stock`

// loadCards reads cards in the order of ids (only on-sale ones if onSale).
func loadCards(ctx context.Context, tx *db.Tx, ids []ProductID, onSale bool) ([]Card, error) {
	if len(ids) == 0 {
		return []Card{}, nil
	}
	var rows []Card
	err := tx.SelectContext(ctx, &rows, `SELECT `+cardCols+` FROM products p WHERE p.tenant_id = $1 AND p.id = ANY($2::uuid[]) AND (NOT $3 OR p.status = 'on_sale')`,
		tid(ctx), pqIDs(ids), onSale)
	if err != nil {
		return nil, fmt.Errorf("cards: %w", err)
	}
	byID := map[ProductID]Card{}
	for _, c := range rows {
		byID[c.ID] = c
	}
	out := make([]Card, 0, len(rows))
	for _, id := range ids {
		if c, ok := byID[id]; ok {
			out = append(out, fixCard(c))
		}
	}
	return out, nil
}

func fixCard(c Card) Card {
	if c.Tags == nil {
		c.Tags = pq.StringArray{}
	}
	return c
}

// Sort orders of a search.
const (
	SortRelevance = "relevance" // keyword similarity (the default with a keyword)
	SortNewest    = "newest"    // the default without a keyword
	SortPriceAsc  = "price_asc"
	SortPriceDesc = "price_desc"
	SortSales     = "sales"
)

// Query is a catalogue search.
type Query struct {
	Keyword    string
	CategoryID *CategoryID // includes its subcategories
	MinPrice   *decimal.Decimal
	MaxPrice   *decimal.Decimal
	InStock    bool
	Sort       string
	// Statuses filters by status; empty means every status (staff). The
	// storefront always asks for on_sale only.
	Statuses []Status
	Page     page.Request
	// Facets asks for the count per category (first page only).
	Facets bool
}

// Facet is the number of matching products in a category, subcategories
// included.
type Facet struct {
	CategoryID CategoryID  `json:"category_id"`
	ParentID   *CategoryID `json:"parent_id"`
	Name       string      `json:"name"`
	Count      int         `json:"count"`
}

// Result is a page of search results.
type Result struct {
	Items      []Card  `json:"items"`
	NextCursor string  `json:"next_cursor"`
	Facets     []Facet `json:"facets,omitempty"`
}

type searchCursor struct {
	Sort string `json:"s"`
	V    string `json:"v"`
	ID   string `json:"i"`
}

// terms splits a keyword into at most 5 words.
func terms(kw string) []string {
	var out []string
	for _, f := range strings.Fields(kw) {
		if !contains(out, f) && len(out) < 5 {
			out = append(out, f)
		}
	}
	return out
}

func (q *Query) normalize() error {
	v := errs.Validator{}
	q.Keyword = strings.TrimSpace(q.Keyword)
	v.Check(runes(q.Keyword) <= 100, "q", "too_long", "at most 100 characters")
	if q.CategoryID != nil && !tenancy.ValidUUID(string(*q.CategoryID)) {
		v.Add("category_id", "invalid", "not a category id")
	}
	if q.MinPrice != nil && q.MinPrice.IsNegative() {
		v.Add("min_price", "negative", "must not be negative")
	}
	if q.MaxPrice != nil && q.MinPrice != nil && q.MaxPrice.LessThan(*q.MinPrice) {
		v.Add("max_price", "out_of_range", "must not be below min_price")
	}
	switch q.Sort {
	case "":
		q.Sort = SortNewest
		if q.Keyword != "" {
			q.Sort = SortRelevance
		}
	case SortRelevance:
		v.Check(q.Keyword != "", "sort", "invalid", "relevance needs a keyword (q)")
	case SortNewest, SortPriceAsc, SortPriceDesc, SortSales:
	default:
		v.Add("sort", "invalid", "relevance, newest, price_asc, price_desc or sales")
	}
	for _, s := range q.Statuses {
		v.Check(s.valid(), "status", "invalid", "draft, on_sale or off_shelf")
	}
	q.Page = q.Page.Normalize()
	return v.Err()
}

// Search finds products. Keyword matching is substring matching over the
// title, subtitle, brand and tags, every word of the keyword required,
// case-insensitive; words of three characters and more use pg_trgm's
// trigram index, shorter ones (common in Chinese: 男装) an index of the
// text's unigrams and bigrams whose keys carry the tenant, so that a broad
// short word reads only its shop's matches (migrations/00062). Keyword
// searches read product_search, a narrow copy of the searched columns kept
// exact by triggers on products (migrations/00077). The selection, order
// and page are computed by catalog_search (see
// migrations/00021_catalog_search.sql for why a definer function), which
// returns product ids only; the cards are read here under RLS. Results page
// by an opaque cursor.
func (s *Service) Search(ctx context.Context, q Query) (Result, error) {
	if err := q.normalize(); err != nil {
		return Result{}, err
	}
	var cur searchCursor
	if err := page.Decode(q.Page.Cursor, &cur); err != nil {
		return Result{}, err
	}
	if q.Page.Cursor != "" && (cur.Sort != q.Sort || !tenancy.ValidUUID(cur.ID)) {
		return Result{}, errs.Field("cursor", "invalid", "the cursor belongs to another sort order")
	}
	facets := q.Facets && q.Page.Cursor == ""
	out := Result{Items: []Card{}}
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		var cats []CategoryID
		var all []*Category
		if q.CategoryID != nil || facets {
			var err error
			if all, err = allCategories(ctx, tx); err != nil {
				return err
			}
		}
		if q.CategoryID != nil {
			found := false
			for _, c := range all {
				found = found || c.ID == *q.CategoryID
			}
			if !found {
				return nil
			}
			cats = descendants(all, *q.CategoryID)
		}
		var statuses, catIDs, afterV, afterID any
		if len(q.Statuses) > 0 {
			statuses = pqIDs(q.Statuses)
		}
		if cats != nil {
			catIDs = pqIDs(cats)
		}
		if cur.ID != "" {
			afterV, afterID = cur.V, cur.ID
		}
		var rows []struct {
			ProductID  *ProductID  `db:"product_id"`
			Score      *float32    `db:"score"`
			CategoryID *CategoryID `db:"category_id"`
			N          int         `db:"n"`
		}
		err := tx.SelectContext(ctx, &rows, `SELECT product_id, score, category_id, coalesce(n, 0) AS n
FROM catalog_search($1::text[], $2::text[], $3::uuid[], $4::numeric, $5::numeric, $6, $7, $8, $9::uuid, $10, $11)`,
			pq.Array(terms(q.Keyword)), statuses, catIDs, q.MinPrice, q.MaxPrice, q.InStock, q.Sort, afterV, afterID, q.Page.Limit+1, facets)
		if err != nil {
			return fmt.Errorf("search: %w", err)
		}
		var ids []ProductID
		scores := map[ProductID]*float32{}
		counts := map[CategoryID]int{}
		for _, r := range rows {
			switch {
			case r.ProductID != nil:
				ids = append(ids, *r.ProductID)
				scores[*r.ProductID] = r.Score
			case r.CategoryID != nil:
				counts[*r.CategoryID] = r.N
			}
		}
		if out.Items, err = loadCards(ctx, tx, ids, false); err != nil {
			return err
		}
		for i := range out.Items {
			out.Items[i].Score = scores[out.Items[i].ID]
		}
		if len(out.Items) > q.Page.Limit {
			out.Items = out.Items[:q.Page.Limit]
			out.NextCursor = cursorOf(q.Sort, out.Items[len(out.Items)-1])
		}
		if facets {
			out.Facets = rollUp(all, counts)
		}
		return nil
	})
	return out, err
}

func cursorOf(sort string, c Card) string {
	v := ""
	switch sort {
	case SortRelevance:
		if c.Score != nil {
			v = strconv.FormatFloat(float64(*c.Score), 'g', -1, 32)
		}
	case SortNewest:
		v = c.CreatedAt.UTC().Format(time.RFC3339Nano)
	case SortPriceAsc, SortPriceDesc:
		v = c.MinPrice.String()
	case SortSales:
		v = strconv.FormatInt(c.SalesCount, 10)
	}
	return page.Encode(searchCursor{Sort: sort, V: v, ID: string(c.ID)})
}

// rollUp turns counts per category into facets that include the counts of
// the subcategories, in tree order.
func rollUp(all []*Category, counts map[CategoryID]int) []Facet {
	byID := map[CategoryID]*Category{}
	for _, c := range all {
		byID[c.ID] = c
	}
	total := map[CategoryID]int{}
	for id, n := range counts {
		for c := byID[id]; c != nil; c = parentOf(byID, c) {
			total[c.ID] += n
		}
	}
	out := []Facet{}
	for _, c := range all { // all is ordered by depth, sort, name
		if n := total[c.ID]; n > 0 {
			out = append(out, Facet{CategoryID: c.ID, ParentID: c.ParentID, Name: c.Name, Count: n})
		}
	}
	return out
}

// ShopProduct returns an on-sale product for the storefront (no costs, no
// commission rates) and records that viewer looked at it.
func (s *Service) ShopProduct(ctx context.Context, id ProductID, v Viewer) (Product, error) {
	if !tenancy.ValidUUID(string(id)) {
		return Product{}, notFound("product")
	}
	var out Product
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		var err error
		out, err = loadProduct(ctx, tx, id, false)
		if err != nil {
			return err
		}
		if out.Status != OnSale {
			return notFound("product")
		}
		return recordView(ctx, tx, id, v)
	})
	if err != nil {
		return Product{}, err
	}
	for i := range out.SKUs {
		out.SKUs[i].Cost = nil
	}
	out.Distribution = Distribution{Mode: out.Distribution.Mode}
	return out, nil
}

// ShopCategories is the category tree for the storefront.
func (s *Service) ShopCategories(ctx context.Context) ([]*Category, error) { return s.Tree(ctx) }
