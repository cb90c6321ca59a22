package pluginhost

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/sdk"
)

var (
	d   = decimal.RequireFromString
	now = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
)

func pctx(config string, settings map[string]string) sdk.PluginContext {
	return sdk.PluginContext{TenantID: "t1", ConfigJSON: json.RawMessage(config), Currency: "CNY", MinorUnits: 2, Now: now, Settings: settings}
}

func order(config string, settings map[string]string) sdk.CommissionRequest {
	return sdk.CommissionRequest{
		Context: pctx(config, settings),
		OrderID: "o1", BuyerID: "buyer", Depth: 2,
		Lines:  []sdk.CommissionLine{{LineID: "l1", Quantity: 1, UnitPrice: d("100"), PaidAmount: d("100.00"), Distribution: sdk.DistributeDefault}},
		Upline: []sdk.Upline{{MemberID: "a", Level: 1}, {MemberID: "b", Level: 2}},
	}
}

func TestBuiltinsThroughTheHost(t *testing.T) {
	reg := prometheus.NewRegistry()
	h := newHost(t, pluginDir(t, "commission-tiered", "promotion-basic", "payment-sandbox", "payment-offline", "commission-flat"), Options{Registerer: reg})
	for _, s := range h.Status() {
		if s.State != StateUp {
			t.Errorf("%s: %s (%s)", s.Name, s.State, s.Reason)
		}
	}
	ctx := context.Background()

	t.Run("commission-tiered", func(t *testing.T) {
		c, err := h.Commission("commission-tiered")
		if err != nil {
			t.Fatal(err)
		}
		res, err := c.Compute(ctx, order(`{"rates":["0.1","0.05"]}`, nil))
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Beneficiaries) != 2 || !res.Beneficiaries[1].Amount.Equal(d("5")) {
			t.Errorf("beneficiaries %+v", res.Beneficiaries)
		}
	})
	t.Run("example commission-flat", func(t *testing.T) {
		c, _ := h.Commission("commission-flat")
		res, err := c.Compute(ctx, order(`{"rate":"0.05"}`, nil))
		if err != nil || len(res.Beneficiaries) != 1 || !res.Beneficiaries[0].Amount.Equal(d("5")) {
			t.Fatalf("%+v, %v", res, err)
		}
	})
	t.Run("promotion-basic", func(t *testing.T) {
		p, err := h.Promotion("promotion-basic")
		if err != nil {
			t.Fatal(err)
		}
		res, err := p.Apply(ctx, sdk.PromotionRequest{
			Context: pctx(`{}`, nil),
			Lines:   []sdk.PromotionLine{{LineID: "l1", Quantity: 1, UnitPrice: d("120"), Amount: d("120")}},
			Campaigns: []sdk.Campaign{{CampaignID: "c1", Name: "满100减10",
				ConfigJSON: json.RawMessage(`{"type":"full_reduction","tiers":[{"spend":"100","save":"10"}]}`)}},
		})
		if err != nil || len(res.Adjustments) != 1 || !res.Adjustments[0].Amount.Equal(d("10")) {
			t.Fatalf("%+v, %v", res, err)
		}
	})
	t.Run("payment-sandbox pays through a signed webhook", func(t *testing.T) {
		p, err := h.Payment("payment-sandbox")
		if err != nil {
			t.Fatal(err)
		}
		pc := pctx(`{"webhook_secret":"0123456789abcdef"}`, nil)
		in, err := p.CreatePayment(ctx, sdk.PaymentRequest{Context: pc, PaymentID: "pay1", Amount: d("9.90"), Currency: "CNY", ReturnURL: "https://s.example.test/r"})
		if err != nil {
			t.Fatal(err)
		}
		hook, err := p.(sdk.SandboxSimulator).SimulatePayment(ctx, sdk.SimulateRequest{Context: pc, PaymentID: "pay1", ProviderRef: in.ProviderRef, Amount: d("9.90"), Currency: "CNY", Approve: true})
		if err != nil {
			t.Fatal(err)
		}
		ev, err := p.VerifyWebhook(ctx, sdk.WebhookRequest{Context: pc, Headers: hook.Headers, Body: hook.Body})
		if err != nil || ev.Type != sdk.EventPaymentSucceeded || ev.PaymentID != "pay1" {
			t.Fatalf("%+v, %v", ev, err)
		}
		_, err = p.VerifyWebhook(ctx, sdk.WebhookRequest{Context: pc, Headers: hook.Headers, Body: append(hook.Body, ' ')})
		if !errors.Is(err, ErrRejected) || !errors.Is(err, sdk.ErrBadSignature) {
			t.Errorf("tampered webhook: %v", err)
		}
	})
	t.Run("payment-offline", func(t *testing.T) {
		p, _ := h.Payment("payment-offline")
		pc := pctx(`{"methods":["cash_on_delivery"]}`, nil)
		in, err := p.CreatePayment(ctx, sdk.PaymentRequest{Context: pc, PaymentID: "pay1", OrderNo: "N1", Amount: d("9.90"), Currency: "CNY"})
		if err != nil || in.Status != sdk.StatusPending || in.Instructions == "" {
			t.Fatalf("%+v, %v", in, err)
		}
		if _, err := p.VerifyWebhook(ctx, sdk.WebhookRequest{Context: pc}); !errors.Is(err, sdk.ErrUnsupported) {
			t.Errorf("VerifyWebhook: %v", err)
		}
		if _, err := p.(sdk.SandboxSimulator).SimulatePayment(ctx, sdk.SimulateRequest{Context: pc, Amount: d("1")}); !errors.Is(err, sdk.ErrUnimplemented) {
			t.Errorf("SimulatePayment: %v", err)
		}
	})
	t.Run("wrong kind or name", func(t *testing.T) {
		if _, err := h.Promotion("commission-tiered"); !errors.Is(err, ErrNotFound) {
			t.Errorf("Promotion(commission-tiered): %v", err)
		}
		if _, err := h.Payment("nope"); !errors.Is(err, ErrNotFound) {
			t.Errorf("Payment(nope): %v", err)
		}
	})
	if n := counter(t, h.metrics.calls, "commission-tiered", "Compute"); n != 1 {
		t.Errorf("banyan_plugin_calls_total{commission-tiered,Compute} = %v", n)
	}
	if n := counter(t, h.metrics.errors, "payment-sandbox", "VerifyWebhook"); n != 1 {
		t.Errorf("banyan_plugin_errors_total{payment-sandbox,VerifyWebhook} = %v", n)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range families {
		names[f.GetName()] = true
	}
	for _, n := range []string{"banyan_plugin_calls_total", "banyan_plugin_errors_total", "banyan_plugin_call_seconds"} {
		if !names[n] {
			t.Errorf("metric %s not registered", n)
		}
	}
}

