package catalog

import (
	"context"
	"fmt"
	"strings"

	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/audit"
	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/tenancy"
)

// BulkInput changes many SKUs or products at once: the SKUs named by code,
// and every SKU of the products named by id. Price and stock apply to those
// SKUs, status to their products. All or nothing.
type BulkInput struct {
	SKUCodes   []string         `json:"sku_codes"`
	ProductIDs []ProductID      `json:"product_ids"`
	Price      *decimal.Decimal `json:"price"`
	Stock      *int             `json:"stock"`
	StockDelta *int             `json:"stock_delta"`
	Status     *Status          `json:"status"`
}

// BulkResult counts what changed.
type BulkResult struct {
	SKUs     int `json:"skus"`
	Products int `json:"products"`
}

// MaxBulk bounds the targets of one bulk change.
const MaxBulk = 1000

func (in *BulkInput) validate() error {
	v := errs.Validator{}
	n := len(in.SKUCodes) + len(in.ProductIDs)
	v.Check(n > 0, "sku_codes", "required", "name SKUs by code or products by id")
	v.Check(n <= MaxBulk, "sku_codes", "too_many", fmt.Sprintf("at most %d SKUs and products at once", MaxBulk))
	v.Check(in.Price != nil || in.Stock != nil || in.StockDelta != nil || in.Status != nil, "price", "required", "set price, stock, stock_delta or status")
	v.Check(in.Stock == nil || in.StockDelta == nil, "stock_delta", "conflict", "set stock or stock_delta, not both")
	if in.Price != nil {
		checkMoney(&v, "price", *in.Price)
	}
	if in.Stock != nil {
		v.Check(*in.Stock >= 0 && *in.Stock <= 1_000_000_000, "stock", "out_of_range", "a whole number from 0 to 1000000000")
	}
	if in.StockDelta != nil {
		v.Check(*in.StockDelta != 0 && *in.StockDelta >= -1_000_000_000 && *in.StockDelta <= 1_000_000_000, "stock_delta", "out_of_range", "a non-zero whole number")
	}
	if in.Status != nil {
		v.Check(in.Status.valid(), "status", "invalid", "draft, on_sale or off_shelf")
	}
	for i, id := range in.ProductIDs {
		v.Check(tenancy.ValidUUID(string(id)), fmt.Sprintf("product_ids[%d]", i), "not_found", "no such product")
	}
	return v.Err()
}

// Bulk applies a bulk change in one transaction.
func (s *Service) Bulk(ctx context.Context, in BulkInput) (BulkResult, error) {
	if err := in.validate(); err != nil {
		return BulkResult{}, err
	}
	var out BulkResult
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		var skus []struct {
			ID        SKUID     `db:"id"`
			ProductID ProductID `db:"product_id"`
			Code      string    `db:"code"`
		}
		err := tx.SelectContext(ctx, &skus, `SELECT id, product_id, code FROM skus WHERE tenant_id = $1 AND (code = ANY($2) OR product_id = ANY($3::uuid[])) ORDER BY id`,
			tid(ctx), pq.Array(in.SKUCodes), pqIDs(in.ProductIDs))
		if err != nil {
			return fmt.Errorf("bulk: %w", err)
		}
		var products []ProductID
		if err := tx.SelectContext(ctx, &products, `SELECT id FROM products WHERE tenant_id = $1 AND id = ANY($2::uuid[])`, tid(ctx), pqIDs(in.ProductIDs)); err != nil {
			return fmt.Errorf("bulk: %w", err)
		}
		v := errs.Validator{}
		codes := map[string]bool{}
		for _, k := range skus {
			codes[k.Code] = true
		}
		for i, c := range in.SKUCodes {
			v.Check(codes[c], fmt.Sprintf("sku_codes[%d]", i), "not_found", fmt.Sprintf("no SKU has the code %q", c))
		}
		for i, id := range in.ProductIDs {
			v.Check(contains(idStrings(products), string(id)), fmt.Sprintf("product_ids[%d]", i), "not_found", "no such product")
		}
		if err := v.Err(); err != nil {
			return err
		}
		skuIDs := make([]SKUID, len(skus))
		touched := map[ProductID]bool{}
		for i, k := range skus {
			skuIDs[i] = k.ID
			touched[k.ProductID] = true
		}
		for _, p := range products {
			touched[p] = true
		}
		pids := make([]ProductID, 0, len(touched))
		for p := range touched {
			pids = append(pids, p)
		}
		out = BulkResult{SKUs: len(skus), Products: len(pids)}
		if in.Price != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE skus SET price = $3, updated_at = now() WHERE tenant_id = $1 AND id = ANY($2::uuid[])`, tid(ctx), pqIDs(skuIDs), *in.Price); err != nil {
				return fmt.Errorf("bulk price: %w", err)
			}
			if err := refreshPrices(ctx, tx, pids); err != nil {
				return err
			}
		}
		if in.Stock != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE skus SET stock = $3, updated_at = now() WHERE tenant_id = $1 AND id = ANY($2::uuid[])`, tid(ctx), pqIDs(skuIDs), *in.Stock); err != nil {
				return fmt.Errorf("bulk stock: %w", err)
			}
		}
		if in.StockDelta != nil {
			var changed []string
			err := tx.SelectContext(ctx, &changed, `UPDATE skus SET stock = stock + $3, updated_at = now() WHERE tenant_id = $1 AND id = ANY($2::uuid[]) AND stock + $3 >= 0 RETURNING code`,
				tid(ctx), pqIDs(skuIDs), *in.StockDelta)
			if err != nil {
				return fmt.Errorf("bulk stock: %w", err)
			}
			if len(changed) < len(skus) {
				var short []string
				for _, k := range skus {
					if !contains(changed, k.Code) {
						short = append(short, k.Code)
					}
				}
				return errs.E(errs.InsufficientStock, "stock would go below 0 for SKU %s; nothing was changed", strings.Join(short, ", "))
			}
		}
		if in.Status != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE products SET status = $3, updated_at = now() WHERE tenant_id = $1 AND id = ANY($2::uuid[])`, tid(ctx), pqIDs(pids), *in.Status); err != nil {
				return fmt.Errorf("bulk status: %w", err)
			}
		}
		return audit.Record(ctx, tx, tid(ctx), "product.bulk", "product", "", in)
	})
	return out, err
}

func idStrings[T ~string](ids []T) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = string(id)
	}
	return out
}
