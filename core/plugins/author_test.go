package plugins_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/apptest"
	"github.com/banyanmall/banyan/core/config"
	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/sdk"
)

// A third party's plugin, written from sdk/README.md alone: a promotion
// rule that takes a fixed amount off the whole cart per campaign, with a
// tenant config holding a label and an API key.
const authorMain = `package main

import (
	"context"
	"encoding/json"

	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/sdk"
)

type flatOff struct{}

var _ sdk.PromotionRule = flatOff{}

func (flatOff) ValidateConfig(ctx context.Context, config json.RawMessage) error {
	var c struct{ Label string ` + "`json:\"label\"`" + ` }
	if err := json.Unmarshal(config, &c); err != nil {
		return sdk.InvalidConfig(sdk.FieldError{Path: "", Message: "must be an object"})
	}
	if c.Label == "forbidden" {
		return sdk.InvalidConfig(sdk.FieldError{Path: "/label", Message: "this label is reserved"})
	}
	return nil
}

func (flatOff) Apply(ctx context.Context, req sdk.PromotionRequest) (sdk.PromotionResult, error) {
	var res sdk.PromotionResult
	total := decimal.Zero
	var ids []string
	for _, l := range req.Lines {
		total = total.Add(l.Amount)
		ids = append(ids, l.LineID)
	}
	for _, c := range req.Campaigns {
		var cfg struct{ Amount decimal.Decimal ` + "`json:\"amount\"`" + ` }
		if err := json.Unmarshal(c.ConfigJSON, &cfg); err != nil {
			return res, err
		}
		amount := req.Context.Round(decimal.Min(cfg.Amount, total))
		if amount.IsPositive() {
			res.Adjustments = append(res.Adjustments, sdk.Adjustment{CampaignID: c.CampaignID, LineIDs: ids, Amount: amount,
				Reason: c.Name, StackingGroup: c.StackingGroup, Exclusive: c.Exclusive})
			total = total.Sub(amount)
		}
	}
	return res, nil
}

func main() { sdk.Serve(sdk.ServeOpts{Promotion: flatOff{}}) }
`

const authorManifest = `{
  "name": "flat-off",
  "kind": "promotion",
  "version": "0.1.0",
  "protocol": 1,
  "description": "A fixed amount off the cart.",
  "config_schema": {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
      "label": {"type": "string", "minLength": 1},
      "api_key": {"type": "string", "writeOnly": true}
    },
    "required": ["label"],
    "additionalProperties": false
  },
  "campaign_schema": {
    "type": "object",
    "properties": {"amount": {"type": "string", "pattern": "^[0-9]{1,8}(\\.[0-9]{1,2})?$"}},
    "required": ["amount"],
    "additionalProperties": false
  }
}`

