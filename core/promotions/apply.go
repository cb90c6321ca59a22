package promotions

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/plugins"
	"github.com/banyanmall/banyan/core/tenancy"
	"github.com/banyanmall/banyan/sdk"
)

// Line is one cart line at the promotion step: Amount is the line after the
// member-level price.
type Line struct {
	LineID     string          `json:"line_id"`
	ProductID  string          `json:"product_id"`
	SKUID      string          `json:"sku_id"`
	CategoryID string          `json:"category_id"`
	Quantity   int64           `json:"quantity"`
	UnitPrice  decimal.Decimal `json:"unit_price"`
	Amount     decimal.Decimal `json:"amount"`
}

// ApplyInput is one quote's cart.
type ApplyInput struct {
	MemberID      string    `json:"member_id"`
	MemberLevelID string    `json:"member_level_id"`
	Lines         []Line    `json:"lines"`
	Now           time.Time `json:"-"` // the quote's clock; zero = now
}

// Adjustment is one discount the quote applies.
type Adjustment struct {
	CampaignID    CampaignID      `json:"campaign_id"`
	CampaignName  string          `json:"campaign_name"`
	Plugin        string          `json:"plugin"`
	LineIDs       []string        `json:"line_ids"`
	Amount        decimal.Decimal `json:"amount"`
	Reason        string          `json:"reason"`
	StackingGroup string          `json:"stacking_group"`
	Exclusive     bool            `json:"exclusive"`
}

// Gift is a free line a campaign adds.
type Gift struct {
	CampaignID   CampaignID `json:"campaign_id"`
	CampaignName string     `json:"campaign_name"`
	Plugin       string     `json:"plugin"`
	SKUID        string     `json:"sku_id"`
	Quantity     int64      `json:"quantity"`
	Reason       string     `json:"reason"`
}

// Result is the promotion step of a quote. PerLine holds each line's
// promotion discount (lines without one are absent); Total is their sum.
type Result struct {
	Adjustments []Adjustment               `json:"adjustments"`
	Gifts       []Gift                     `json:"gifts"`
	PerLine     map[string]decimal.Decimal `json:"per_line"`
	Total       decimal.Decimal            `json:"total"`
}

// CampaignIDs are the campaigns the result uses (for RecordUsage).
func (r Result) CampaignIDs() []CampaignID {
	var out []CampaignID
	for _, a := range r.Adjustments {
		if !slices.Contains(out, a.CampaignID) {
			out = append(out, a.CampaignID)
		}
	}
	for _, g := range r.Gifts {
		if !slices.Contains(out, g.CampaignID) {
			out = append(out, g.CampaignID)
		}
	}
	return out
}

// MaxLines bounds a cart.
const MaxLines = 500

func (in ApplyInput) validate(minor int32) error {
	v := errs.Validator{}
	v.Check(len(in.Lines) <= MaxLines, "lines", "too_many", fmt.Sprintf("at most %d lines", MaxLines))
	seen := map[string]bool{}
	for i, l := range in.Lines {
		f := fmt.Sprintf("lines.%d", i)
		v.Check(l.LineID != "" && !seen[l.LineID], f+".line_id", "invalid", "a line id, unique in the cart")
		seen[l.LineID] = true
		v.Check(l.Quantity > 0, f+".quantity", "out_of_range", "must be positive")
		v.Check(!l.Amount.IsNegative() && sdk.IsMoney(l.Amount, minor), f+".amount", "invalid", "a non-negative amount in the currency's minor unit")
	}
	return v.Err()
}