func counter(t *testing.T, v *prometheus.CounterVec, labels ...string) float64 {
	t.Helper()
	var m dto.Metric
	if err := v.WithLabelValues(labels...).Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

func TestValidateConfig(t *testing.T) {
	h := newHost(t, pluginDir(t, "commission-tiered"), Options{})
	ctx := context.Background()
	for _, c := range []struct {
		name, config, field string
	}{
		{"valid", `{"rates":["0.1","0.05"]}`, ""},
		{"schema: rate out of pattern", `{"rates":["2"]}`, "/rates/0"},
		{"schema: unknown field", `{"rates":[],"bonus":1}`, ""},
		{"schema: not JSON", `{"rates":`, ""},
		{"plugin: rates add up to more than 1", `{"rates":["0.6","0.6"]}`, "/rates"},
	} {
		t.Run(c.name, func(t *testing.T) {
			fields, err := h.ValidateConfig(ctx, "commission-tiered", json.RawMessage(c.config))
			if err != nil {
				t.Fatal(err)
			}
			if c.name == "valid" {
				if len(fields) > 0 {
					t.Fatalf("fields %v", fields)
				}
				return
			}
			if len(fields) == 0 {
				t.Fatal("accepted")
			}
			if c.field != "" && fields[0].Path != c.field {
				t.Errorf("fields %v, want one at %s", fields, c.field)
			}
		})
	}
	// A call with a config that slipped past validation is a clean InvalidConfig.
	c, _ := h.Commission("commission-tiered")
	_, err := c.Compute(ctx, order(`{"rates":["0.6","0.6"]}`, nil))
	if !errors.Is(err, ErrInvalidConfig) || len(FieldErrors(err)) == 0 || FieldErrors(err)[0].Path != "/rates" {
		t.Errorf("Compute with a bad config: %v", err)
	}
}

func TestValidateCampaign(t *testing.T) {
	h := newHost(t, pluginDir(t, "promotion-basic"), Options{})
	for config, field := range map[string]string{
		`{"type":"full_reduction","tiers":[{"spend":"100","save":"10"}]}`: "",
		`{"type":"percent_off"}`:                           "",
		`{"type":"percent_off","percent":"abc"}`:           "/percent",
		`{"type":"amount_off","amount":"5","color":"red"}`: "",
	} {
		fields, err := h.ValidateCampaign("promotion-basic", json.RawMessage(config))
		if err != nil {
			t.Fatal(err)
		}
		valid := strings.Contains(config, "tiers")
		if valid != (len(fields) == 0) || field != "" && (len(fields) == 0 || fields[0].Path != field) {
			t.Errorf("%s: %v", config, fields)
		}
	}
}

func TestKilledPluginRestarts(t *testing.T) {
	h := newHost(t, pluginDir(t, "testplugin"), Options{MinBackoff: 50 * time.Millisecond})
	c, _ := h.Commission("testplugin")
	ctx := context.Background()
	if _, err := c.Compute(ctx, order(`{}`, nil)); err != nil {
		t.Fatal(err)
	}
	pid := h.procs["testplugin"].inst.pid
	go func() {
		time.Sleep(200 * time.Millisecond)
		syscall.Kill(pid, syscall.SIGKILL)
	}()
	start := time.Now()
	_, err := c.Compute(ctx, order(`{}`, map[string]string{"sleep": "1s"}))
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("call during kill -9: %v, want Unavailable", err)
	}
	if took := time.Since(start); took > h.opts.CallTimeout {
		t.Errorf("the failed call took %v", took)
	}
	// The next call waits for the restart within its deadline.
	res, err := c.Compute(ctx, order(`{}`, nil))
	if err != nil || len(res.Beneficiaries) != 1 {
		t.Fatalf("call after restart: %+v, %v", res, err)
	}
	s := statusOf(h, "testplugin")
	if s.State != StateUp || s.Restarts != 1 || s.LastError == "" {
		t.Errorf("status %+v", s)
	}
	if h.procs["testplugin"].inst.pid == pid {
		t.Error("same pid after restart")
	}
}

