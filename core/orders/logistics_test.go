package orders_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/banyanmall/banyan/core/apptest"
)

// placeSKU places an order of qty of sku by the fixture's member.
func (f *fixture) placeSKU(t *testing.T, sku string, qty int, key string) order {
	t.Helper()
	in := map[string]any{"lines": []any{map[string]any{"sku_id": sku, "qty": qty}}}
	q := f.quote(t, f.token, f.address, in)
	res := f.order(t, f.token, key, orderBody(q, f.address, in))
	if res.Status != 201 {
		t.Fatalf("order: %s", res)
	}
	var o order
	res.Decode(t, &o)
	return o
}

func (f *fixture) admin(method, path string, body any) apptest.Req {
	return apptest.Req{Method: method, Path: path, Token: f.shop.OwnerToken, Tenant: f.shop.Slug, Body: body}
}

func (f *fixture) markPaid(t *testing.T, id string) {
	t.Helper()
	f.e.Must(200, f.admin("POST", "/api/v1/admin/orders/"+id+"/mark-paid", map[string]string{"reference": "bank"}))
}

// ship ships an order in one parcel per tracking number, all with carrier.
func (f *fixture) ship(t *testing.T, id, carrier string, trackingNos ...string) {
	t.Helper()
	var parcels []any
	for _, n := range trackingNos {
		parcels = append(parcels, map[string]string{"carrier": carrier, "tracking_no": n})
	}
	f.e.Must(200, f.admin("POST", "/api/v1/admin/orders/"+id+"/ship", map[string]any{"parcels": parcels}))
}

type problem struct {
	Code   string `json:"code"`
	Fields []struct {
		Field, Code string
	} `json:"errors"`
}

func (p problem) has(field, code string) bool {
	for _, f := range p.Fields {
		if f.Field == field && (code == "" || f.Code == code) {
			return true
		}
	}
	return false
}

