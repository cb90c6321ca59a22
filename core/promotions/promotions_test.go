package promotions_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/apptest"
	"github.com/banyanmall/banyan/core/config"
	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/identity"
	"github.com/banyanmall/banyan/core/promotions"
	"github.com/banyanmall/banyan/core/tenancy"
)

// env is a running Banyan with its own plugin directory: promotion-basic,
// and the same binary installed a second time as the third-party plugin
// promotion-extra, so that stacking across plugins runs through real
// processes.
type env struct {
	*apptest.Env
	shop apptest.Shop
	ctx  context.Context
	dir  string
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatalf("%v (build the plugins: bash plugins/build.sh bin/plugins, and set BANYAN_PLUGIN_DIR)", err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

func pluginDir(t *testing.T) string {
	t.Helper()
	src := os.Getenv("BANYAN_PLUGIN_DIR")
	if src == "" {
		t.Fatal("BANYAN_PLUGIN_DIR is not set (make test sets it)")
	}
	dir := t.TempDir()
	copyFile(t, filepath.Join(src, "promotion-basic"), filepath.Join(dir, "promotion-basic"))
	copyFile(t, filepath.Join(src, "promotion-basic.manifest.json"), filepath.Join(dir, "promotion-basic.manifest.json"))
	copyFile(t, filepath.Join(src, "promotion-basic"), filepath.Join(dir, "promotion-extra"))
	raw, err := os.ReadFile(filepath.Join(src, "promotion-basic.manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	m["name"], m["binary"] = "promotion-extra", "promotion-extra"
	b, _ := json.Marshal(m)
	if err := os.WriteFile(filepath.Join(dir, "promotion-extra.manifest.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func setup(t *testing.T) *env {
	t.Helper()
	dir := pluginDir(t)
	e := apptest.New(t, func(c *config.Config) { c.PluginDir = dir; c.PluginTimeout = time.Second })
	shop := e.Signup("promo-shop")
	op := e.Operator("superadmin")
	// A third-party plugin is available to no plan until an operator says so.
	if res := e.Do(apptest.Req{Method: "PUT", Path: "/api/v1/admin/plugins/promotion-extra", Token: shop.OwnerToken, Tenant: shop.Slug,
		Body: map[string]any{"enabled": true}}); res.Status != 404 {
		t.Fatalf("third-party plugin before it is made available: want 404, got %s", res)
	}
	e.Must(200, apptest.Req{Method: "PATCH", Path: "/api/v1/platform/plugins/promotion-extra", Token: op, Body: map[string]any{"available_to": "all"}})
	for name, prio := range map[string]int{"promotion-basic": 20, "promotion-extra": 10} {
		e.Must(200, apptest.Req{Method: "PUT", Path: "/api/v1/admin/plugins/" + name, Token: shop.OwnerToken, Tenant: shop.Slug,
			Body: map[string]any{"enabled": true, "priority": prio}})
	}
	ctx := tenancy.With(context.Background(), tenancy.Tenant{ID: tenancy.TenantID(shop.ID), Slug: shop.Slug, Currency: "CNY"})
	return &env{Env: e, shop: shop, ctx: ctx, dir: dir}
}

func (e *env) campaign(t *testing.T, body map[string]any) string {
	t.Helper()
	if body["status"] == nil {
		body["status"] = "active"
	}
	res := e.Must(201, apptest.Req{Method: "POST", Path: "/api/v1/admin/promotions", Token: e.shop.OwnerToken, Tenant: e.shop.Slug, Body: body})
	var out struct{ ID string }
	res.Decode(t, &out)
	return out.ID
}

func (e *env) patch(t *testing.T, id string, body map[string]any) {
	t.Helper()
	e.Must(200, apptest.Req{Method: "PATCH", Path: "/api/v1/admin/promotions/" + id, Token: e.shop.OwnerToken, Tenant: e.shop.Slug, Body: body})
}

func (e *env) apply(t *testing.T, lines ...promotions.Line) (promotions.Result, error) {
	t.Helper()
	var res promotions.Result
	err := e.App.DB.InTenant(e.ctx, func(tx *db.Tx) error {
		var err error
		res, err = e.App.Promotions.Apply(e.ctx, tx, promotions.ApplyInput{Lines: lines})
		return err
	})
	return res, err
}

func (e *env) mustApply(t *testing.T, lines ...promotions.Line) promotions.Result {
	t.Helper()
	res, err := e.apply(t, lines...)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func line(id, category, amount string) promotions.Line {
	a := decimal.RequireFromString(amount)
	return promotions.Line{LineID: id, ProductID: "p-" + id, SKUID: "s-" + id, CategoryID: category, Quantity: 1, UnitPrice: a, Amount: a}
}

// perLine renders a result's per-line discounts, sorted, e.g. "L1=24.00 L2=6.00".
func perLine(r promotions.Result) string {
	var out []string
	for _, id := range []string{"L1", "L2", "L3"} {
		if d, ok := r.PerLine[id]; ok {
			out = append(out, id+"="+d.StringFixed(2))
		}
	}
	return strings.Join(out, " ") + " total=" + r.Total.StringFixed(2)
}

func TestCampaignAdmin(t *testing.T) {
	e := setup(t)
	post := func(body map[string]any) *apptest.Resp {
		return e.Do(apptest.Req{Method: "POST", Path: "/api/v1/admin/promotions", Token: e.shop.OwnerToken, Tenant: e.shop.Slug, Body: body})
	}
	for _, c := range []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"plugin not enabled", map[string]any{"name": "x", "plugin": "payment-sandbox", "config": map[string]any{}}, "plugin"},
		{"config against the campaign schema", map[string]any{"name": "x", "plugin": "promotion-basic",
			"config": map[string]any{"type": "percent_off", "percent": "abc"}}, "config.percent"},
		{"window", map[string]any{"name": "x", "plugin": "promotion-basic", "config": map[string]any{"type": "percent_off", "percent": "5"},
			"starts_at": "2030-01-02T00:00:00Z", "ends_at": "2030-01-01T00:00:00Z"}, "ends_at"},
		{"priority", map[string]any{"name": "x", "plugin": "promotion-basic", "config": map[string]any{"type": "percent_off", "percent": "5"},
			"priority": 20000}, "priority"},
		{"name", map[string]any{"name": " ", "plugin": "promotion-basic", "config": map[string]any{"type": "percent_off", "percent": "5"}}, "name"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := post(c.body)
			if res.Status != 422 {
				t.Fatalf("want 422, got %s", res)
			}
			found := false
			for _, f := range res.Problem(t).Errors {
				found = found || f.Field == c.field
			}
			if !found {
				t.Errorf("want a field error on %s: %s", c.field, res.Body)
			}
		})
	}
	id := e.campaign(t, map[string]any{"name": "Draft", "plugin": "promotion-basic", "status": "draft",
		"config": map[string]any{"type": "amount_off", "amount": "5"}, "usage_limit": 10})
	var got promotions.Campaign
	e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/admin/promotions/" + id, Token: e.shop.OwnerToken, Tenant: e.shop.Slug}).Decode(t, &got)
	if got.Status != "draft" || got.UsageLimit != 10 || got.Plugin != "promotion-basic" {
		t.Errorf("got %+v", got)
	}
	if r := e.mustApply(t, line("L1", "c", "100")); len(r.Adjustments) != 0 {
		t.Errorf("a draft applied: %+v", r)
	}
	e.patch(t, id, map[string]any{"status": "active", "priority": 5})
	if r := e.mustApply(t, line("L1", "c", "100")); perLine(r) != "L1=5.00 total=5.00" {
		t.Errorf("active: %s", perLine(r))
	}
	var list struct{ Items []promotions.Campaign }
	e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/admin/promotions?status=active", Token: e.shop.OwnerToken, Tenant: e.shop.Slug}).Decode(t, &list)
	if len(list.Items) != 1 || string(list.Items[0].ID) != id {
		t.Errorf("active list: %+v", list.Items)
	}
	e.patch(t, id, map[string]any{"status": "ended"})
	if res := e.Do(apptest.Req{Method: "PATCH", Path: "/api/v1/admin/promotions/" + id, Token: e.shop.OwnerToken, Tenant: e.shop.Slug,
		Body: map[string]any{"status": "active"}}); res.Status != 409 {
		t.Errorf("reactivating an ended promotion: want 409, got %s", res)
	}
	e.Must(204, apptest.Req{Method: "DELETE", Path: "/api/v1/admin/promotions/" + id, Token: e.shop.OwnerToken, Tenant: e.shop.Slug})
	e.Must(404, apptest.Req{Method: "GET", Path: "/api/v1/admin/promotions/" + id, Token: e.shop.OwnerToken, Tenant: e.shop.Slug})
}

func TestApplyThroughPlugins(t *testing.T) {
	e := setup(t)
	var live []string
	pauseAll := func() {
		for _, id := range live {
			e.patch(t, id, map[string]any{"status": "paused"})
		}
		live = nil
	}
	add := func(plugin, name string, cfg map[string]any, extra map[string]any) string {
		body := map[string]any{"name": name, "plugin": plugin, "config": cfg}
		for k, v := range extra {
			body[k] = v
		}
		id := e.campaign(t, body)
		live = append(live, id)
		return id
	}
	t.Run("percent off one category", func(t *testing.T) {
		defer pauseAll()
		add("promotion-basic", "10% off shoes", map[string]any{"type": "percent_off", "percent": "10",
			"scope": map[string]any{"type": "categories", "ids": []string{"shoes"}}}, nil)
		r := e.mustApply(t, line("L1", "shoes", "99.95"), line("L2", "hats", "50"))
		// 9.995 rounds half-even to 10.00.
		if got := perLine(r); got != "L1=10.00 total=10.00" {
			t.Errorf("got %s", got)
		}
		if len(r.Adjustments) != 1 || r.Adjustments[0].Plugin != "promotion-basic" || r.Adjustments[0].CampaignName != "10% off shoes" {
			t.Errorf("adjustments %+v", r.Adjustments)
		}
	})
	t.Run("full reduction tiers", func(t *testing.T) {
		defer pauseAll()
		add("promotion-basic", "满减", map[string]any{"type": "full_reduction", "tiers": []map[string]string{
			{"spend": "100", "save": "10"}, {"spend": "200", "save": "30"}}}, nil)
		if got := perLine(e.mustApply(t, line("L1", "c", "200"), line("L2", "c", "50"))); got != "L1=24.00 L2=6.00 total=30.00" {
			t.Errorf("250 spent: got %s", got)
		}
		if got := perLine(e.mustApply(t, line("L1", "c", "100"), line("L2", "c", "50"))); got != "L1=6.67 L2=3.33 total=10.00" {
			t.Errorf("150 spent: got %s", got)
		}
		if got := perLine(e.mustApply(t, line("L1", "c", "99.99"))); got != " total=0.00" {
			t.Errorf("below the first tier: got %s", got)
		}
	})
	t.Run("exclusive against stackable", func(t *testing.T) {
		defer pauseAll()
		add("promotion-basic", "10% off", map[string]any{"type": "percent_off", "percent": "10"}, map[string]any{"priority": 10})
		add("promotion-basic", "5 off", map[string]any{"type": "amount_off", "amount": "5"}, map[string]any{"stacking_group": "cash"})
		excl := add("promotion-extra", "20 off alone", map[string]any{"type": "amount_off", "amount": "20"}, map[string]any{"exclusive": true})
		cart := []promotions.Line{line("L1", "c", "100"), line("L2", "c", "100")}
		// Stackable: 10 + 10 + 5 = 25 beats the exclusive 20.
		r := e.mustApply(t, cart...)
		if got := perLine(r); got != "L1=12.50 L2=12.50 total=25.00" || len(r.Adjustments) != 3 {
			t.Errorf("stackable should win: %s %+v", got, r.Adjustments)
		}
		// An exclusive 40 beats them all, alone.
		e.patch(t, excl, map[string]any{"config": map[string]any{"type": "amount_off", "amount": "40"}})
		r = e.mustApply(t, cart...)
		if got := perLine(r); got != "L1=20.00 L2=20.00 total=40.00" || len(r.Adjustments) != 1 || !r.Adjustments[0].Exclusive {
			t.Errorf("exclusive should win: %s %+v", got, r.Adjustments)
		}
		// Same stacking group across plugins: only the larger one.
		e.patch(t, excl, map[string]any{"exclusive": false, "stacking_group": "cash",
			"config": map[string]any{"type": "amount_off", "amount": "8"}})
		r = e.mustApply(t, cart...)
		if got := perLine(r); got != "L1=14.00 L2=14.00 total=28.00" {
			t.Errorf("one of group cash (8 over 5) plus 10%%: %s %+v", got, r.Adjustments)
		}
	})
	t.Run("never below zero", func(t *testing.T) {
		defer pauseAll()
		add("promotion-basic", "90 off", map[string]any{"type": "amount_off", "amount": "90"}, nil)
		add("promotion-extra", "50 off", map[string]any{"type": "amount_off", "amount": "50"}, nil)
		r := e.mustApply(t, line("L1", "c", "100"))
		if got := perLine(r); got != "L1=100.00 total=100.00" {
			t.Errorf("got %s %+v", got, r.Adjustments)
		}
	})
	t.Run("window", func(t *testing.T) {
		defer pauseAll()
		add("promotion-basic", "later", map[string]any{"type": "amount_off", "amount": "5"},
			map[string]any{"starts_at": time.Now().Add(time.Hour).Format(time.RFC3339)})
		if got := perLine(e.mustApply(t, line("L1", "c", "100"))); got != " total=0.00" {
			t.Errorf("a campaign that has not started applied: %s", got)
		}
	})
}

func TestUsageLimitUnderConcurrency(t *testing.T) {
	e := setup(t)
	_, member := e.Member(e.shop)
	id := e.campaign(t, map[string]any{"name": "first 3", "plugin": "promotion-basic", "usage_limit": 3,
		"config": map[string]any{"type": "amount_off", "amount": "5"}})
	record := func(order string) error {
		return e.App.DB.InTenant(e.ctx, func(tx *db.Tx) error {
			return e.App.Promotions.RecordUsage(e.ctx, tx, identity.MemberID(member), order, []promotions.CampaignID{promotions.CampaignID(id)})
		})
	}
	const n = 12
	var wg sync.WaitGroup
	errs := make([]error, n)
	orders := make([]string, n)
	for i := range n {
		orders[i] = uuid.NewString()
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = record(orders[i])
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !isCode(err, "quote_changed"):
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != 3 {
		t.Fatalf("%d orders used a promotion limited to 3", ok)
	}
	// Recording a successful order again is a no-op, not a fourth use.
	for i, err := range errs {
		if err == nil {
			if err := record(orders[i]); err != nil {
				t.Errorf("recording the same order again: %v", err)
			}
			break
		}
	}
	var c promotions.Campaign
	e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/admin/promotions/" + id, Token: e.shop.OwnerToken, Tenant: e.shop.Slug}).Decode(t, &c)
	if c.UsedCount != 3 {
		t.Errorf("used_count %d, want 3", c.UsedCount)
	}
	if r := e.mustApply(t, line("L1", "c", "100")); len(r.Adjustments) != 0 {
		t.Errorf("a used-up promotion still applies: %+v", r.Adjustments)
	}
	// A used campaign is ended, not deleted.
	e.Must(204, apptest.Req{Method: "DELETE", Path: "/api/v1/admin/promotions/" + id, Token: e.shop.OwnerToken, Tenant: e.shop.Slug})
	e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/admin/promotions/" + id, Token: e.shop.OwnerToken, Tenant: e.shop.Slug}).Decode(t, &c)
	if c.Status != "ended" {
		t.Errorf("status %s, want ended", c.Status)
	}
}

func isCode(err error, code string) bool { return string(errs.CodeOf(err)) == code }

// callCount reads the host's counter of Apply calls to a plugin.
func callCount(t *testing.T, e *env, plugin string) float64 {
	t.Helper()
	fams, err := e.App.Server.Metrics.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != "banyan_plugin_calls_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["plugin"] == plugin && labels["method"] == "Apply" {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

func TestPluginCallsDoNotGrowWithTheCart(t *testing.T) {
	e := setup(t)
	e.campaign(t, map[string]any{"name": "5%", "plugin": "promotion-basic", "config": map[string]any{"type": "percent_off", "percent": "5"}})
	e.campaign(t, map[string]any{"name": "满减", "plugin": "promotion-basic",
		"config": map[string]any{"type": "full_reduction", "tiers": []map[string]string{{"spend": "100", "save": "10"}}}})
	e.campaign(t, map[string]any{"name": "1 off", "plugin": "promotion-extra", "config": map[string]any{"type": "amount_off", "amount": "1"}})
	calls := func(lines int) (float64, float64) {
		var cart []promotions.Line
		for i := range lines {
			cart = append(cart, line(fmt.Sprintf("L%d", i+1), "c", strconv.Itoa(10+i)))
		}
		b0, x0 := callCount(t, e, "promotion-basic"), callCount(t, e, "promotion-extra")
		r := e.mustApply(t, cart...)
		if !r.Total.IsPositive() {
			t.Errorf("%d lines: no discount", lines)
		}
		return callCount(t, e, "promotion-basic") - b0, callCount(t, e, "promotion-extra") - x0
	}
	b1, x1 := calls(1)
	b50, x50 := calls(50)
	if b1 != 1 || x1 != 1 || b50 != 1 || x50 != 1 {
		t.Errorf("plugin calls per quote: 1 line %v+%v, 50 lines %v+%v; want one per plugin either way", b1, x1, b50, x50)
	}
}

// pluginPID finds the process this test's host started for a plugin: a
// child of this process running the binary in this test's own directory.
func pluginPID(t *testing.T, path string) int {
	t.Helper()
	entries, _ := os.ReadDir("/proc")
	for _, d := range entries {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		exe, err := os.Readlink(filepath.Join("/proc", d.Name(), "exe"))
		if err != nil || exe != path {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", d.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		rest := string(stat[strings.LastIndexByte(string(stat), ')')+2:])
		if f := strings.Fields(rest); len(f) > 1 && f[1] == strconv.Itoa(os.Getpid()) {
			return pid
		}
	}
	t.Fatalf("no running process of %s", path)
	return 0
}

func TestKilledPluginFailsTheQuote(t *testing.T) {
	e := setup(t)
	e.campaign(t, map[string]any{"name": "5 off", "plugin": "promotion-basic", "config": map[string]any{"type": "amount_off", "amount": "5"}})
	preview := func() *apptest.Resp {
		return e.Do(apptest.Req{Method: "POST", Path: "/api/v1/admin/promotions/preview", Token: e.shop.OwnerToken, Tenant: e.shop.Slug,
			Body: map[string]any{"lines": []map[string]any{{"line_id": "L1", "quantity": 1, "unit_price": "100", "amount": "100"}}}})
	}
	var before promotions.Result
	if res := preview(); res.Status != 200 {
		t.Fatalf("preview before the kill: %s", res)
	} else if res.Decode(t, &before); !before.Total.Equal(decimal.NewFromInt(5)) {
		t.Fatalf("preview before the kill: %s", res)
	}
	bin := filepath.Join(e.dir, "promotion-basic")
	pid := pluginPID(t, bin)
	// Take the binary away too, so the plugin cannot come back during the test.
	if err := os.Rename(bin, bin+".gone"); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	res := preview()
	if res.Status != 503 {
		t.Fatalf("quote with a killed promotion plugin: want 503, got %s", res)
	}
	if p := res.Problem(t); p.Code != "plugin_unavailable" || p.Plugin != "promotion-basic" {
		t.Errorf("problem %+v: want plugin_unavailable naming promotion-basic", p)
	}
	var ready struct {
		Checks []struct {
			Name   string
			Detail []struct{ Name, State string }
		}
	}
	e.Do(apptest.Req{Method: "GET", Path: "/readyz"}).Decode(t, &ready)
	for _, c := range ready.Checks {
		for _, d := range c.Detail {
			if c.Name == "plugins" && d.Name == "promotion-basic" && d.State == "up" {
				t.Errorf("/readyz says the killed plugin is up")
			}
		}
	}
}

// An unlimited campaign's uses are shard counters kept by a trigger: every
// use counted once, concurrently or replayed, per campaign, and equal to
// the usage rows.
func TestUnlimitedCampaignUseCount(t *testing.T) {
	e := setup(t)
	_, member := e.Member(e.shop)
	a := e.campaign(t, map[string]any{"name": "all year", "plugin": "promotion-basic", "config": map[string]any{"type": "amount_off", "amount": "1"}})
	b := e.campaign(t, map[string]any{"name": "also", "plugin": "promotion-basic", "config": map[string]any{"type": "amount_off", "amount": "2"}})
	record := func(order string, ids ...string) error {
		cs := make([]promotions.CampaignID, len(ids))
		for i, id := range ids {
			cs[i] = promotions.CampaignID(id)
		}
		return e.App.DB.InTenant(e.ctx, func(tx *db.Tx) error {
			return e.App.Promotions.RecordUsage(e.ctx, tx, identity.MemberID(member), order, cs)
		})
	}
	const n = 40
	orders := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		orders[i] = uuid.NewString()
		wg.Go(func() {
			ids := []string{a}
			if i%4 == 0 {
				ids = append(ids, b)
			}
			if err := record(orders[i], ids...); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	// Replays add nothing.
	for _, o := range orders[:5] {
		if err := record(o, a); err != nil {
			t.Fatal(err)
		}
	}
	used := func(id string) int64 {
		t.Helper()
		var c promotions.Campaign
		e.Must(200, apptest.Req{Method: "GET", Path: "/api/v1/admin/promotions/" + id, Token: e.shop.OwnerToken, Tenant: e.shop.Slug}).Decode(t, &c)
		return c.UsedCount
	}
	if got := used(a); got != n {
		t.Errorf("used_count of a: %d, want %d", got, n)
	}
	if got := used(b); got != n/4 {
		t.Errorf("used_count of b: %d, want %d", got, n/4)
	}
	var rows, sum int64
	if err := e.DB.Owner.Get(&rows, `SELECT count(*) FROM promotion_usages WHERE campaign_id = $1`, a); err != nil {
		t.Fatal(err)
	}
	if err := e.DB.Owner.Get(&sum, `SELECT coalesce(sum(n), 0) FROM promotion_use_counts WHERE campaign_id = $1`, a); err != nil {
		t.Fatal(err)
	}
	if rows != n || sum != n {
		t.Errorf("usage rows %d, counters %d; want %d", rows, sum, n)
	}
	// The count is spread: concurrent orders do not all update one row.
	var shards int
	if err := e.DB.Owner.Get(&shards, `SELECT count(*) FROM promotion_use_counts WHERE campaign_id = $1`, a); err != nil {
		t.Fatal(err)
	}
	if shards < 10 {
		t.Errorf("%d uses on %d counter rows", n, shards)
	}
}