func TestHungPluginTimesOut(t *testing.T) {
	h := newHost(t, pluginDir(t, "testplugin"), Options{CallTimeout: 300 * time.Millisecond, MinBackoff: 20 * time.Millisecond})
	c, _ := h.Commission("testplugin")
	ctx := context.Background()
	if _, err := c.Compute(ctx, order(`{}`, nil)); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	before := runtime.NumGoroutine()
	for i := 0; i < 3; i++ {
		start := time.Now()
		_, err := c.Compute(ctx, order(`{}`, map[string]string{"sleep": "1m"}))
		if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("hung call: %v, want Timeout", err)
		}
		// The plugin sleeps a minute; returning within a few timeouts shows
		// the deadline cut it off (tighter bounds flake on a loaded machine).
		if took := time.Since(start); took > 10*h.opts.CallTimeout {
			t.Fatalf("hung call returned after %v", took)
		}
		waitFor(t, 5*time.Second, "the restart", func() bool { return statusOf(h, "testplugin").State == StateUp })
		if _, err := c.Compute(ctx, order(`{}`, nil)); err != nil {
			t.Fatalf("call after the hang: %v", err)
		}
	}
	if s := statusOf(h, "testplugin"); s.Restarts != 3 || !strings.Contains(s.LastError, "hung") {
		t.Errorf("status %+v", s)
	}
	var after int
	waitFor(t, 3*time.Second, "goroutines to settle", func() bool {
		after = runtime.NumGoroutine()
		return after <= before+3
	})
}

