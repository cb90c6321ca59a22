// Command commission-flat is an example third-party plugin: it pays the
// direct referrer (level 1) one flat rate of what was paid for each line.
package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/sdk"
)

// config is the tenant's config; manifest.json holds its JSON Schema.
type config struct {
	Rate decimal.Decimal `json:"rate"`
}

func parseConfig(raw json.RawMessage) (config, error) {
	var c config
	if err := json.Unmarshal(raw, &c); err != nil {
		return c, sdk.InvalidConfig(sdk.FieldError{Path: "", Message: "must be a JSON object with a rate: " + err.Error()})
	}
	if c.Rate.IsNegative() || c.Rate.GreaterThan(decimal.NewFromFloat(0.5)) {
		return c, sdk.InvalidConfig(sdk.FieldError{Path: "/rate", Message: "must be between 0 and 0.5"})
	}
	return c, nil
}

// configs remembers parsed configs by their bytes, so a tenant's config is
// decoded once rather than on every call (sdk.ConfigCache says why that is
// safe across tenants).
var configs = sdk.NewConfigCache(0, parseConfig)

type flat struct{}

var _ sdk.CommissionScheme = flat{}

func (flat) ValidateConfig(_ context.Context, raw json.RawMessage) error {
	_, err := parseConfig(raw)
	return err
}

func (flat) Compute(_ context.Context, req sdk.CommissionRequest) (sdk.CommissionResult, error) {
	c, err := configs.Get(req.Context.ConfigJSON)
	if err != nil {
		return sdk.CommissionResult{}, err
	}
	var res sdk.CommissionResult
	if len(req.Upline) == 0 || req.Upline[0].Level != 1 {
		return res, nil
	}
	referrer := req.Upline[0]
	for _, l := range req.Lines {
		rate := c.Rate
		switch {
		case l.Distribution == sdk.DistributeNone:
			continue
		case l.Distribution == sdk.DistributeOverride && len(l.OverrideRates) > 0:
			rate = l.OverrideRates[0]
		}
		amount := req.Context.Round(l.PaidAmount.Mul(rate))
		if amount.IsZero() {
			continue
		}
		res.Beneficiaries = append(res.Beneficiaries, sdk.Beneficiary{
			LineID:   l.LineID,
			MemberID: referrer.MemberID,
			Level:    1,
			Base:     l.PaidAmount,
			Rate:     rate,
			Amount:   amount,
			Note:     fmt.Sprintf("flat %s%%", rate.Shift(2)),
		})
	}
	return res, nil
}

func main() {
	sdk.Serve(sdk.ServeOpts{Commission: flat{}})
}
