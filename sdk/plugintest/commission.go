package plugintest

import (
	"context"
	"testing"

	"github.com/banyanmall/banyan/sdk"
)

// CommissionCase is one order to compute.
type CommissionCase struct {
	Name    string
	Request sdk.CommissionRequest
	// Want, when set, is the exact answer expected.
	Want *sdk.CommissionResult
	// WantErr, when set, is the error code the plugin must answer instead.
	WantErr sdk.Code
}

// RunCommission launches the commission plugin at binary and checks the
// contract on each case: config refusal, validity, deadline, determinism.
func RunCommission(t *testing.T, binary string, cases ...CommissionCase) {
	t.Helper()
	p := Commission(t, binary)
	checkRejectsBadConfig(t, p)
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			if c.WantErr == "" {
				checkConfigAccepted(t, p, c.Request.Context.ConfigJSON)
			}
			res, err := twice(t, "Compute", func(ctx context.Context) (sdk.CommissionResult, error) {
				return p.Compute(ctx, c.Request)
			})
			if wantCode(t, err, c.WantErr) {
				return
			}
			if err := sdk.CheckCommission(c.Request, res); err != nil {
				t.Error(err)
			}
			if c.Want != nil {
				checkWant(t, res.Beneficiaries, c.Want.Beneficiaries)
			}
		})
	}
}

// wantCode reports whether the case is over: it checks err against the
// expected code (none means no error).
func wantCode(t *testing.T, err error, want sdk.Code) bool {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case want != "":
		if e, ok := sdk.AsError(err); !ok || e.Code != want {
			t.Fatalf("error = %v, want code %s", err, want)
		}
		return true
	}
	return false
}