func TestCircuitOpensAfterRepeatedCrashes(t *testing.T) {
	// The cooldown is long enough that a loaded CI machine cannot reach the
	// third call after it has already passed (300 ms once did: the circuit
	// was half-open and the call went through).
	h := newHost(t, pluginDir(t, "testplugin"), Options{BreakerThreshold: 2, BreakerCooldown: 3 * time.Second, MinBackoff: 10 * time.Millisecond})
	c, _ := h.Commission("testplugin")
	ctx := context.Background()
	crash := order(`{}`, map[string]string{"crash": "yes"})
	for i := 0; i < 2; i++ {
		if _, err := c.Compute(ctx, crash); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("crash %d: %v", i, err)
		}
	}
	start := time.Now()
	_, err := c.Compute(ctx, order(`{}`, nil))
	// Open means refused at once, without starting the plugin (which takes
	// far longer than a second).
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "circuit open") || time.Since(start) > time.Second {
		t.Fatalf("call with the circuit open: %v after %v", err, time.Since(start))
	}
	if s := statusOf(h, "testplugin"); s.State != StateFailed {
		t.Errorf("status %+v", s)
	}
	// Half-open after the cooldown: a good call closes the circuit.
	waitFor(t, 15*time.Second, "the circuit to close", func() bool {
		_, err := c.Compute(ctx, order(`{}`, nil))
		return err == nil
	})
	if s := statusOf(h, "testplugin"); s.State != StateUp {
		t.Errorf("status %+v", s)
	}
}

func TestRefusals(t *testing.T) {
	dir := pluginDir(t, "commission-tiered", "testplugin")
	// Tampered: one byte appended to (a copy of) the binary after its manifest was written.
	bin := filepath.Join(dir, "testplugin")
	body, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(bin)
	if err := os.WriteFile(bin, append(body, 0), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tiered, _ := os.ReadFile(filepath.Join(dir, "commission-tiered"+ManifestSuffix))
	var m Manifest
	json.Unmarshal(tiered, &m)
	withBinary := func(mod func(*Manifest)) string {
		c := m
		c.Binary = "commission-tiered"
		mod(&c)
		b, _ := json.Marshal(c)
		return string(b)
	}
	writeFile("broken"+ManifestSuffix, `{"name":"broken",`)
	writeFile("future"+ManifestSuffix, withBinary(func(m *Manifest) { m.Name = "future"; m.Protocol = 2 }))
	writeFile("badschema"+ManifestSuffix, withBinary(func(m *Manifest) { m.Name = "badschema"; m.ConfigSchema = json.RawMessage(`{"type":"wat"}`) }))
	writeFile("remote"+ManifestSuffix, withBinary(func(m *Manifest) {
		m.Name = "remote"
		m.ConfigSchema = json.RawMessage(`{"$ref":"https://example.test/schema.json"}`)
	}))
	writeFile("misnamed"+ManifestSuffix, withBinary(func(m *Manifest) { m.Name = "other" }))
	writeFile("escape"+ManifestSuffix, withBinary(func(m *Manifest) { m.Name = "escape"; m.Binary = "../escape" }))

	logs := &logBuffer{}
	h := newHost(t, dir, Options{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	want := map[string]string{
		"testplugin":        "checksum mismatch",
		"broken":            "not valid JSON",
		"future":            "protocol 2",
		"badschema":         "config_schema",
		"remote":            "config_schema",
		"misnamed":          "names plugin",
		"escape":            "file name",
		"commission-tiered": "",
	}
	for _, s := range h.Status() {
		reason, ok := want[s.Name]
		if !ok {
			t.Errorf("unexpected plugin %s", s.Name)
			continue
		}
		delete(want, s.Name)
		if reason == "" {
			if s.State != StateUp {
				t.Errorf("%s: %s %s", s.Name, s.State, s.Reason)
			}
			continue
		}
		if s.State != StateRefused || !strings.Contains(s.Reason, reason) {
			t.Errorf("%s: %s %q, want refused for %q", s.Name, s.State, s.Reason, reason)
		}
		if !strings.Contains(logs.String(), "plugin="+s.Name) {
			t.Errorf("no log line for %s", s.Name)
		}
	}
	if len(want) > 0 {
		t.Errorf("missing from Status: %v", want)
	}
	c, _ := h.Commission("testplugin")
	if _, err := c.Compute(context.Background(), order(`{}`, nil)); !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "checksum") {
		t.Errorf("call to a refused plugin: %v", err)
	}
}

// TestBinarySwappedAfterDiscovery: SecureConfig checks the checksum again at
// every start, so a binary replaced while the host runs never starts.
func TestBinarySwappedAfterDiscovery(t *testing.T) {
	dir := pluginDir(t, "testplugin")
	h := newHost(t, dir, Options{MinBackoff: 10 * time.Millisecond})
	bin := filepath.Join(dir, "testplugin")
	os.Remove(bin) // the hard link: leave the shared binary alone
	if err := copyFile(filepath.Join(binDir, "commission-tiered"), bin); err != nil {
		t.Fatal(err)
	}
	c, _ := h.Commission("testplugin")
	c.Compute(context.Background(), order(`{}`, map[string]string{"crash": "yes"}))
	waitFor(t, 3*time.Second, "the swapped binary to be refused", func() bool {
		return statusOf(h, "testplugin").State == StateRefused
	})
}

func TestCallerDeadlineIsNotThePluginsFault(t *testing.T) {
	h := newHost(t, pluginDir(t, "testplugin"), Options{})
	c, _ := h.Commission("testplugin")
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := c.Compute(ctx, order(`{}`, map[string]string{"sleep": "300ms"}))
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v", err)
	}
	if s := statusOf(h, "testplugin"); s.State != StateUp || s.Restarts != 0 {
		t.Errorf("status %+v", s)
	}
}

// A plugin that crashes is logged as an error; the exit of a process the host
// ended itself (closing, or killing a hung call) is expected and logged at info.
func TestExitLogLevels(t *testing.T) {
	logs := &logBuffer{}
	h := newHost(t, pluginDir(t, "testplugin"), Options{Logger: slog.New(slog.NewJSONHandler(logs, nil)), MinBackoff: 10 * time.Millisecond})
	c, _ := h.Commission("testplugin")
	ctx := context.Background()
	if _, err := c.Compute(ctx, order(`{}`, map[string]string{"crash": "yes"})); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("crash: %v", err)
	}
	waitFor(t, 10*time.Second, "the restart", func() bool { return statusOf(h, "testplugin").State == StateUp })
	h.Close()
	exits := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var rec struct{ Level, Msg string }
		if err := json.Unmarshal([]byte(line), &rec); err == nil && rec.Msg == exitMessage {
			exits[rec.Level]++
		}
	}
	if exits["ERROR"] != 1 || exits["INFO"] < 1 {
		t.Fatalf("exit records by level %v, want the crash at ERROR and the shutdown at INFO\n%s", exits, logs.String())
	}
}

