// Package plugintest is the conformance harness for plugin authors. It runs a
// built plugin binary through the same go-plugin process boundary the host
// uses and checks the protocol's contract for its kind:
//
//   - answers are valid (well-formed money with no more than the currency's
//     minor units, non-negative where it must be, beneficiaries within the
//     depth and the upline, adjustments on known lines and never more than
//     them): see sdk.CheckCommission and sdk.CheckPromotion;
//   - a bad config is refused cleanly, with sdk.ErrInvalidConfig naming a field;
//   - every call answers within Deadline;
//   - the same request twice gives the same answer.
//
// A plugin's test builds its binary once and runs the cases:
//
//	func TestConformance(t *testing.T) {
//		bin := plugintest.Build(t, ".")
//		plugintest.RunCommission(t, bin, plugintest.CommissionCase{Name: "two levels", Request: req})
//	}
package plugintest

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/banyanmall/banyan/sdk"
	"github.com/banyanmall/banyan/sdk/pluginclient"
)

// Deadline is how long a call may take: the host's default per-call deadline.
var Deadline = 2 * time.Second

// Build compiles the main package pkg (a path or import path, resolved from
// the test's working directory) into a temporary directory and returns the
// binary's path. A directory with its own go.mod is built in its own module.
func Build(tb testing.TB, pkg string) string {
	tb.Helper()
	name := filepath.Base(pkg)
	if abs, err := filepath.Abs(pkg); err == nil {
		name = filepath.Base(abs)
	}
	out := filepath.Join(tb.TempDir(), name)
	cmd := exec.Command("go", "build", "-o", out, pkg)
	if _, err := os.Stat(filepath.Join(pkg, "go.mod")); err == nil {
		cmd = exec.Command("go", "build", "-o", out, ".")
		cmd.Dir = pkg
	}
	if b, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("plugintest: go build %s: %v\n%s", pkg, err, b)
	}
	return out
}

// Start launches the plugin binary as the host would and returns what it
// serves for kind; the process is killed when the test ends.
func Start(tb testing.TB, binary string, kind sdk.Kind) any {
	tb.Helper()
	cfg := pluginclient.Config(binary, nil)
	cfg.Logger = hclog.New(&hclog.LoggerOptions{Name: "plugintest", Output: hclog.DefaultOutput, Level: hclog.Warn})
	cfg.StartTimeout = 10 * time.Second
	client := plugin.NewClient(cfg)
	tb.Cleanup(client.Kill)
	rpc, err := client.Client()
	if err != nil {
		tb.Fatalf("plugintest: start %s: %v", binary, err)
	}
	impl, err := pluginclient.Dispense(rpc, kind)
	if err != nil {
		tb.Fatalf("plugintest: %s: %v", binary, err)
	}
	return impl
}

// Commission launches a commission plugin.
func Commission(tb testing.TB, binary string) sdk.CommissionScheme {
	tb.Helper()
	impl, ok := Start(tb, binary, sdk.KindCommission).(sdk.CommissionScheme)
	if !ok {
		tb.Fatalf("plugintest: %s does not serve a commission scheme", binary)
	}
	return impl
}

// Promotion launches a promotion plugin.
func Promotion(tb testing.TB, binary string) sdk.PromotionRule {
	tb.Helper()
	impl, ok := Start(tb, binary, sdk.KindPromotion).(sdk.PromotionRule)
	if !ok {
		tb.Fatalf("plugintest: %s does not serve a promotion rule", binary)
	}
	return impl
}

// Payment launches a payment plugin; the result also implements
// sdk.SandboxSimulator (answering sdk.ErrUnimplemented when the plugin lacks it).
func Payment(tb testing.TB, binary string) sdk.PaymentProvider {
	tb.Helper()
	impl, ok := Start(tb, binary, sdk.KindPayment).(sdk.PaymentProvider)
	if !ok {
		tb.Fatalf("plugintest: %s does not serve a payment provider", binary)
	}
	return impl
}

// call runs f under Deadline and fails the test if it took longer.
func call[T any](t *testing.T, what string, f func(context.Context) (T, error)) (T, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Deadline)
	defer cancel()
	start := time.Now()
	res, err := f(ctx)
	if d := time.Since(start); d > Deadline {
		t.Errorf("%s took %v, more than the %v deadline", what, d, Deadline)
	}
	return res, err
}

