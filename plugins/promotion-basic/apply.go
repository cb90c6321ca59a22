package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/sdk"
)

type basic struct{}

var _ sdk.PromotionRule = basic{}

// ValidateConfig checks the tenant-wide config, which has no settings yet:
// it must be an object. Campaign configs are checked against the manifest's
// campaign_schema by the host, and again here by Apply.
func (basic) ValidateConfig(_ context.Context, raw json.RawMessage) error {
	if len(raw) == 0 {
		return nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return sdk.InvalidConfig(sdk.FieldError{Path: "", Message: "must be a JSON object"})
	}
	for k := range m {
		return sdk.InvalidConfig(sdk.FieldError{Path: "/" + k, Message: "unknown setting"})
	}
	return nil
}

// cart tracks what is left of each line as campaigns apply.
type cart struct {
	lines   []sdk.PromotionLine
	left    map[string]decimal.Decimal
	touched map[string]bool
	locked  map[string]bool
}

func (basic) Apply(_ context.Context, req sdk.PromotionRequest) (sdk.PromotionResult, error) {
	k := cart{
		lines:   req.Lines,
		left:    make(map[string]decimal.Decimal, len(req.Lines)),
		touched: map[string]bool{},
		locked:  map[string]bool{},
	}
	for _, l := range req.Lines {
		k.left[l.LineID] = l.Amount
	}
	campaigns := append([]sdk.Campaign(nil), req.Campaigns...)
	sort.SliceStable(campaigns, func(i, j int) bool {
		if campaigns[i].Priority != campaigns[j].Priority {
			return campaigns[i].Priority > campaigns[j].Priority
		}
		return campaigns[i].CampaignID < campaigns[j].CampaignID
	})
	var res sdk.PromotionResult
	groups := map[string]bool{}
	for _, cp := range campaigns {
		cfg, err := campaignConfigs.Get(cp.ConfigJSON)
		if err != nil {
			// Errors are never cached: e is this call's own.
			if e, ok := sdk.AsError(err); ok {
				e.Message = "campaign " + cp.CampaignID
			}
			return sdk.PromotionResult{}, err
		}
		if !cfg.eligible(cp, req) || (cp.StackingGroup != "" && groups[cp.StackingGroup]) {
			continue
		}
		var scope []sdk.PromotionLine
		for _, l := range req.Lines {
			if cfg.inScope(l) && !k.locked[l.LineID] {
				scope = append(scope, l)
			}
		}
		if cp.Exclusive && k.anyTouched(scope) {
			continue
		}
		adjs, gifts := k.offer(req.Context, cp, cfg, scope)
		if len(adjs) == 0 && len(gifts) == 0 {
			continue
		}
		for _, a := range adjs {
			k.take(req.Context, a)
		}
		for _, l := range scope {
			k.touched[l.LineID] = true
			if cp.Exclusive {
				k.locked[l.LineID] = true
			}
		}
		if cp.StackingGroup != "" {
			groups[cp.StackingGroup] = true
		}
		res.Adjustments = append(res.Adjustments, adjs...)
		res.Gifts = append(res.Gifts, gifts...)
	}
	return res, nil
}

func (k *cart) anyTouched(lines []sdk.PromotionLine) bool {
	for _, l := range lines {
		if k.touched[l.LineID] {
			return true
		}
	}
	return false
}

// offer is what one campaign gives on the lines in its scope, computed on
// what earlier campaigns left of them.
func (k *cart) offer(pc sdk.PluginContext, cp sdk.Campaign, cfg campaignConfig, scope []sdk.PromotionLine) ([]sdk.Adjustment, []sdk.GiftLine) {
	total := decimal.Zero
	var ids []string
	var quantity int64
	for _, l := range scope {
		if left := k.left[l.LineID]; left.IsPositive() {
			total = total.Add(left)
			ids = append(ids, l.LineID)
		}
		quantity += l.Quantity
	}
	adjust := func(lineIDs []string, amount decimal.Decimal, reason string) sdk.Adjustment {
		return sdk.Adjustment{
			CampaignID: cp.CampaignID, LineIDs: lineIDs, Amount: amount,
			Reason: cp.Name + ": " + reason, StackingGroup: cp.StackingGroup, Exclusive: cp.Exclusive,
		}
	}
	if cfg.Type != buyXGetY && (total.IsZero() || total.LessThan(cfg.MinSpend)) {
		return nil, nil
	}
	switch cfg.Type {
	case percentOff:
		var out []sdk.Adjustment
		rate := cfg.Percent.Shift(-2)
		for _, id := range ids {
			if amount := pc.Round(k.left[id].Mul(rate)); amount.IsPositive() {
				out = append(out, adjust([]string{id}, amount, cfg.Percent.String()+"% off"))
			}
		}
		return out, nil
	case amountOff:
		return []sdk.Adjustment{adjust(ids, decimal.Min(cfg.Amount, total), cfg.Amount.StringFixed(pc.MinorUnits)+" off")}, nil
	case fullReduction:
		save, reason := cfg.bestTier(total, pc.MinorUnits)
		if !save.IsPositive() {
			return nil, nil
		}
		return []sdk.Adjustment{adjust(ids, decimal.Min(save, total), reason)}, nil
	case buyXGetY:
		if quantity < cfg.BuyQuantity || len(scope) == 0 {
			return nil, nil
		}
		times := int64(1)
		if cfg.Repeat {
			times = quantity / cfg.BuyQuantity
		}
		return nil, []sdk.GiftLine{{
			CampaignID: cp.CampaignID, SKUID: cfg.GiftSKUID, Quantity: times * cfg.GiftQuantity,
			Reason: fmt.Sprintf("%s: buy %d get %d free", cp.Name, cfg.BuyQuantity, cfg.GiftQuantity),
		}}
	}
	return nil, nil
}

// bestTier is the largest saving a full-reduction's tiers give on total.
func (c campaignConfig) bestTier(total decimal.Decimal, minor int32) (decimal.Decimal, string) {
	best, reason := decimal.Zero, ""
	for _, t := range c.Tiers {
		if total.LessThan(t.Spend) {
			continue
		}
		times := decimal.NewFromInt(1)
		if c.Repeat {
			times = total.Div(t.Spend).Floor()
		}
		if save := t.Save.Mul(times); save.GreaterThan(best) {
			best = save
			reason = fmt.Sprintf("spend %s save %s", t.Spend.StringFixed(minor), t.Save.StringFixed(minor))
			if c.Repeat {
				reason += fmt.Sprintf(" (×%s)", times)
			}
		}
	}
	return best, reason
}

// take records an adjustment on what is left of its lines, spreading a
// several-line amount in proportion to what each has left (the last line
// takes the rounding remainder), so later campaigns see the right amounts.
func (k *cart) take(pc sdk.PluginContext, a sdk.Adjustment) {
	total := decimal.Zero
	for _, id := range a.LineIDs {
		total = total.Add(k.left[id])
	}
	rest := a.Amount
	for i, id := range a.LineIDs {
		share := rest
		if i < len(a.LineIDs)-1 && total.IsPositive() {
			share = decimal.Min(pc.Round(a.Amount.Mul(k.left[id]).Div(total)), rest)
		}
		k.left[id] = k.left[id].Sub(share)
		rest = rest.Sub(share)
	}
}
