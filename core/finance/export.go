package finance

import (
	"encoding/csv"
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"
)

// ExportMax bounds an export (a larger one should be narrowed by date).
const ExportMax = 100000

var exportHeader = []string{"created_at", "entry_id", "line_no", "kind", "ref", "order_id", "member_id", "account", "party", "debit", "credit", "memo"}

func exportRow(l JournalLine) []string {
	deref := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	return []string{l.CreatedAt.UTC().Format("2006-01-02T15:04:05Z07:00"), l.EntryID, fmt.Sprint(l.LineNo), l.Kind, l.Ref,
		deref(l.OrderID), deref(l.MemberID), string(l.Account), l.Party, l.Debit.StringFixed(Scale), l.Credit.StringFixed(Scale), l.Memo}
}

// WriteCSV writes lines as CSV with a header row.
func WriteCSV(w io.Writer, lines []JournalLine) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(exportHeader); err != nil {
		return err
	}
	for _, l := range lines {
		if err := cw.Write(exportRow(l)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteXLSX writes lines as one worksheet; amounts are numbers.
func WriteXLSX(w io.Writer, lines []JournalLine) error {
	f := excelize.NewFile()
	defer f.Close()
	sheet := "journal"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	row := func(vals []any, n int) error {
		cell, _ := excelize.CoordinatesToCellName(1, n)
		return sw.SetRow(cell, vals)
	}
	hdr := make([]any, len(exportHeader))
	for i, h := range exportHeader {
		hdr[i] = h
	}
	if err := row(hdr, 1); err != nil {
		return err
	}
	for i, l := range lines {
		r := exportRow(l)
		vals := make([]any, len(r))
		for j, v := range r {
			vals[j] = v
		}
		vals[9], _ = l.Debit.Float64() // a spreadsheet cell; the ledger itself never uses floats
		vals[10], _ = l.Credit.Float64()
		if err := row(vals, i+2); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.Write(w)
}