// Apply is the promotion step of the quote pipeline, in the caller's
// transaction. Each enabled promotion plugin that has active campaigns is
// called once, with every line and all its campaigns (a constant number of
// calls whatever the size of the cart), in the plugins' priority order; then
// the host resolves stacking across everything proposed (see resolve). A
// plugin that fails or times out fails the quote with plugin_unavailable
// naming it: never a silently different price.
func (s *Service) Apply(ctx context.Context, tx *db.Tx, in ApplyInput) (Result, error) {
	minor := minorUnits(ctx)
	if err := in.validate(minor); err != nil {
		return Result{}, err
	}
	if in.Now.IsZero() {
		in.Now = time.Now()
	}
	now := in.Now.UTC().Truncate(time.Millisecond)
	res := Result{Adjustments: []Adjustment{}, Gifts: []Gift{}, PerLine: map[string]decimal.Decimal{}, Total: decimal.Zero}
	if len(in.Lines) == 0 {
		return res, nil
	}
	enabled, err := s.Plugins.Enabled(ctx, tx, sdk.KindPromotion)
	if err != nil || len(enabled) == 0 {
		return res, err
	}
	names := make([]string, len(enabled))
	for i, e := range enabled {
		names[i] = e.Name
	}
	tid := tenancy.ID(ctx)
	var active []Campaign
	err = tx.SelectContext(ctx, &active, `SELECT `+campaignCols+` FROM promotion_campaigns c
WHERE c.tenant_id = $1 AND c.status = 'active' AND c.plugin = ANY($2)
  AND (c.starts_at IS NULL OR c.starts_at <= $3) AND (c.ends_at IS NULL OR c.ends_at > $3)
  AND (c.usage_limit = 0 OR c.used_count < c.usage_limit)
ORDER BY c.priority DESC, c.id`, tid, pq.StringArray(names), now)
	if err != nil {
		return Result{}, fmt.Errorf("active promotions: %w", err)
	}
	if len(active) == 0 {
		return res, nil
	}
	memberUses := map[CampaignID]int64{}
	if tenancy.ValidUUID(in.MemberID) {
		var rows []struct {
			ID CampaignID `db:"campaign_id"`
			N  int64      `db:"n"`
		}
		if err := tx.SelectContext(ctx, &rows, `SELECT campaign_id, count(*) AS n FROM promotion_usages
WHERE tenant_id = $1 AND member_id = $2 GROUP BY campaign_id`, tid, in.MemberID); err != nil {
			return Result{}, fmt.Errorf("member promotion uses: %w", err)
		}
		for _, r := range rows {
			memberUses[r.ID] = r.N
		}
	}
	lines := make([]sdk.PromotionLine, len(in.Lines))
	for i, l := range in.Lines {
		lines[i] = sdk.PromotionLine{LineID: l.LineID, ProductID: l.ProductID, SKUID: l.SKUID, CategoryID: l.CategoryID,
			Quantity: l.Quantity, UnitPrice: l.UnitPrice, Amount: l.Amount}
	}
	byID := make(map[CampaignID]Campaign, len(active))
	var offers []offer
	for order, e := range enabled {
		var campaigns []sdk.Campaign
		for _, c := range active {
			if c.Plugin != e.Name {
				continue
			}
			byID[c.ID] = c
			campaigns = append(campaigns, wireCampaign(c, memberUses[c.ID]))
		}
		if len(campaigns) == 0 {
			continue
		}
		rule, err := s.Host.Promotion(e.Name)
		if err != nil {
			return Result{}, plugins.Unavailable(e.Name, err)
		}
		out, err := rule.Apply(ctx, sdk.PromotionRequest{
			Context:  sdk.PluginContext{TenantID: string(tid), ConfigJSON: e.Config, Currency: currency(ctx), MinorUnits: minor, Now: now},
			MemberID: in.MemberID, MemberLevelID: in.MemberLevelID, Lines: lines, Campaigns: campaigns,
		})
		if err != nil {
			return Result{}, plugins.Unavailable(e.Name, err)
		}
		offers = append(offers, collect(e.Name, order, byID, out)...)
	}
	resolve(offers, in.Lines, minor, &res)
	return res, nil
}

func wireCampaign(c Campaign, memberUses int64) sdk.Campaign {
	w := sdk.Campaign{CampaignID: string(c.ID), Name: c.Name, Priority: c.Priority, StackingGroup: c.StackingGroup,
		Exclusive: c.Exclusive, ConfigJSON: json.RawMessage(c.Config), UsageLimit: c.UsageLimit, UsedCount: c.UsedCount,
		MemberUsedCount: memberUses}
	if c.StartsAt != nil {
		w.StartsAt = *c.StartsAt
	}
	if c.EndsAt != nil {
		w.EndsAt = *c.EndsAt
	}
	return w
}

// offer is everything one campaign proposes: its adjustments and gifts.
// The host, not the plugin, is the authority on the campaign's stacking
// group and exclusivity: they come from the campaign record.
type offer struct {
	campaign Campaign
	plugin   string
	order    int // plugin priority order, then campaign priority
	adjs     []Adjustment
	gifts    []Gift
	amount   decimal.Decimal
	lines    map[string]bool
}

func collect(plugin string, order int, byID map[CampaignID]Campaign, out sdk.PromotionResult) []offer {
	idx := map[CampaignID]int{}
	var offers []offer
	get := func(id string) *offer {
		cid := CampaignID(id)
		i, ok := idx[cid]
		if !ok {
			c := byID[cid]
			offers = append(offers, offer{campaign: c, plugin: plugin, order: order, amount: decimal.Zero, lines: map[string]bool{}})
			i = len(offers) - 1
			idx[cid] = i
		}
		return &offers[i]
	}
	for _, a := range out.Adjustments {
		o := get(a.CampaignID)
		o.adjs = append(o.adjs, Adjustment{CampaignID: o.campaign.ID, CampaignName: o.campaign.Name, Plugin: plugin,
			LineIDs: slices.Clone(a.LineIDs), Amount: a.Amount, Reason: a.Reason,
			StackingGroup: o.campaign.StackingGroup, Exclusive: o.campaign.Exclusive})
		o.amount = o.amount.Add(a.Amount)
		for _, id := range a.LineIDs {
			o.lines[id] = true
		}
	}
	for _, g := range out.Gifts {
		o := get(g.CampaignID)
		o.gifts = append(o.gifts, Gift{CampaignID: o.campaign.ID, CampaignName: o.campaign.Name, Plugin: plugin,
			SKUID: g.SKUID, Quantity: g.Quantity, Reason: g.Reason})
	}
	return offers
}

