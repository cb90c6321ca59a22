package catalog

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/lib/pq"
	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"

	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/identity"
)

// rowWriter writes export rows in one format.
type rowWriter interface {
	write(cells []string) error
	close() error
}

type csvRows struct{ w *csv.Writer }

func (c *csvRows) write(cells []string) error { return c.w.Write(cells) }
func (c *csvRows) close() error               { c.w.Flush(); return c.w.Error() }

type xlsxRows struct {
	f   *excelize.File
	sw  *excelize.StreamWriter
	n   int
	out io.Writer
}

func (x *xlsxRows) write(cells []string) error {
	x.n++
	row := make([]any, len(cells))
	for i, c := range cells {
		row[i] = c
	}
	cell, _ := excelize.CoordinatesToCellName(1, x.n)
	return x.sw.SetRow(cell, row)
}

func (x *xlsxRows) close() error {
	if err := x.sw.Flush(); err != nil {
		return err
	}
	_, err := x.f.WriteTo(x.out)
	_ = x.f.Close()
	return err
}

// Export writes the whole catalogue in the import format (one row per SKU),
// so an export edited and imported again updates the same products, and
// records the export in the jobs list.
func (s *Service) Export(ctx context.Context, format string, w io.Writer) error {
	var rw rowWriter
	switch format {
	case FormatCSV:
		if _, err := w.Write([]byte("\xef\xbb\xbf")); err != nil { // Excel reads UTF-8 CSV only with a BOM
			return err
		}
		rw = &csvRows{w: csv.NewWriter(w)}
	case FormatXLSX:
		f := excelize.NewFile()
		sw, err := f.NewStreamWriter("Sheet1")
		if err != nil {
			return err
		}
		rw = &xlsxRows{f: f, sw: sw, out: w}
	default:
		return errs.Field("format", "invalid", "csv or xlsx")
	}
	total := 0
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		all, err := allCategories(ctx, tx)
		if err != nil {
			return err
		}
		paths := categoryPaths(all)
		if err := rw.write(Columns); err != nil {
			return err
		}
		rows, err := tx.QueryxContext(ctx, `
SELECT p.code AS product_code, p.title, p.subtitle, p.category_id, p.brand, p.tags, p.status,
       s.code, s.spec, s.price, s.original_price, s.cost, s.stock, s.weight, s.image
FROM products p JOIN skus s ON s.tenant_id = p.tenant_id AND s.product_id = p.id
WHERE p.tenant_id = $1 ORDER BY p.code, s.position, s.code`, tid(ctx))
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var r struct {
				ProductCode   string           `db:"product_code"`
				Title         string           `db:"title"`
				Subtitle      string           `db:"subtitle"`
				CategoryID    *CategoryID      `db:"category_id"`
				Brand         string           `db:"brand"`
				Tags          pq.StringArray   `db:"tags"`
				Status        string           `db:"status"`
				Code          string           `db:"code"`
				Spec          string           `db:"spec"`
				Price         decimal.Decimal  `db:"price"`
				OriginalPrice *decimal.Decimal `db:"original_price"`
				Cost          *decimal.Decimal `db:"cost"`
				Stock         int              `db:"stock"`
				Weight        *decimal.Decimal `db:"weight"`
				Image         string           `db:"image"`
			}
			if err := rows.StructScan(&r); err != nil {
				return fmt.Errorf("export: %w", err)
			}
			cat := ""
			if r.CategoryID != nil {
				cat = paths[*r.CategoryID]
			}
			img := r.Image
			if strings.HasPrefix(img, "/") {
				img = "" // an uploaded image is not a URL another shop could import
			}
			err := rw.write([]string{r.ProductCode, r.Title, r.Subtitle, cat, r.Brand, strings.Join(r.Tags, ","), r.Status,
				r.Code, r.Spec, r.Price.StringFixed(2), decOr(r.OriginalPrice, nil), decOr(r.Cost, nil), strconv.Itoa(r.Stock),
				decOr(r.Weight, nil), img})
			if err != nil {
				return err
			}
			total++
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("export: %w", err)
		}
		by := ""
		if a, ok := identity.ActorFrom(ctx); ok {
			by = string(a.UserID)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO catalog_imports (tenant_id, kind, status, format, file_name, total, done, created_by, started_at, finished_at)
VALUES ($1, 'export', 'done', $2, $3, $4, $4, $5, now(), now())`, tid(ctx), format, "catalog."+format, total, by)
		return err
	})
	if err != nil {
		return err
	}
	return rw.close()
}
