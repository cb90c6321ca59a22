package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/sdk"
)

const maxDepth = 3

// config is a tenant's config; manifest.json has its JSON Schema.
type config struct {
	// Rates are the default rates per level, index 0 = level 1.
	Rates []decimal.Decimal `json:"rates"`
	// Grades are rates per level by distributor grade id.
	Grades map[string][]decimal.Decimal `json:"grades"`
}

// parseConfig reads and checks a config, naming each wrong field.
func parseConfig(raw json.RawMessage) (config, error) {
	var c config
	if len(raw) == 0 {
		return c, nil
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return c, sdk.InvalidConfig(sdk.FieldError{Path: "", Message: "must be an object of rates: " + err.Error()})
	}
	var fields []sdk.FieldError
	fields = append(fields, checkRates("/rates", c.Rates)...)
	grades := make([]string, 0, len(c.Grades))
	for g := range c.Grades {
		grades = append(grades, g)
	}
	sort.Strings(grades)
	for _, g := range grades {
		fields = append(fields, checkRates("/grades/"+g, c.Grades[g])...)
	}
	if len(fields) > 0 {
		return c, sdk.InvalidConfig(fields...)
	}
	return c, nil
}

// checkRates: at most 3 levels, each rate in [0, 1], together at most 1 (a
// line never pays out more than it took).
func checkRates(path string, rates []decimal.Decimal) []sdk.FieldError {
	var fields []sdk.FieldError
	if len(rates) > maxDepth {
		fields = append(fields, sdk.FieldError{Path: path, Message: "at most 3 levels"})
	}
	sum := decimal.Zero
	for i, r := range rates {
		if r.IsNegative() || r.GreaterThan(decimal.NewFromInt(1)) {
			fields = append(fields, sdk.FieldError{Path: fmt.Sprintf("%s/%d", path, i), Message: "must be a fraction between 0 and 1"})
		}
		sum = sum.Add(r)
	}
	if sum.GreaterThan(decimal.NewFromInt(1)) {
		fields = append(fields, sdk.FieldError{Path: path, Message: "rates add up to more than 1"})
	}
	return fields
}

// configs holds the tenant configs Compute has parsed, by their bytes: the
// host sends the config with every call (see sdk.ConfigCache for why a
// cache keyed by the bytes alone is safe across tenants). Compute only
// reads a config, never changes one.
var configs = sdk.NewConfigCache(0, parseConfig)

type tiered struct{}

var _ sdk.CommissionScheme = tiered{}

func (tiered) ValidateConfig(_ context.Context, raw json.RawMessage) error {
	_, err := parseConfig(raw)
	return err
}

func (tiered) Compute(_ context.Context, req sdk.CommissionRequest) (sdk.CommissionResult, error) {
	cfg, err := configs.Get(req.Context.ConfigJSON)
	if err != nil {
		return sdk.CommissionResult{}, err
	}
	if req.Depth < 1 || req.Depth > maxDepth {
		return sdk.CommissionResult{}, sdk.Errorf(sdk.CodeInvalidRequest, "depth %d outside 1..3", req.Depth)
	}
	selfPurchase := req.SelfPurchase && req.BuyerIsDistributor
	var res sdk.CommissionResult
	for _, l := range req.Lines {
		if l.Distribution == sdk.DistributeNone || !l.PaidAmount.IsPositive() {
			continue
		}
		left := l.PaidAmount
		for _, u := range req.Upline {
			if u.Level < 1 || u.Level > req.Depth || (u.MemberID == req.BuyerID && !selfPurchase) {
				continue
			}
			rate, source := rateFor(cfg, l, u)
			if rate.IsNegative() || rate.GreaterThan(decimal.NewFromInt(1)) {
				return sdk.CommissionResult{}, sdk.Errorf(sdk.CodeInvalidRequest, "line %s level %d: %s rate %s outside 0..1", l.LineID, u.Level, source, rate)
			}
			amount := req.Context.Round(l.PaidAmount.Mul(rate))
			note := fmt.Sprintf("level %d, %s rate", u.Level, source)
			if amount.GreaterThan(left) {
				amount, note = left, note+", cut to what the line has left"
			}
			if !amount.IsPositive() {
				continue
			}
			left = left.Sub(amount)
			res.Beneficiaries = append(res.Beneficiaries, sdk.Beneficiary{
				LineID:   l.LineID,
				MemberID: u.MemberID,
				Level:    u.Level,
				Base:     l.PaidAmount,
				Rate:     rate,
				Amount:   amount,
				Note:     note,
			})
		}
	}
	return res, nil
}

// rateFor picks the rate for line l at u's level and says where it came from.
func rateFor(cfg config, l sdk.CommissionLine, u sdk.Upline) (decimal.Decimal, string) {
	i := u.Level - 1
	if l.Distribution == sdk.DistributeOverride {
		return at(l.OverrideRates, i), "product override"
	}
	if len(u.GradeRates) > 0 {
		return at(u.GradeRates, i), "grade " + gradeName(u)
	}
	if rates, ok := cfg.Grades[u.GradeID]; ok && u.GradeID != "" {
		return at(rates, i), "grade " + gradeName(u)
	}
	return at(cfg.Rates, i), "default"
}

func gradeName(u sdk.Upline) string {
	if u.GradeName != "" {
		return u.GradeName
	}
	return u.GradeID
}

func at(rates []decimal.Decimal, i int) decimal.Decimal {
	if i < len(rates) {
		return rates[i]
	}
	return decimal.Zero
}
