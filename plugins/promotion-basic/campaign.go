package main

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/sdk"
)

// Campaign types.
const (
	percentOff    = "percent_off"
	amountOff     = "amount_off"
	fullReduction = "full_reduction"
	buyXGetY      = "buy_x_get_y"
)

// campaignConfig is one campaign's config.
type campaignConfig struct {
	Type  string `json:"type"`
	Scope struct {
		Type string   `json:"type"` // all | categories | products
		IDs  []string `json:"ids"`
	} `json:"scope"`
	Percent        decimal.Decimal `json:"percent"`
	Amount         decimal.Decimal `json:"amount"`
	MinSpend       decimal.Decimal `json:"min_spend"`
	Tiers          []tier          `json:"tiers"`
	Repeat         bool            `json:"repeat"`
	BuyQuantity    int64           `json:"buy_quantity"`
	GiftSKUID      string          `json:"gift_sku_id"`
	GiftQuantity   int64           `json:"gift_quantity"`
	PerMemberLimit int64           `json:"per_member_limit"`
	MemberLevelIDs []string        `json:"member_level_ids"`
}

type tier struct {
	Spend decimal.Decimal `json:"spend"`
	Save  decimal.Decimal `json:"save"`
}

// campaignConfigs holds the campaign configs Apply has parsed, by their
// bytes: every quote sends each campaign's config again, and decoding it
// cost more than the rest of Apply (see sdk.ConfigCache for why a cache
// keyed by the bytes alone is safe across campaigns and tenants). Apply
// only reads a campaignConfig, never changes one.
var campaignConfigs = sdk.NewConfigCache(0, func(raw json.RawMessage) (campaignConfig, error) {
	c, fields := parseCampaign(raw)
	if len(fields) > 0 {
		return c, sdk.InvalidConfig(fields...)
	}
	return c, nil
})

// parseCampaign reads a campaign's config and names each wrong field.
func parseCampaign(raw json.RawMessage) (campaignConfig, []sdk.FieldError) {
	var c campaignConfig
	if err := json.Unmarshal(raw, &c); err != nil {
		return c, []sdk.FieldError{{Path: "", Message: "must be a campaign object: " + err.Error()}}
	}
	var fields []sdk.FieldError
	bad := func(path, format string, args ...any) {
		fields = append(fields, sdk.FieldError{Path: path, Message: fmt.Sprintf(format, args...)})
	}
	switch c.Scope.Type {
	case "", "all":
	case "categories", "products":
		if len(c.Scope.IDs) == 0 {
			bad("/scope/ids", "name at least one id")
		}
	default:
		bad("/scope/type", "must be all, categories or products")
	}
	if c.MinSpend.IsNegative() {
		bad("/min_spend", "must not be negative")
	}
	if c.PerMemberLimit < 0 {
		bad("/per_member_limit", "must not be negative")
	}
	switch c.Type {
	case percentOff:
		if !c.Percent.IsPositive() || !c.Percent.LessThan(decimal.NewFromInt(100)) {
			bad("/percent", "must be more than 0 and less than 100")
		}
	case amountOff:
		if !c.Amount.IsPositive() {
			bad("/amount", "must be positive")
		}
	case fullReduction:
		if len(c.Tiers) == 0 {
			bad("/tiers", "name at least one tier")
		}
		for i, t := range c.Tiers {
			if !t.Spend.IsPositive() || !t.Save.IsPositive() || t.Save.GreaterThan(t.Spend) {
				bad(fmt.Sprintf("/tiers/%d", i), "spend and save must be positive, save no more than spend")
			}
		}
	case buyXGetY:
		if c.BuyQuantity < 1 {
			bad("/buy_quantity", "must be at least 1")
		}
		if c.GiftSKUID == "" {
			bad("/gift_sku_id", "name the gift SKU")
		}
		if c.GiftQuantity < 1 {
			bad("/gift_quantity", "must be at least 1")
		}
	default:
		bad("/type", "must be percent_off, amount_off, full_reduction or buy_x_get_y")
	}
	return c, fields
}

// inScope reports whether a line is one the campaign applies to.
func (c campaignConfig) inScope(l sdk.PromotionLine) bool {
	switch c.Scope.Type {
	case "categories":
		return slices.Contains(c.Scope.IDs, l.CategoryID)
	case "products":
		return slices.Contains(c.Scope.IDs, l.ProductID)
	}
	return true
}

// eligible reports whether the campaign may apply to this request at all:
// time window, usage limits, member level.
func (c campaignConfig) eligible(cp sdk.Campaign, req sdk.PromotionRequest) bool {
	now := req.Context.Now
	switch {
	case !cp.StartsAt.IsZero() && now.Before(cp.StartsAt):
		return false
	case !cp.EndsAt.IsZero() && !now.Before(cp.EndsAt):
		return false
	case cp.UsageLimit > 0 && cp.UsedCount >= cp.UsageLimit:
		return false
	case c.PerMemberLimit > 0 && cp.MemberUsedCount >= c.PerMemberLimit:
		return false
	case len(c.MemberLevelIDs) > 0 && !slices.Contains(c.MemberLevelIDs, req.MemberLevelID):
		return false
	}
	return true
}
