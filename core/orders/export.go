package orders

import (
	"archive/zip"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"

	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/page"
)

// Export formats.
const (
	ExportCSV  = "csv"
	ExportXLSX = "xlsx"
)

// ExportColumns are the columns of an order export, one row per line.
var ExportColumns = []string{"order_no", "created_at", "state", "member_id", "total", "paid_amount", "refunded_amount", "shipping_fee",
	"line_title", "sku_code", "spec", "qty", "unit_price", "line_paid"}

// maxExportOrders bounds one export (1,000 pages of 100).
const maxExportOrders = 100_000

// exportRow is one line of an order, typed, for either format.
type exportRow struct {
	orderNo, state, memberID, title, skuCode, spec  string
	createdAt                                       time.Time
	qty                                             int
	total, paid, refunded, shipping, unit, linePaid decimal.Decimal
}

// exportSink writes rows in one format.
type exportSink interface {
	header(cols []string) error
	row(r exportRow) error
	close() error
}

// Export writes the orders matching f (the list's filters), one row per
// line, newest first, at most 100,000 orders, as CSV or XLSX. Dates are in
// the shop's time zone. XLSX goes through excelize's StreamWriter (rows
// beyond 16 MiB of XML wait in a temporary file, not in memory) and the
// archive is zipped straight into w; amounts are numeric cells formatted
// with the currency's decimals.
func (s *Service) Export(ctx context.Context, format string, f ListFilter, w io.Writer) error {
	var sink exportSink
	switch format {
	case ExportCSV:
		if _, err := io.WriteString(w, "\ufeff"); err != nil { // Excel reads UTF-8 CSV only with a BOM
			return err
		}
		sink = &csvSink{w: csv.NewWriter(w), loc: location(ctx)}
	case ExportXLSX:
		x, err := newXLSXSink(w, location(ctx), minor(ctx))
		if err != nil {
			return err
		}
		sink = x
	default:
		return errs.Field("format", "invalid", "csv or xlsx")
	}
	if err := sink.header(ExportColumns); err != nil {
		return err
	}
	cursor := ""
	for n := 0; n < maxExportOrders/100; n++ {
		items, next, err := s.List(ctx, f, page.Request{Cursor: cursor, Limit: 100})
		if err != nil {
			return err
		}
		for _, o := range items {
			for _, l := range o.Lines {
				if err := sink.row(exportRow{orderNo: o.OrderNo, state: string(o.State), memberID: o.MemberID, title: l.Title, skuCode: l.SKUCode,
					spec: l.Spec, createdAt: o.CreatedAt, qty: l.Qty, total: o.Total, paid: o.PaidAmount, refunded: o.RefundedAmount,
					shipping: o.ShippingFee, unit: l.UnitPrice, linePaid: l.PaidAmount}); err != nil {
					return err
				}
			}
		}
		if next == "" {
			break
		}
		cursor = next
	}
	return sink.close()
}

// Location is the shop's time zone (UTC when it has none or an unknown one).
func Location(ctx context.Context) *time.Location { return location(ctx) }

// ExportCSV writes the orders matching f as CSV (see Export).
func (s *Service) ExportCSV(ctx context.Context, f ListFilter, w io.Writer) error {
	return s.Export(ctx, ExportCSV, f, w)
}

type csvSink struct {
	w   *csv.Writer
	loc *time.Location
}

func (c *csvSink) header(cols []string) error { return c.w.Write(cols) }

func (c *csvSink) row(r exportRow) error {
	return c.w.Write([]string{r.orderNo, r.createdAt.In(c.loc).Format(time.DateTime), r.state, r.memberID, r.total.String(),
		r.paid.String(), r.refunded.String(), r.shipping.String(), csvSafe(r.title), csvSafe(r.skuCode), csvSafe(r.spec),
		strconv.Itoa(r.qty), r.unit.String(), r.linePaid.String()})
}

func (c *csvSink) close() error { c.w.Flush(); return c.w.Error() }

// csvSafe defuses cells a spreadsheet would run as a formula.
func csvSafe(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@') {
		return "'" + s
	}
	return s
}

type xlsxSink struct {
	f                *excelize.File
	sw               *excelize.StreamWriter
	out              io.Writer
	loc              *time.Location
	decimals         int32
	n                int
	dateStyle, money int
}

func newXLSXSink(w io.Writer, loc *time.Location, decimals int32) (*xlsxSink, error) {
	f := excelize.NewFile()
	x := &xlsxSink{f: f, out: w, loc: loc, decimals: decimals}
	fail := func(err error) (*xlsxSink, error) {
		_ = f.Close()
		return nil, fmt.Errorf("xlsx export: %w", err)
	}
	if err := f.SetSheetName("Sheet1", "orders"); err != nil {
		return fail(err)
	}
	dateFmt := "yyyy-mm-dd hh:mm:ss"
	moneyFmt := "0"
	if decimals > 0 {
		moneyFmt += "." + strings.Repeat("0", int(decimals))
	}
	var err error
	if x.dateStyle, err = f.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt}); err != nil {
		return fail(err)
	}
	if x.money, err = f.NewStyle(&excelize.Style{CustomNumFmt: &moneyFmt}); err != nil {
		return fail(err)
	}
	if x.sw, err = f.NewStreamWriter("orders"); err != nil {
		return fail(err)
	}
	_ = x.sw.SetColWidth(1, 1, 22)
	_ = x.sw.SetColWidth(2, 2, 20)
	_ = x.sw.SetColWidth(9, 9, 30)
	return x, nil
}

func (x *xlsxSink) next() string {
	x.n++
	cell, _ := excelize.CoordinatesToCellName(1, x.n)
	return cell
}

func (x *xlsxSink) header(cols []string) error {
	row := make([]any, len(cols))
	for i, c := range cols {
		row[i] = c
	}
	return x.sw.SetRow(x.next(), row)
}

// amount is a numeric cell for an exact decimal: rounded to the currency's
// decimals as a decimal, then parsed once from its string, so the double
// Excel stores is the one nearest that decimal (no float arithmetic).
func (x *xlsxSink) amount(d decimal.Decimal) excelize.Cell {
	v, _ := strconv.ParseFloat(d.StringFixedBank(x.decimals), 64)
	return excelize.Cell{StyleID: x.money, Value: v}
}

func (x *xlsxSink) row(r exportRow) error {
	// Wall-clock time in the shop's zone, to the second (excelize stores
	// the local time of the value it is given).
	at := r.createdAt.In(x.loc).Truncate(time.Second)
	return x.sw.SetRow(x.next(), []any{r.orderNo, excelize.Cell{StyleID: x.dateStyle, Value: at}, r.state, r.memberID,
		x.amount(r.total), x.amount(r.paid), x.amount(r.refunded), x.amount(r.shipping), r.title, r.skuCode, r.spec, r.qty,
		x.amount(r.unit), x.amount(r.linePaid)})
}

func (x *xlsxSink) close() error {
	defer x.f.Close()
	if err := x.sw.Flush(); err != nil {
		return fmt.Errorf("xlsx export: %w", err)
	}
	// excelize's WriteTo builds the whole archive in a bytes.Buffer first;
	// a zip writer on the output instead streams it (the buffer it is given
	// stays empty, and WriteTo copies nothing more).
	x.f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zip.NewWriter(x.out) })
	if _, err := x.f.WriteTo(io.Discard); err != nil {
		return fmt.Errorf("xlsx export: %w", err)
	}
	return nil
}