// TestPluginProcessEnvironment: plugins run with the host's GOMAXPROCS for
// them (Options.Procs, default 1) unless the host's own environment sets
// one, and sdk.EnvCPUProfile, passed on from the host's environment, makes
// a plugin write CPU profiles.
func TestPluginProcessEnvironment(t *testing.T) {
	environ := func(t *testing.T, h *Host, name string) map[string]string {
		t.Helper()
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", h.procs[name].inst.pid))
		if err != nil {
			t.Fatal(err)
		}
		env := map[string]string{}
		for _, kv := range strings.Split(string(b), "\x00") {
			if k, v, ok := strings.Cut(kv, "="); ok {
				env[k] = v
			}
		}
		return env
	}
	want := func(procs string) string {
		if v := os.Getenv("GOMAXPROCS"); v != "" {
			return v // the operator's own setting wins
		}
		return procs
	}
	t.Run("default", func(t *testing.T) {
		h := newHost(t, pluginDir(t, "testplugin"), Options{})
		if got := environ(t, h, "testplugin")["GOMAXPROCS"]; got != want("1") {
			t.Errorf("GOMAXPROCS=%q, want %s", got, want("1"))
		}
	})
	t.Run("Procs and a CPU profile", func(t *testing.T) {
		dir := t.TempDir()
		t.Setenv(sdk.EnvCPUProfile, dir)
		h := newHost(t, pluginDir(t, "testplugin"), Options{Procs: 3})
		if got := environ(t, h, "testplugin")["GOMAXPROCS"]; got != want("3") {
			t.Errorf("GOMAXPROCS=%q, want %s", got, want("3"))
		}
		prefix := filepath.Join(dir, fmt.Sprintf("testplugin.%d.", h.procs["testplugin"].inst.pid))
		// The first window is written when the second starts.
		waitFor(t, 10*time.Second, "a second profile window", func() bool {
			_, err := os.Stat(prefix + "1.pprof")
			return err == nil
		})
		b, err := os.ReadFile(prefix + "0.pprof")
		if err != nil || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
			t.Errorf("first window: %d bytes, %v; want a gzipped profile", len(b), err)
		}
	})
}
