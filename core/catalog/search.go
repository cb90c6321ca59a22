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
// text's unigrams and bigrams. Results page by an opaque cursor.
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
	var out Result
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		var cats []CategoryID
		var all []*Category
		if q.CategoryID != nil || (q.Facets && q.Page.Cursor == "") {
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
				out = Result{Items: []Card{}}
				return nil
			}
			cats = descendants(all, *q.CategoryID)
		}
		b := q.where(ctx, cats)
		if err := b.keyset(q.Sort, cur); err != nil {
			return err
		}
		items, err := b.page(ctx, tx, q)
		if err != nil {
			return err
		}
		out.Items = items
		if len(items) > q.Page.Limit {
			out.Items = items[:q.Page.Limit]
			out.NextCursor = cursorOf(q.Sort, out.Items[len(out.Items)-1])
		}
		if q.Facets && q.Page.Cursor == "" {
			fb := q.where(ctx, nil)
			out.Facets, err = fb.facets(ctx, tx, all)
		}
		return err
	})
	return out, err
}

// sqlb builds the WHERE clause of a search.
type sqlb struct {
	from  string
	conds []string
	args  []any
	score string
}

func (b *sqlb) arg(v any) string {
	b.args = append(b.args, v)
	return "$" + strconv.Itoa(len(b.args))
}

func (q *Query) where(ctx context.Context, cats []CategoryID) *sqlb {
	b := &sqlb{from: "products p", score: "NULL::real"}
	b.conds = append(b.conds, "p.tenant_id = "+b.arg(tid(ctx)))
	if ts := terms(q.Keyword); len(ts) > 0 {
		b.from = fmt.Sprintf("catalog_keyword_match(%s::text[], %s) k JOIN products p ON p.id = k.product_id", b.arg(pq.Array(ts)), b.arg(q.Keyword))
		b.score = "k.score"
	}
	if len(q.Statuses) == 1 {
		b.conds = append(b.conds, "p.status = "+b.arg(q.Statuses[0]))
	} else if len(q.Statuses) > 1 {
		ss := make([]string, len(q.Statuses))
		for i, s := range q.Statuses {
			ss[i] = string(s)
		}
		b.conds = append(b.conds, "p.status = ANY("+b.arg(pq.Array(ss))+"::text[])")
	}
	if len(cats) > 0 {
		b.conds = append(b.conds, "p.category_id = ANY("+b.arg(pqIDs(cats))+"::uuid[])")
	}
	if q.MinPrice != nil {
		b.conds = append(b.conds, "p.min_price >= "+b.arg(*q.MinPrice))
	}
	if q.MaxPrice != nil {
		b.conds = append(b.conds, "p.min_price <= "+b.arg(*q.MaxPrice))
	}
	if q.InStock {
		b.conds = append(b.conds, "EXISTS (SELECT 1 FROM skus s WHERE s.tenant_id = p.tenant_id AND s.product_id = p.id AND s.stock > 0)")
	}
	return b
}

// orderings: the ORDER BY of each sort and the keyset comparison that
// continues after a cursor (id breaks ties).
var orderings = map[string]struct{ order, key, cmp, cast string }{
	SortRelevance: {"k.score DESC, p.id DESC", "k.score", "<", "real"},
	SortNewest:    {"p.created_at DESC, p.id DESC", "p.created_at", "<", "timestamptz"},
	SortPriceAsc:  {"p.min_price, p.id", "p.min_price", ">", "numeric"},
	SortPriceDesc: {"p.min_price DESC, p.id DESC", "p.min_price", "<", "numeric"},
	SortSales:     {"p.sales_count DESC, p.id DESC", "p.sales_count", "<", "bigint"},
}

func (b *sqlb) keyset(sort string, cur searchCursor) error {
	if cur.ID == "" {
		return nil
	}
	o := orderings[sort]
	b.conds = append(b.conds, fmt.Sprintf("(%s, p.id) %s (%s::%s, %s::uuid)", o.key, o.cmp, b.arg(cur.V), o.cast, b.arg(cur.ID)))
	return nil
}

func (b *sqlb) page(ctx context.Context, tx *db.Tx, q Query) ([]Card, error) {
	sql := fmt.Sprintf(`SELECT %s, %s AS score FROM %s WHERE %s ORDER BY %s LIMIT %s`,
		cardCols, b.score, b.from, strings.Join(b.conds, " AND "), orderings[q.Sort].order, b.arg(q.Page.Limit+1))
	var rows []Card
	if err := tx.SelectContext(ctx, &rows, sql, b.args...); err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	for i := range rows {
		rows[i] = fixCard(rows[i])
	}
	return rows, nil
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

// facets counts the matches per category (ignoring the category filter, so
// the other categories show too) and rolls the counts up the tree.
func (b *sqlb) facets(ctx context.Context, tx *db.Tx, all []*Category) ([]Facet, error) {
	var rows []struct {
		Cat   CategoryID `db:"category_id"`
		Count int        `db:"n"`
	}
	sql := fmt.Sprintf(`SELECT p.category_id, count(*) AS n FROM %s WHERE %s AND p.category_id IS NOT NULL GROUP BY p.category_id`,
		b.from, strings.Join(b.conds, " AND "))
	if err := tx.SelectContext(ctx, &rows, sql, b.args...); err != nil {
		return nil, fmt.Errorf("facets: %w", err)
	}
	byID := map[CategoryID]*Category{}
	for _, c := range all {
		byID[c.ID] = c
	}
	counts := map[CategoryID]int{}
	for _, r := range rows {
		for c := byID[r.Cat]; c != nil; c = parentOf(byID, c) {
			counts[c.ID] += r.Count
		}
	}
	out := []Facet{}
	for _, c := range all { // all is ordered by depth, sort, name
		if n := counts[c.ID]; n > 0 {
			out = append(out, Facet{CategoryID: c.ID, ParentID: c.ParentID, Name: c.Name, Count: n})
		}
	}
	return out, nil
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
