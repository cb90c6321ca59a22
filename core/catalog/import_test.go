package catalog_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/banyanmall/banyan/core/catalog"
	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/jobs"
	"github.com/banyanmall/banyan/core/page"
	"github.com/banyanmall/banyan/core/tenancy"
)

const goodCSV = "\xef\xbb\xbfproduct_code,title,subtitle,category_path,brand,tags,status,sku_code,spec,price,original_price,cost,stock,weight,image_url\n" +
	"TEE,纯棉T恤,夏季,服装/男装/T恤,Banyan,夏季|纯棉,on_sale,TEE-R-M,颜色:红;尺码:M,59.00,79,20,10,0.2,https://img.example/r.png\n" +
	"TEE,,,,,,,TEE-R-L,颜色:红;尺码:L,59.00,,,5,,\n" +
	"TEE,,,,,,,TEE-B-M,颜色:蓝;尺码:M,62,,,0,,\n" +
	"MUG,马克杯,,家居/杯子,,,在售,MUG-1,,25.5,,,100,0.4,\n"

func TestImportDryRunReportsEveryBadRow(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := e.shop("free")
	e.product(ctx, "已有", nil, "1")
	var existingCode string
	if err := e.d.Owner.Get(&existingCode, `SELECT code FROM skus LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	bad := "product_code,title,sku_code,spec,price,stock,category_path,status\n" +
		"P1,好商品,P1-A,颜色:红,10,5,服装,on_sale\n" + // row 2: fine, but P1 has a bad row below
		"P1,,P1-B,颜色:蓝,-3,5,,\n" + // row 3: negative price
		"P2,商品二,P1-A,,10,1,,\n" + // row 4: SKU code used twice in the file
		"P3,商品三,P3-A,颜色红,10,1,,\n" + // row 5: malformed spec
		"P4,商品四,P4-A,,abc,x,,\n" + // row 6: price and stock not numbers
		"P5,商品五,P5-A,,10,1,a/b/c/d,sold\n" + // row 7: category too deep, bad status
		"P6,,P6-A,,10,1,,\n" + // row 8: new product without title
		"P7,商品七," + existingCode + ",,10,1,,\n" + // row 9: SKU code of an existing product
		"P8,\"unclosed,P8-A,,1,1,,\n" // row 10: malformed CSV
	rep, err := e.s.CheckImport(ctx, catalog.FormatCSV, []byte(bad))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{
		"3 price": true, "4 sku_code": true, "5 spec": true, "6 price": true, "6 stock": true, "7 category_path": true,
		"7 status": true, "8 title": true, "9 sku_code": true, "10 ": true,
	}
	got := map[string]bool{}
	for _, r := range rep.Errors {
		got[fmt.Sprintf("%d %s", r.Row, r.Column)] = true
		if r.Message == "" {
			t.Errorf("row %d %s: no message", r.Row, r.Column)
		}
	}
	for k := range want {
		if !got[k] {
			t.Errorf("missing error at row/column %q; got %+v", k, rep.Errors)
		}
	}
	if rep.Valid {
		t.Fatal("report says valid")
	}
	before := e.count(`SELECT count(*) FROM products`)
	if _, err := e.s.StartImport(ctx, "bad.csv", catalog.FormatCSV, []byte(bad)); !errs.Is(err, errs.Invalid) || fieldsOf(err)["rows[3].price"] == "" {
		t.Fatalf("import of a bad file: %v", err)
	}
	if n := e.count(`SELECT count(*) FROM products`); n != before || e.count(`SELECT count(*) FROM catalog_imports`) != 0 {
		t.Fatal("a refused import changed something")
	}
	for name, data := range map[string]string{
		"missing column": "product_code,title\nP,x\n",
		"unknown column": "product_code,sku_code,price,colour\nP,S,1,red\n",
		"not utf-8":      "product_code,sku_code,price,title\nP,S,1,\xb7\xfe\xd7\xb0\n",
	} {
		if _, err := e.s.CheckImport(ctx, catalog.FormatCSV, []byte(data)); fieldsOf(err)["file"] == "" {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := e.s.CheckImport(ctx, catalog.FormatXLSX, []byte("not a zip")); fieldsOf(err)["file"] != "unreadable" {
		t.Errorf("not an xlsx file: %v", err)
	}
}

func waitImport(t *testing.T, e *env, ctx context.Context, id catalog.ImportID) catalog.ImportJob {
	t.Helper()
	var j catalog.ImportJob
	waitFor(t, func() bool {
		var err error
		j, err = e.s.ImportJobByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return j.Status == catalog.JobDone || j.Status == catalog.JobFailed
	})
	return j
}

func TestImportCSVJobUpsertsByCode(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.runJobs()
	ctx := e.shop("free")
	rep, err := e.s.CheckImport(ctx, catalog.FormatCSV, []byte(goodCSV))
	if err != nil || !rep.Valid || rep.Products != 2 || rep.SKUs != 4 || rep.NewProducts != 2 {
		t.Fatalf("dry run %+v %v", rep, err)
	}
	if n := e.count(`SELECT count(*) FROM products`); n != 0 {
		t.Fatal("the dry run wrote")
	}
	job, err := e.s.StartImport(ctx, "catalog.csv", catalog.FormatCSV, []byte(goodCSV))
	if err != nil {
		t.Fatal(err)
	}
	if job.Status != catalog.JobQueued || job.Total != 4 {
		t.Fatalf("job %+v", job)
	}
	job = waitImport(t, e, ctx, job.ID)
	if job.Status != catalog.JobDone || job.Done != 4 || len(job.Errors) != 0 {
		t.Fatalf("job %+v", job)
	}
	// The same job delivered again (River retries, duplicates) changes nothing.
	err = e.d.App.InTenant(ctx, func(tx *db.Tx) error {
		_, err := jobs.Enqueue(ctx, tx, catalog.ImportArgs{Tenant: jobs.Tenant{TenantID: tenancy.ID(ctx)}, ImportID: job.ID}, nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		return e.count(`SELECT count(*) FROM river_job WHERE kind = 'catalog_import' AND state = 'completed'`) == 2
	})
	if again, _ := e.s.ImportJobByID(ctx, job.ID); again.FinishedAt == nil || !again.FinishedAt.Equal(*job.FinishedAt) || e.count(`SELECT count(*) FROM skus`) != 4 {
		t.Fatalf("a repeated job ran the import again: %+v", again)
	}
	res, err := e.s.Search(ctx, catalog.Query{Keyword: "T恤", Facets: true})
	if err != nil || len(res.Items) != 1 {
		t.Fatalf("search %+v %v", res, err)
	}
	p, err := e.s.Product(ctx, res.Items[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if p.Code != "TEE" || len(p.SKUs) != 3 || p.Status != catalog.OnSale || p.MinPrice.String() != "59" || p.MaxPrice.String() != "62" ||
		strings.Join(p.Tags, ",") != "夏季,纯棉" || len(p.Specs) != 2 || strings.Join(p.Specs[0].Values, ",") != "红,蓝" ||
		len(p.Images) != 1 || p.SKUs[0].Weight.String() != "0.2" {
		t.Fatalf("imported product %+v", p)
	}
	if len(res.Facets) != 3 || res.Facets[0].Name != "服装" {
		t.Fatalf("category path created: %+v", res.Facets)
	}

	// Importing again with changes updates by code; blank cells keep values.
	again := "product_code,sku_code,price,stock,spec\nTEE,TEE-R-M,49,,颜色:红;尺码:M\nTEE,TEE-B-L,65,3,颜色:蓝;尺码:L\n"
	job, err = e.s.StartImport(ctx, "again.csv", catalog.FormatCSV, []byte(again))
	if err != nil {
		t.Fatal(err)
	}
	if job = waitImport(t, e, ctx, job.ID); job.Status != catalog.JobDone {
		t.Fatalf("job %+v", job)
	}
	p, _ = e.s.Product(ctx, p.ID)
	byCode := map[string]catalog.SKU{}
	for _, s := range p.SKUs {
		byCode[s.Code] = s
	}
	if len(p.SKUs) != 4 || byCode["TEE-R-M"].Price.String() != "49" || byCode["TEE-R-M"].Stock != 10 || p.Title != "纯棉T恤" ||
		byCode["TEE-R-M"].OriginalPrice.String() != "79" || strings.Join(p.Specs[1].Values, ",") != "M,L" {
		t.Fatalf("after the second import %+v", p)
	}
	if n := e.count(`SELECT count(*) FROM products`); n != 2 {
		t.Fatalf("%d products, want 2", n)
	}

	// Export and import the export: nothing changes.
	var buf bytes.Buffer
	if err := e.s.Export(ctx, catalog.FormatCSV, &buf); err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(buf.String(), "\n"); lines != 6 {
		t.Fatalf("export has %d lines:\n%s", lines, buf.String())
	}
	rep, err = e.s.CheckImport(ctx, catalog.FormatCSV, buf.Bytes())
	if err != nil || !rep.Valid || rep.NewProducts != 0 || rep.SKUs != 5 {
		t.Fatalf("re-import of the export %+v %v\n%s", rep, err, buf.String())
	}
	jobsList, _, err := e.s.ListJobs(ctx, pageReq(10))
	if err != nil || len(jobsList) != 3 || jobsList[0].Kind != "export" {
		t.Fatalf("jobs %+v %v", jobsList, err)
	}
}

// TestImportRefusedGroupChangesNothing: a product whose rows the database
// refuses at import time (its SKU code was taken after the dry run) is left
// out whole, recorded in the errors; the other products are imported.
func TestImportRefusedGroupChangesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := e.shop("free")
	data := "product_code,title,sku_code,price,spec\nA,商品A,A-1,1,色:红\nA,,A-2,1,色:蓝\nB,商品B,B-1,2,\n"
	job, err := e.s.StartImport(ctx, "x.csv", catalog.FormatCSV, []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	// Meanwhile a product takes A-2 (before the worker picks the job up).
	e.product(ctx, "抢先", nil, "9")
	if _, err := e.d.Owner.Exec(`UPDATE skus SET code = 'A-2' WHERE product_id = (SELECT id FROM products WHERE title = '抢先')`); err != nil {
		t.Fatal(err)
	}
	e.runJobs()
	job = waitImport(t, e, ctx, job.ID)
	if job.Status != catalog.JobDone || len(job.Errors) != 1 || job.Errors[0].Row != 3 || job.Done != 3 {
		t.Fatalf("job %+v", job)
	}
	if e.count(`SELECT count(*) FROM products WHERE code = 'A'`) != 0 || e.count(`SELECT count(*) FROM skus WHERE code = 'A-1'`) != 0 {
		t.Fatal("product A half-imported")
	}
	if e.count(`SELECT count(*) FROM products WHERE code = 'B'`) != 1 {
		t.Fatal("product B not imported")
	}
}

func TestImportXLSX(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.runJobs()
	ctx := e.shop("free")
	f := excelize.NewFile()
	rows := [][]any{
		{"product_code", "title", "sku_code", "price", "stock", "spec", "category_path"},
		{"X1", "蓝牙音箱", "X1-A", 199.5, 7, "颜色:黑", "数码/音频"},
		{"X1", nil, "X1-B", 209, 3, "颜色:白", nil},
		{},
		{"X2", "数据线", "X2-A", "-1", 1, nil, nil},
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	rep, err := e.s.CheckImport(ctx, catalog.FormatXLSX, buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Valid || len(rep.Errors) != 1 || rep.Errors[0].Row != 5 || rep.Errors[0].Column != "price" || rep.Products != 1 {
		t.Fatalf("report %+v", rep)
	}
}

func pageReq(n int) page.Request { return page.Request{Limit: n} }