func (o *offer) overlaps(p *offer) bool {
	for id := range o.lines {
		if p.lines[id] {
			return true
		}
	}
	return false
}

// resolve decides which offers apply and spreads them over the lines.
//
// The rule, best for the customer and the same whatever plugin proposed:
//  1. Stackable (non-exclusive) offers combine, except that of the offers in
//     one named stacking group only the largest applies (an empty group
//     combines with everything).
//  2. An exclusive offer combines with nothing that touches its lines. In
//     descending order of amount, each exclusive offer replaces the offers it
//     conflicts with when it is worth more than all of them together. So
//     with every offer on the whole cart: the best exclusive offer or the sum
//     of the stackable ones, whichever is larger (a tie keeps the stackable).
//  3. The applied adjustments are spread over their lines in plugin-priority
//     order, each in proportion to what is left of its lines (half-even to
//     the minor unit, the remainder to the last line), never taking a line
//     below zero: an adjustment that would is cut to what is left.
func resolve(offers []offer, lines []Line, minor int32, res *Result) {
	sort.SliceStable(offers, func(i, j int) bool {
		if offers[i].order != offers[j].order {
			return offers[i].order < offers[j].order
		}
		if offers[i].campaign.Priority != offers[j].campaign.Priority {
			return offers[i].campaign.Priority > offers[j].campaign.Priority
		}
		return offers[i].campaign.ID < offers[j].campaign.ID
	})
	var chosen []*offer
	best := map[string]*offer{}
	var exclusive []*offer
	for i := range offers {
		o := &offers[i]
		switch {
		case len(o.adjs) == 0:
			chosen = append(chosen, o) // gifts only: nothing to stack
		case o.campaign.Exclusive:
			exclusive = append(exclusive, o)
		case o.campaign.StackingGroup == "":
			chosen = append(chosen, o)
		default:
			if b := best[o.campaign.StackingGroup]; b == nil || o.amount.GreaterThan(b.amount) {
				best[o.campaign.StackingGroup] = o
			}
		}
	}
	for i := range offers {
		if o := &offers[i]; best[o.campaign.StackingGroup] == o && !o.campaign.Exclusive {
			chosen = append(chosen, o)
		}
	}
	sort.SliceStable(exclusive, func(i, j int) bool { return exclusive[i].amount.GreaterThan(exclusive[j].amount) })
	for _, e := range exclusive {
		worth := decimal.Zero
		var keep []*offer
		for _, c := range chosen {
			if len(c.adjs) > 0 && e.overlaps(c) {
				worth = worth.Add(c.amount)
			} else {
				keep = append(keep, c)
			}
		}
		if e.amount.GreaterThan(worth) {
			chosen = append(keep, e)
		}
	}
	applied := map[*offer]bool{}
	for _, c := range chosen {
		applied[c] = true
	}
	left := make(map[string]decimal.Decimal, len(lines))
	for _, l := range lines {
		left[l.LineID] = l.Amount
	}
	for i := range offers {
		o := &offers[i]
		if !applied[o] {
			continue
		}
		for _, a := range o.adjs {
			if amount := spread(a, left, minor, res.PerLine); amount.IsPositive() {
				a.Amount = amount
				res.Adjustments = append(res.Adjustments, a)
				res.Total = res.Total.Add(amount)
			}
		}
		res.Gifts = append(res.Gifts, o.gifts...)
	}
}

// spread takes a's amount off its lines in proportion to what is left of
// each, and returns the amount taken (less than a.Amount when the lines
// have less left).
func spread(a Adjustment, left map[string]decimal.Decimal, minor int32, perLine map[string]decimal.Decimal) decimal.Decimal {
	total := decimal.Zero
	for _, id := range a.LineIDs {
		total = total.Add(left[id])
	}
	amount := decimal.Min(a.Amount, total)
	if !amount.IsPositive() {
		return decimal.Zero
	}
	shares := make([]decimal.Decimal, len(a.LineIDs))
	rest := amount
	for i, id := range a.LineIDs {
		if i == len(a.LineIDs)-1 {
			shares[i] = decimal.Min(rest, left[id])
		} else {
			shares[i] = decimal.Min(decimal.Min(amount.Mul(left[id]).Div(total).RoundBank(minor), left[id]), rest)
		}
		rest = rest.Sub(shares[i])
	}
	// Rounding can leave a cent the last line has no room for: give it to
	// the first lines that do.
	for i, id := range a.LineIDs {
		if !rest.IsPositive() {
			break
		}
		room := left[id].Sub(shares[i])
		if take := decimal.Min(room, rest); take.IsPositive() {
			shares[i] = shares[i].Add(take)
			rest = rest.Sub(take)
		}
	}
	for i, id := range a.LineIDs {
		if shares[i].IsZero() {
			continue
		}
		left[id] = left[id].Sub(shares[i])
		perLine[id] = perLine[id].Add(shares[i])
	}
	return amount.Sub(rest)
}
