package catalog

import (
	"context"
	"fmt"
	"sort"

	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/tenancy"
)

// Line is a quantity of one SKU.
type Line struct {
	SKU SKUID `json:"sku_id"`
	Qty int   `json:"qty"`
}

// mergeLines adds up the quantities per SKU and sorts by SKU id, so that
// every transaction locks SKU rows in the same order (no deadlocks between
// two orders of the same SKUs).
func mergeLines(lines []Line) ([]Line, map[SKUID]int, error) {
	qty := map[SKUID]int{}
	first := map[SKUID]int{}
	for i, l := range lines {
		if !tenancy.ValidUUID(string(l.SKU)) {
			return nil, nil, errs.E(errs.NotFound, "SKU %q not found", l.SKU)
		}
		if l.Qty <= 0 {
			return nil, nil, errs.Field(fmt.Sprintf("lines[%d].qty", i), "out_of_range", "a quantity above 0")
		}
		if _, ok := first[l.SKU]; !ok {
			first[l.SKU] = i
		}
		qty[l.SKU] += l.Qty
	}
	out := make([]Line, 0, len(qty))
	for id, q := range qty {
		out = append(out, Line{SKU: id, Qty: q})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].SKU < out[j].SKU })
	return out, first, nil
}

// Reserve takes the lines' quantities out of stock inside the caller's
// transaction (the order's). Each SKU is one conditional UPDATE — the row
// lock is the whole concurrency control, nothing is read first — so stock
// can never go negative, however many buyers race. When a SKU has too
// little, Reserve fails with errs.InsufficientStock naming it and the caller
// rolls back its transaction (earlier lines' decrements with it).
func (s *Service) Reserve(ctx context.Context, tx *db.Tx, lines []Line) error {
	merged, first, err := mergeLines(lines)
	if err != nil {
		return err
	}
	for _, l := range merged {
		res, err := tx.ExecContext(ctx, `UPDATE skus SET stock = stock - $3 WHERE tenant_id = $1 AND id = $2 AND stock >= $3`, tid(ctx), l.SKU, l.Qty)
		if err != nil {
			return fmt.Errorf("reserve: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			continue
		}
		var row struct {
			Code  string `db:"code"`
			Title string `db:"title"`
			Stock int    `db:"stock"`
		}
		err = tx.GetContext(ctx, &row, `SELECT s.code, p.title, s.stock FROM skus s JOIN products p ON p.tenant_id = s.tenant_id AND p.id = s.product_id
WHERE s.tenant_id = $1 AND s.id = $2`, tid(ctx), l.SKU)
		if err != nil {
			return db.NotFound(err, fmt.Sprintf("SKU %s", l.SKU))
		}
		return &errs.Error{Code: errs.InsufficientStock,
			Message: fmt.Sprintf("not enough stock of %s (SKU %s): %d left, %d asked", row.Title, row.Code, row.Stock, l.Qty),
			Fields: []errs.FieldError{{Field: fmt.Sprintf("lines[%d]", first[l.SKU]), Code: "insufficient_stock",
				Message: fmt.Sprintf("SKU %s has %d left", row.Code, row.Stock)}}}
	}
	return nil
}

// Release puts reserved quantities back (order cancelled or refunded),
// inside the caller's transaction. A SKU deleted since is skipped.
func (s *Service) Release(ctx context.Context, tx *db.Tx, lines []Line) error {
	merged, _, err := mergeLines(lines)
	if err != nil {
		return err
	}
	for _, l := range merged {
		if _, err := tx.ExecContext(ctx, `UPDATE skus SET stock = stock + $3 WHERE tenant_id = $1 AND id = $2`, tid(ctx), l.SKU, l.Qty); err != nil {
			return fmt.Errorf("release: %w", err)
		}
	}
	return nil
}

// SKUView is what a quote needs to know about a SKU and its product.
type SKUView struct {
	SKUID         SKUID            `db:"sku_id" json:"sku_id"`
	Code          string           `db:"code" json:"code"`
	ProductID     ProductID        `db:"product_id" json:"product_id"`
	CategoryID    *CategoryID      `db:"category_id" json:"category_id"`
	Title         string           `db:"title" json:"title"`
	Spec          string           `db:"spec" json:"spec"`
	Price         decimal.Decimal  `db:"price" json:"price"`
	OriginalPrice *decimal.Decimal `db:"original_price" json:"original_price"`
	Stock         int              `db:"stock" json:"stock"`
	Weight        *decimal.Decimal `db:"weight" json:"weight"`
	Status        Status           `db:"status" json:"status"`
	// Image is the SKU's image, else the product's first.
	Image        string         `db:"image" json:"image"`
	Distribution Distribution   `db:"-" json:"distribution"`
	PointsPrice  *int           `db:"points_price" json:"points_price"`
	DistMode     string         `db:"distribution_mode" json:"-"`
	Rates        pq.StringArray `db:"commission_rates" json:"-"`
}

// SKUsForQuote reads SKUs with their product's fields inside the caller's
// transaction, in the order of ids. Ids that name no SKU of the tenant are
// left out: the caller compares and reports them.
func (s *Service) SKUsForQuote(ctx context.Context, tx *db.Tx, ids []SKUID) ([]SKUView, error) {
	valid := make([]SKUID, 0, len(ids))
	for _, id := range ids {
		if tenancy.ValidUUID(string(id)) {
			valid = append(valid, id)
		}
	}
	var rows []SKUView
	err := tx.SelectContext(ctx, &rows, `
SELECT s.id AS sku_id, s.code, s.product_id, p.category_id, p.title, s.spec, s.price, s.original_price, s.stock, s.weight, p.status,
       CASE WHEN s.image <> '' THEN s.image ELSE coalesce(p.images[1], '') END AS image,
       p.points_price, p.distribution_mode, p.commission_rates
FROM skus s JOIN products p ON p.tenant_id = s.tenant_id AND p.id = s.product_id
WHERE s.tenant_id = $1 AND s.id = ANY($2::uuid[])`, tid(ctx), pqIDs(valid))
	if err != nil {
		return nil, fmt.Errorf("skus for quote: %w", err)
	}
	byID := map[SKUID]SKUView{}
	for _, r := range rows {
		r.Distribution = Distribution{Mode: r.DistMode}
		for _, x := range r.Rates {
			r.Distribution.Rates = append(r.Distribution.Rates, decimal.RequireFromString(x))
		}
		byID[r.SKUID] = r
	}
	out := make([]SKUView, 0, len(rows))
	for _, id := range ids {
		if r, ok := byID[id]; ok {
			out = append(out, r)
		}
	}
	return out, nil
}