// buildAuthorPlugin writes the plugin into an empty directory with its own
// go.mod (the SDK through a replace, as a third party would use a local
// checkout), builds it, and installs it as sdk/README.md says: binary plus
// manifest stamped with its sha256, in a plugin directory of its own.
func buildAuthorPlugin(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	sdkDir := filepath.Join(root, "sdk")
	src := t.TempDir()
	gomod := "module example.com/flat-off\n\ngo 1.26.0\n\nrequire github.com/banyanmall/banyan/sdk v0.0.0\n\n" +
		"replace github.com/banyanmall/banyan/sdk => " + sdkDir + "\n"
	sum, err := os.ReadFile(filepath.Join(sdkDir, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{"go.mod": gomod, "go.sum": string(sum), "main.go": authorMain, "manifest.json": authorManifest} {
		if err := os.WriteFile(filepath.Join(src, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "flat-off")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = src
	// Same flags as the SDK example built by core/pluginhost tests, so the
	// build cache is shared.
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod -buildvcs=false", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	raw, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256(raw)
	var m map[string]any
	if err := json.Unmarshal([]byte(authorManifest), &m); err != nil {
		t.Fatal(err)
	}
	m["sha256"], m["binary"] = hex.EncodeToString(digest[:]), "flat-off"
	b, _ := json.Marshal(m)
	if err := os.WriteFile(filepath.Join(dir, "flat-off.manifest.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestAuthorAPluginInAnEmptyDirectory is issue 3's done-when: a plugin
// written against the SDK alone is built, installed, made available by an
// operator, enabled and configured by a merchant through the API, and
// called through the host.
func TestAuthorAPluginInAnEmptyDirectory(t *testing.T) {
	dir := buildAuthorPlugin(t)
	e := apptest.New(t, func(c *config.Config) { c.PluginDir = dir })
	if st := e.App.Plugins.Status(); len(st) != 1 || st[0].Name != "flat-off" || st[0].State != "up" {
		t.Fatalf("host status %+v", st)
	}
	shop := e.Signup("author-shop")
	op := e.Operator("operator")
	// Not available to any plan until an operator says so.
	if res := put(e, shop, "flat-off", map[string]any{"enabled": true, "config": map[string]any{"label": "x"}}); res.Status != 404 {
		t.Fatalf("before availability: want 404, got %s", res)
	}
	var planID string
	if err := e.DB.Owner.GetContext(context.Background(), &planID, `SELECT plan_id FROM tenants WHERE id = $1`, shop.ID); err != nil {
		t.Fatal(err)
	}
	e.Must(200, apptest.Req{Method: "PATCH", Path: "/api/v1/platform/plugins/flat-off", Token: op, Body: map[string]any{"available_to": []string{planID}}})

	for _, c := range []struct {
		name   string
		config map[string]any
		field  string
	}{
		{"schema: label missing", map[string]any{"api_key": "k"}, "config"},
		{"schema: label empty", map[string]any{"label": ""}, "config.label"},
		{"the plugin's own check", map[string]any{"label": "forbidden"}, "config.label"},
	} {
		res := put(e, shop, "flat-off", map[string]any{"enabled": true, "config": c.config})
		if res.Status != 422 || !slices.Contains(fields(t, res), c.field) {
			t.Errorf("%s: want 422 naming %s, got %s", c.name, c.field, res)
		}
	}
	res := e.Must(200, apptest.Req{Method: "PUT", Path: "/api/v1/admin/plugins/flat-off", Token: shop.OwnerToken, Tenant: shop.Slug,
		Body: map[string]any{"enabled": true, "priority": 5, "config": map[string]any{"label": "Flat", "api_key": "s3cret-value"}}})
	var got shopPlugin
	res.Decode(t, &got)
	if !got.Enabled || got.Priority != 5 || got.Config["api_key"] != "********" || got.Config["label"] != "Flat" {
		t.Fatalf("enabled plugin: %s", res.Body)
	}

	// Called through the host, with the config the shop stored.
	ctx := tenantCtx(shop)
	var cfg json.RawMessage
	if err := e.App.DB.InTenant(ctx, func(tx *db.Tx) error {
		var ok bool
		var err error
		cfg, ok, err = e.App.TenantPlugins.Config(ctx, tx, "flat-off")
		if !ok && err == nil {
			t.Error("flat-off not enabled")
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	rule, err := e.App.Plugins.Promotion("flat-off")
	if err != nil {
		t.Fatal(err)
	}
	hundred := decimal.NewFromInt(100)
	out, err := rule.Apply(ctx, sdk.PromotionRequest{
		Context:   sdk.PluginContext{TenantID: shop.ID, ConfigJSON: cfg, Currency: "CNY", MinorUnits: 2},
		Lines:     []sdk.PromotionLine{{LineID: "L1", Quantity: 1, UnitPrice: hundred, Amount: hundred}},
		Campaigns: []sdk.Campaign{{CampaignID: "c1", Name: "3 off", ConfigJSON: json.RawMessage(`{"amount":"3"}`)}},
	})
	if err != nil || len(out.Adjustments) != 1 || !out.Adjustments[0].Amount.Equal(decimal.NewFromInt(3)) {
		t.Fatalf("Apply through the host: %+v, %v", out, err)
	}

	// And as the shop uses it: a campaign, then the quote's promotion step.
	bad := e.Do(apptest.Req{Method: "POST", Path: "/api/v1/admin/promotions", Token: shop.OwnerToken, Tenant: shop.Slug,
		Body: map[string]any{"name": "3 off", "plugin": "flat-off", "config": map[string]any{"amount": "three"}}})
	if bad.Status != 422 || !slices.Contains(fields(t, bad), "config.amount") {
		t.Errorf("campaign config against its schema: want 422 naming config.amount, got %s", bad)
	}
	e.Must(201, apptest.Req{Method: "POST", Path: "/api/v1/admin/promotions", Token: shop.OwnerToken, Tenant: shop.Slug,
		Body: map[string]any{"name": "3 off", "plugin": "flat-off", "status": "active", "config": map[string]any{"amount": "3"}}})
	res = e.Must(200, apptest.Req{Method: "POST", Path: "/api/v1/admin/promotions/preview", Token: shop.OwnerToken, Tenant: shop.Slug,
		Body: map[string]any{"lines": []map[string]any{{"line_id": "L1", "quantity": 2, "unit_price": "10", "amount": "20"}}}})
	if !strings.Contains(string(res.Body), `"plugin":"flat-off"`) || !strings.Contains(string(res.Body), `"total":"3"`) {
		t.Errorf("preview: %s", res.Body)
	}
}