// twice calls f two times and fails the test unless both answers are equal.
func twice[T any](t *testing.T, what string, f func(context.Context) (T, error)) (T, error) {
	t.Helper()
	first, err := call(t, what, f)
	if err != nil {
		return first, err
	}
	second, err := call(t, what, f)
	if err != nil {
		t.Errorf("%s: the same request failed the second time: %v", what, err)
		return first, nil
	}
	if a, b := canonical(t, first), canonical(t, second); a != b {
		t.Errorf("%s is not deterministic:\nfirst:  %s\nsecond: %s", what, a, b)
	}
	return first, nil
}

// canonical renders v as JSON: decimals as their normalized strings, so
// "1.50" and "1.5" compare equal.
func canonical(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("plugintest: %v", err)
	}
	return string(b)
}

// badConfigs are configs no plugin may accept: not JSON, and not an object.
var badConfigs = []string{`{"unterminated`, `"not an object"`, `[1,2,3]`}

// checkRejectsBadConfig checks that v refuses configs that cannot be right
// with sdk.ErrInvalidConfig naming at least one field.
func checkRejectsBadConfig(t *testing.T, v sdk.ConfigValidator) {
	t.Helper()
	t.Run("config/rejects-bad", func(t *testing.T) {
		for _, c := range badConfigs {
			_, err := call(t, "ValidateConfig", func(ctx context.Context) (struct{}, error) {
				return struct{}{}, v.ValidateConfig(ctx, json.RawMessage(c))
			})
			wantConfigError(t, c, err, "")
		}
	})
}

// wantConfigError fails unless err is sdk.ErrInvalidConfig with a field
// error, one at path when path is set.
func wantConfigError(t *testing.T, config string, err error, path string) {
	t.Helper()
	e, ok := sdk.AsError(err)
	if !ok || e.Code != sdk.CodeInvalidConfig {
		t.Errorf("ValidateConfig(%s) = %v, want an sdk.ErrInvalidConfig", config, err)
		return
	}
	if len(e.Fields) == 0 {
		t.Errorf("ValidateConfig(%s) = %v: names no field", config, err)
		return
	}
	if path == "" {
		return
	}
	for _, f := range e.Fields {
		if f.Path == path {
			return
		}
	}
	t.Errorf("ValidateConfig(%s) = %v: want a field error at %q", config, err, path)
}

// ConfigCase is a config and the verdict it should get.
type ConfigCase struct {
	Name   string
	Config string
	// WantField is "" for a config that must be accepted; otherwise the
	// JSON pointer of a field the rejection must name ("/" for the root).
	WantField string
}

// RunConfig checks a plugin's ValidateConfig on the given configs.
func RunConfig(t *testing.T, binary string, kind sdk.Kind, cases ...ConfigCase) {
	t.Helper()
	v, ok := Start(t, binary, kind).(sdk.ConfigValidator)
	if !ok {
		t.Fatalf("plugintest: %s serves no %s", binary, kind)
	}
	checkRejectsBadConfig(t, v)
	for _, c := range cases {
		t.Run("config/"+c.Name, func(t *testing.T) {
			_, err := call(t, "ValidateConfig", func(ctx context.Context) (struct{}, error) {
				return struct{}{}, v.ValidateConfig(ctx, json.RawMessage(c.Config))
			})
			switch {
			case c.WantField == "" && err != nil:
				t.Errorf("ValidateConfig(%s) = %v, want it accepted", c.Config, err)
			case c.WantField == "/":
				wantConfigError(t, c.Config, err, "")
			case c.WantField != "":
				wantConfigError(t, c.Config, err, c.WantField)
			}
		})
	}
}

// checkConfigAccepted fails unless v accepts config (when there is one).
func checkConfigAccepted(t *testing.T, v sdk.ConfigValidator, config json.RawMessage) {
	t.Helper()
	if len(config) == 0 {
		return
	}
	_, err := call(t, "ValidateConfig", func(ctx context.Context) (struct{}, error) {
		return struct{}{}, v.ValidateConfig(ctx, config)
	})
	if err != nil {
		t.Errorf("the case's config %s is refused: %v", config, err)
	}
}

// checkWant compares got with want as canonical JSON when want is set.
func checkWant(t *testing.T, got, want any) {
	t.Helper()
	if g, w := canonical(t, got), canonical(t, want); g != w {
		t.Errorf("answer differs:\n got: %s\nwant: %s", g, w)
	}
}
