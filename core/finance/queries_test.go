package finance_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"

	"github.com/banyanmall/banyan/core/finance"
	"github.com/banyanmall/banyan/core/page"
)

func TestJournalReportsAndExports(t *testing.T) {
	e := setup(t)
	order := uuid.NewString()
	party := uuid.NewString()
	d := decimal.RequireFromString
	entries := []finance.Entry{
		{Kind: "payment", Ref: "p1", OrderID: order, Lines: []finance.Line{
			{Account: finance.CustomerClearing, Debit: d("110")}, {Account: finance.SalesRevenue, Credit: d("100")}, {Account: finance.ShippingRevenue, Credit: d("10")}}},
		{Kind: "commission.freeze", Ref: order, OrderID: order, Lines: []finance.Line{
			{Account: finance.CommissionExpense, Debit: d("10")}, {Account: finance.FrozenPayable, Party: party, Credit: d("10")}}},
		{Kind: "order_refund", Ref: "r1", OrderID: order, Lines: []finance.Line{
			{Account: finance.Refunds, Debit: d("20")}, {Account: finance.CustomerClearing, Credit: d("20")}}},
	}
	for _, en := range entries {
		if _, _, err := e.post(en); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 5 {
		if _, _, err := e.post(finance.Entry{Kind: "payment", Ref: fmt.Sprintf("x%d", i), Lines: []finance.Line{
			{Account: finance.CustomerClearing, Debit: d("1")}, {Account: finance.SalesRevenue, Credit: d("1")}}}); err != nil {
			t.Fatal(err)
		}
	}
	// Filter by order, page two lines at a time.
	seen, cursor := 0, ""
	for {
		items, next, err := e.svc.Journal(e.ctx, finance.JournalFilter{OrderID: order}, page.Request{Cursor: cursor, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		seen += len(items)
		if next == "" {
			break
		}
		cursor = next
	}
	if seen != 7 {
		t.Fatalf("order has %d lines, want 7", seen)
	}
	items, _, err := e.svc.Journal(e.ctx, finance.JournalFilter{Party: party, Account: finance.FrozenPayable}, page.Request{})
	if err != nil || len(items) != 1 || !items[0].Credit.Equal(d("10")) {
		t.Fatalf("party filter: %+v %v", items, err)
	}
	all, err := e.svc.JournalAll(e.ctx, finance.JournalFilter{Kind: "payment"}, finance.ExportMax)
	if err != nil || len(all) != 13 {
		t.Fatalf("payment lines %d %v", len(all), err)
	}
	var buf bytes.Buffer
	if err := finance.WriteCSV(&buf, all); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(rows) != 14 || rows[0][0] != "created_at" {
		t.Fatalf("csv rows %d %v", len(rows), err)
	}
	buf.Reset()
	if err := finance.WriteXLSX(&buf, all); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	xrows, _ := f.GetRows("journal")
	if len(xrows) != 14 {
		t.Fatalf("xlsx rows %d", len(xrows))
	}
	now := time.Now()
	rep, err := e.svc.Reports(e.ctx, now.Add(-48*time.Hour), now.Add(time.Hour), "month")
	if err != nil || len(rep.Rows) != 1 {
		t.Fatalf("report %+v %v", rep, err)
	}
	tot := rep.Total
	if !tot.Sales.Equal(d("105")) || !tot.Shipping.Equal(d("10")) || !tot.Refunds.Equal(d("20")) || !tot.Commission.Equal(d("10")) || !tot.Profit.Equal(d("85")) {
		t.Fatalf("report totals %+v", tot)
	}
	if _, err := e.svc.Reports(e.ctx, now, now.Add(-time.Hour), "year"); err == nil {
		t.Fatal("bad report range accepted")
	}
	prep, err := e.svc.PlatformReport(e.ctx, now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil || len(prep.Tenants) != 1 || !prep.Tenants[0].GMV.Equal(d("115")) || prep.Tenants[0].Orders != 1 || !prep.Tenants[0].Commission.Equal(d("10")) {
		t.Fatalf("platform report %+v %v", prep, err)
	}
}