func TestExportXLSX(t *testing.T) {
	f := setup(t, 10)
	e := f.e
	sku := f.newSKU(t, "PEN-1") // 3.30
	paid := f.placeSKU(t, sku, 3, "x-1")
	f.markPaid(t, paid.ID)
	unpaid := f.placeSKU(t, sku, 1, "x-2")

	res := e.Must(200, f.admin("GET", "/api/v1/admin/orders/export?format=xlsx&state=paid", nil))
	if ct := res.Header.Get("Content-Type"); ct != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
		t.Fatalf("content type %q", ct)
	}
	if cd := res.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="orders-`+f.shop.Slug+"-") || !strings.HasSuffix(cd, `.xlsx"`) {
		t.Fatalf("content disposition %q", cd)
	}
	x, err := excelize.OpenReader(bytes.NewReader(res.Body))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rows, err := x.GetRows("orders")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || strings.Join(rows[0], ",") != "order_no,created_at,state,member_id,total,paid_amount,refunded_amount,shipping_fee,line_title,sku_code,spec,qty,unit_price,line_paid" {
		t.Fatalf("rows %q", rows)
	}
	var detail struct {
		OrderNo   string    `json:"order_no"`
		CreatedAt time.Time `json:"created_at"`
	}
	e.Must(200, f.admin("GET", "/api/v1/admin/orders/"+paid.ID, nil)).Decode(t, &detail)
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	r := rows[1]
	want := map[int]string{0: detail.OrderNo, 1: detail.CreatedAt.In(shanghai).Format(time.DateTime), 2: "paid", 4: "9.90", 5: "9.90",
		6: "0.00", 7: "0.00", 8: "商品 PEN-1", 9: "PEN-1", 11: "3", 12: "3.30", 13: "9.90"}
	for i, v := range want {
		if r[i] != v {
			t.Errorf("column %s = %q, want %q (row %q)", rows[0][i], r[i], v, r)
		}
	}
	// Amounts and quantities are numeric cells, not text.
	for _, cell := range []string{"E2", "L2", "M2", "N2"} {
		raw, _ := x.GetCellValue("orders", cell, excelize.Options{RawCellValue: true})
		typ, _ := x.GetCellType("orders", cell)
		if typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
			t.Errorf("%s is a string cell (%q)", cell, raw)
		}
	}
	if raw, _ := x.GetCellValue("orders", "E2", excelize.Options{RawCellValue: true}); raw != "9.9" {
		t.Errorf("E2 raw %q, want 9.9", raw)
	}

	// Without a state filter both orders are there; the CSV has the same rows.
	res = e.Must(200, f.admin("GET", "/api/v1/admin/orders/export?format=xlsx", nil))
	x2, err := excelize.OpenReader(bytes.NewReader(res.Body))
	if err != nil {
		t.Fatal(err)
	}
	defer x2.Close()
	if rows, _ := x2.GetRows("orders"); len(rows) != 3 || rows[1][0] != unpaid.OrderNo {
		t.Fatalf("all: %q", rows)
	}
	csv := e.Must(200, f.admin("GET", "/api/v1/admin/orders/export?state=paid&format=csv", nil))
	if ct := csv.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" || !strings.Contains(string(csv.Body), detail.OrderNo) ||
		strings.Contains(string(csv.Body), unpaid.OrderNo) {
		t.Fatalf("csv %q: %s", ct, csv.Body)
	}

	for _, q := range []string{"format=pdf", "format=XLSX", "format=xlsx&from=yesterday"} {
		var p problem
		e.Must(422, f.admin("GET", "/api/v1/admin/orders/export?"+q, nil)).Decode(t, &p)
		field := "format"
		if strings.Contains(q, "from") {
			field = "from"
		}
		if !p.has(field, "invalid") {
			t.Errorf("%s: %+v", q, p)
		}
	}
}

type carrier struct {
	Code        string `json:"code"`
	Name        string `json:"name"`
	TrackingURL string `json:"tracking_url"`
	Enabled     bool   `json:"enabled"`
	SortOrder   int    `json:"sort_order"`
}

func (f *fixture) carriers(t *testing.T, query string) []carrier {
	t.Helper()
	var cs []carrier
	f.e.Must(200, f.admin("GET", "/api/v1/admin/carriers"+query, nil)).Decode(t, &cs)
	return cs
}

func codes(cs []carrier) string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Code)
	}
	return strings.Join(out, ",")
}

func TestCarriers(t *testing.T) {
	f := setup(t, 10)
	e := f.e
	// Seeded on first use, concurrently: still one set.
	var wg sync.WaitGroup
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e.Must(200, f.admin("GET", "/api/v1/admin/carriers", nil))
		}()
	}
	wg.Wait()
	if got := codes(f.carriers(t, "")); got != "SF,ZTO,YTO,YUNDA,STO,EMS,JD,JT" {
		t.Fatalf("seeded: %s", got)
	}

	// Create, conflicts and bad input.
	e.Must(201, f.admin("POST", "/api/v1/admin/carriers", map[string]any{"code": "DEPPON", "name": " 德邦快递 ", "sort_order": 5,
		"tracking_url": "https://example.com/track?no={tracking_no}"}))
	var p problem
	e.Must(409, f.admin("POST", "/api/v1/admin/carriers", map[string]any{"code": "DEPPON", "name": "again"})).Decode(t, &p)
	if !p.has("code", "taken") {
		t.Fatalf("taken: %+v", p)
	}
	for _, tc := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"code": "sf express", "name": "x"}, "code"},
		{map[string]any{"code": "NEW"}, "name"},
		{map[string]any{"code": "NEW", "name": "x", "tracking_url": "javascript:alert(1)//{tracking_no}"}, "tracking_url"},
		{map[string]any{"code": "NEW", "name": "x", "tracking_url": "https://example.com/no-placeholder"}, "tracking_url"},
		{map[string]any{"code": "NEW", "name": strings.Repeat("长", 65)}, "name"},
	} {
		var p problem
		e.Must(422, f.admin("POST", "/api/v1/admin/carriers", tc.body)).Decode(t, &p)
		if !p.has(tc.field, "") {
			t.Errorf("%v: %+v", tc.body, p)
		}
	}
	var c carrier
	e.Must(200, f.admin("GET", "/api/v1/admin/carriers/DEPPON", nil)).Decode(t, &c)
	if c.Name != "德邦快递" || !c.Enabled || c.SortOrder != 5 {
		t.Fatalf("created: %+v", c)
	}
	e.Must(422, f.admin("PATCH", "/api/v1/admin/carriers/DEPPON", map[string]any{"code": "DB"}))
	e.Must(404, f.admin("PATCH", "/api/v1/admin/carriers/NOPE", map[string]any{"enabled": false}))
	e.Must(200, f.admin("PATCH", "/api/v1/admin/carriers/SF", map[string]any{"enabled": false}))
	if got := codes(f.carriers(t, "?enabled=true")); got != "DEPPON,ZTO,YTO,YUNDA,STO,EMS,JD,JT" {
		t.Fatalf("enabled: %s", got)
	}
	// Deleting is not undone by seeding again.
	e.Must(204, f.admin("DELETE", "/api/v1/admin/carriers/JT", nil))
	e.Must(404, f.admin("DELETE", "/api/v1/admin/carriers/JT", nil))
	if got := codes(f.carriers(t, "")); strings.Contains(got, "JT") || !strings.Contains(got, "SF") {
		t.Fatalf("after delete: %s", got)
	}

	// Support staff may read carriers (to ship) but not change them.
	support, _ := e.AddStaff(f.shop, "support")
	e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/admin/carriers", Token: support, Tenant: f.shop.Slug})
	e.Must(403, apptest.Req{Method: "PATCH", Path: "/api/v1/admin/carriers/ZTO", Token: support, Tenant: f.shop.Slug, Body: map[string]any{"enabled": false}})

	// Shipping takes only an enabled carrier of the shop.
	o := f.place(t, 1, "c-1")
	f.markPaid(t, o.ID)
	for _, tc := range []struct{ carrier, field string }{{"SF", "parcels[1].carrier"}, {"NOPE", "parcels[1].carrier"}, {"JT", "parcels[1].carrier"}} {
		var p problem
		e.Must(422, f.admin("POST", "/api/v1/admin/orders/"+o.ID+"/ship", map[string]any{"parcels": []any{
			map[string]string{"carrier": "ZTO", "tracking_no": "Z1"}, map[string]string{"carrier": tc.carrier, "tracking_no": "X1"}}})).Decode(t, &p)
		if !p.has(tc.field, "unknown_carrier") || p.has("parcels[0].carrier", "") {
			t.Errorf("%s: %+v", tc.carrier, p)
		}
	}
	if got := f.get(t, o.ID); got.State != "paid" {
		t.Fatalf("a refused shipment changed the order: %s", got.State)
	}
	f.ship(t, o.ID, "DEPPON", "DP 1/2")
	f.ship(t, f.offlinePaidOrder(t, "c-2"), "ZTO", "Z2")
	var mine struct {
		Parcels []struct {
			Carrier, CarrierName, TrackingNo, TrackingURL string
		}
	}
	e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/shop/orders/" + o.ID, Token: f.token, Tenant: f.shop.Slug}).Decode(t, &mine)
	if len(mine.Parcels) != 1 || mine.Parcels[0].CarrierName != "" {
		// json field names are snake_case; decode them explicitly below
	}
	var detail struct {
		Parcels []struct {
			Carrier     string `json:"carrier"`
			CarrierName string `json:"carrier_name"`
			TrackingURL string `json:"tracking_url"`
		} `json:"parcels"`
	}
	e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/shop/orders/" + o.ID, Token: f.token, Tenant: f.shop.Slug}).Decode(t, &detail)
	if len(detail.Parcels) != 1 || detail.Parcels[0].CarrierName != "德邦快递" || detail.Parcels[0].TrackingURL != "https://example.com/track?no=DP+1%2F2" {
		t.Fatalf("member's parcels: %+v", detail.Parcels)
	}
	// A deleted carrier's parcels show its code and no link.
	e.Must(204, f.admin("DELETE", "/api/v1/admin/carriers/DEPPON", nil))
	detail.Parcels = nil
	e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/shop/orders/" + o.ID, Token: f.token, Tenant: f.shop.Slug}).Decode(t, &detail)
	if detail.Parcels[0].CarrierName != "DEPPON" || detail.Parcels[0].TrackingURL != "" {
		t.Fatalf("deleted carrier: %+v", detail.Parcels)
	}
}

// offlinePaidOrder places and marks paid (offline) an order of one unit and returns its id.
func (f *fixture) offlinePaidOrder(t *testing.T, key string) string {
	t.Helper()
	o := f.place(t, 1, key)
	f.markPaid(t, o.ID)
	return o.ID
}

type trackingReport struct {
	DryRun     bool `json:"dry_run"`
	Rows       int  `json:"rows"`
	Valid      bool `json:"valid"`
	Added      int  `json:"added"`
	Duplicates int  `json:"duplicates"`
	Errors     []struct {
		Row     int    `json:"row"`
		Column  string `json:"column"`
		Message string `json:"message"`
	} `json:"errors"`
}

func (f *fixture) uploadCSV(path, csv string) apptest.Req {
	return apptest.Req{Method: "POST", Path: path, Token: f.shop.OwnerToken, Tenant: f.shop.Slug, Body: csv,
		Header: map[string]string{"Content-Type": "text/csv; charset=utf-8"}}
}

func (f *fixture) uploadMultipart(t *testing.T, path, csv string, fields map[string]string) apptest.Req {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	fw, err := mw.CreateFormFile("file", "tracking.csv")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fw.Write([]byte(csv))
	_ = mw.Close()
	return apptest.Req{Method: "POST", Path: path, Token: f.shop.OwnerToken, Tenant: f.shop.Slug, Body: buf.Bytes(),
		Header: map[string]string{"Content-Type": mw.FormDataContentType()}}
}

type tracked struct {
	Parcels []struct {
		TrackingNo string `json:"tracking_no"`
		Tracking   []struct {
			At          time.Time `json:"at"`
			Status      string    `json:"status"`
			Description string    `json:"description"`
			Location    string    `json:"location"`
		} `json:"tracking"`
	} `json:"parcels"`
}

func (f *fixture) tracking(t *testing.T, id string) tracked {
	t.Helper()
	var o tracked
	f.e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/shop/orders/" + id, Token: f.token, Tenant: f.shop.Slug}).Decode(t, &o)
	return o
}

func (o tracked) events() int {
	n := 0
	for _, p := range o.Parcels {
		n += len(p.Tracking)
	}
	return n
}

func TestTrackingImport(t *testing.T) {
	f := setup(t, 10)
	e := f.e
	o := f.place(t, 2, "t-1")
	f.markPaid(t, o.ID)
	f.ship(t, o.ID, "SF", "SF100", "SF200")
	no := f.get(t, o.ID).OrderNo
	unshipped := f.place(t, 1, "t-2").OrderNo

	// Another shop's shipped order: its number is unknown here.
	g := &fixture{e: e, shop: e.Signup(fmt.Sprintf("o%d", time.Now().UnixNano()%1e9))}
	otherNo := f.otherShopOrderNo(t, g)

	const path = "/api/v1/admin/tracking-imports"
	bad := "\ufefforder_no,tracking_no,time,status,description,location\n" +
		no + ",SF100,2026-11-20T10:30:00+08:00,picked_up,已揽收,杭州\n" + // row 2: good
		"NOPE,SF100,2026-11-20 10:30,,到达,\n" + // 3: unknown order
		otherNo + ",OT1,2026-11-20 10:30,,到达,\n" + // 4: another shop's order
		no + ",ZZ999,2026-11-20 10:30,,到达,\n" + // 5: no such parcel
		unshipped + ",SF100,2026-11-20 10:30,,到达,\n" + // 6: order without parcels
		no + ",SF200,20/11/2026,,到达,\n" + // 7: bad time
		no + ",SF200,2026-11-20 11:00,,,\n" + // 8: empty description
		"\n" +
		no + ",SF200,2026-11-20 12:00,in_transit,运输中,上海\n" // 10: good
	var rep trackingReport
	e.Must(200, f.uploadCSV(path+"?dry_run=true", bad)).Decode(t, &rep)
	want := []string{"3 order_no unknown order", "4 order_no unknown order", "5 tracking_no the order has no parcel with this tracking number",
		"6 tracking_no the order has no parcel with this tracking number", "7 time", "8 description empty description"}
	if !rep.DryRun || rep.Valid || rep.Rows != 8 || len(rep.Errors) != len(want) {
		t.Fatalf("dry run: %+v", rep)
	}
	for i, w := range want {
		got := fmt.Sprintf("%d %s %s", rep.Errors[i].Row, rep.Errors[i].Column, rep.Errors[i].Message)
		if !strings.HasPrefix(got, w) {
			t.Errorf("error %d: %q, want %q", i, got, w)
		}
	}
	// The real run refuses the whole file, naming every bad row.
	var p problem
	e.Must(422, f.uploadMultipart(t, path, bad, nil)).Decode(t, &p)
	if len(p.Fields) != len(want) || !p.has("rows[3].order_no", "invalid_row") || !p.has("rows[8].description", "invalid_row") {
		t.Fatalf("refused: %+v", p)
	}
	if n := f.tracking(t, o.ID).events(); n != 0 {
		t.Fatalf("a refused upload recorded %d events", n)
	}

	good := "order_no,tracking_no,time,description,location\n" +
		no + ",SF100,2026-11-20T10:30:00+08:00,已揽收,杭州\n" +
		no + ",SF200,2026-11-20 12:00,运输中,上海\n" +
		no + ",SF200,2026-11-20 12:00,运输中,上海\n" // repeated in the file
	e.Must(200, f.uploadMultipart(t, path, good, map[string]string{"dry_run": "true"})).Decode(t, &rep)
	if !rep.Valid || rep.Added != 2 || rep.Duplicates != 1 || f.tracking(t, o.ID).events() != 0 {
		t.Fatalf("good dry run: %+v", rep)
	}
	// Uploaded concurrently, several times: the events are recorded once.
	var wg sync.WaitGroup
	reps := make([]trackingReport, 4)
	for i := range reps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e.Must(200, f.uploadCSV(path, good)).Decode(t, &reps[i])
		}()
	}
	wg.Wait()
	added := 0
	for _, r := range reps {
		added += r.Added
		if r.DryRun || !r.Valid || r.Added+r.Duplicates != 3 {
			t.Errorf("upload: %+v", r)
		}
	}
	if added != 2 {
		t.Fatalf("added %d events over the uploads, want 2", added)
	}
	got := f.tracking(t, o.ID)
	if got.events() != 2 {
		t.Fatalf("events: %+v", got)
	}
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	for _, p := range got.Parcels {
		ev := p.Tracking[0]
		switch p.TrackingNo {
		case "SF100":
			if !ev.At.Equal(time.Date(2026, 11, 20, 10, 30, 0, 0, shanghai)) || ev.Description != "已揽收" || ev.Location != "杭州" || ev.Status != "in_transit" {
				t.Errorf("SF100: %+v", ev)
			}
		case "SF200":
			if !ev.At.Equal(time.Date(2026, 11, 20, 12, 0, 0, 0, shanghai)) || ev.Location != "上海" {
				t.Errorf("SF200 (shop's time zone): %+v", ev)
			}
		}
	}

	// Whole-file problems and bad parameters.
	for _, tc := range []struct {
		req    apptest.Req
		status int
		field  string
	}{
		{f.uploadCSV(path, "order_no,tracking_no,time\n1,2,3\n"), 422, "file"},
		{f.uploadCSV(path, "order_no,tracking_no,time,description,weight\n"), 422, "file"},
		{f.uploadCSV(path, "order_no,tracking_no,time,description\n"), 422, "file"},
		{f.uploadCSV(path+"?dry_run=maybe", good), 422, "dry_run"},
		{apptest.Req{Method: "POST", Path: path, Token: f.shop.OwnerToken, Tenant: f.shop.Slug, Body: map[string]string{"csv": good}}, 415, ""},
	} {
		var p problem
		e.Must(tc.status, tc.req).Decode(t, &p)
		if tc.field != "" && !p.has(tc.field, "") {
			t.Errorf("%s: %+v", tc.req.Body, p)
		}
	}
}

// otherShopOrderNo ships an order in g's shop with tracking number OT1 and
// returns its number.
func (f *fixture) otherShopOrderNo(t *testing.T, g *fixture) string {
	t.Helper()
	e := f.e
	g.sku = g.newSKU(t, "OTHER-1")
	g.token, g.member = e.Member(g.shop)
	res := e.Must(201, apptest.Req{Method: "POST", Path: "/api/v1/shop/me/addresses", Token: g.token, Tenant: g.shop.Slug, Body: map[string]any{
		"name": "Li Lei", "phone": "13800138000", "province": "浙江省", "city": "杭州市", "district": "西湖区", "detail": "文三路 1 号"}})
	var a struct{ ID string }
	res.Decode(t, &a)
	g.address = a.ID
	id := g.offlinePaidOrder(t, "other-1")
	g.ship(t, id, "SF", "OT1")
	return g.get(t, id).OrderNo
}
