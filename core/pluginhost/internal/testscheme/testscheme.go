// Package testscheme is the commission scheme of the host's tests and
// benchmark: it pays level 1 a tenth of each line and, when asked through the
// request's settings, misbehaves: "sleep" (a duration) hangs the call,
// "crash" exits the process in the middle of it.
package testscheme

import (
	"context"
	"encoding/json"
	"os"
	"time"

	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/sdk"
)

// Scheme is the test commission scheme.
type Scheme struct{}

var _ sdk.CommissionScheme = Scheme{}

var tenth = decimal.New(1, -1)

func (Scheme) ValidateConfig(_ context.Context, raw json.RawMessage) error {
	var m map[string]any
	if len(raw) > 0 && json.Unmarshal(raw, &m) != nil {
		return sdk.InvalidConfig(sdk.FieldError{Path: "", Message: "must be an object"})
	}
	return nil
}

func (Scheme) Compute(_ context.Context, req sdk.CommissionRequest) (sdk.CommissionResult, error) {
	if req.Context.Settings["crash"] != "" {
		os.Exit(3)
	}
	if d, err := time.ParseDuration(req.Context.Settings["sleep"]); err == nil {
		time.Sleep(d) // hung: deaf to ctx, as a stuck plugin would be
	}
	var res sdk.CommissionResult
	if len(req.Upline) == 0 {
		return res, nil
	}
	for _, l := range req.Lines {
		res.Beneficiaries = append(res.Beneficiaries, sdk.Beneficiary{
			LineID: l.LineID, MemberID: req.Upline[0].MemberID, Level: 1,
			Base: l.PaidAmount, Rate: tenth, Amount: req.Context.Round(l.PaidAmount.Mul(tenth)),
		})
	}
	return res, nil
}
