package sdk

import (
	"context"
	"encoding/json"
	"time"

	"github.com/shopspring/decimal"
)

// PromotionRule proposes discounts and gifts for a cart. The host calls Apply
// once per quote per plugin, with every line of the cart and every campaign
// of the tenant that uses the plugin, so the number of calls never grows with
// the cart. The host checks the result with [CheckPromotion] and arbitrates
// stacking across plugins. Since protocol 1.
type PromotionRule interface {
	ConfigValidator
	// Apply returns the adjustments and gifts req's campaigns give. Since protocol 1.
	Apply(ctx context.Context, req PromotionRequest) (PromotionResult, error)
}

// PromotionRequest is one cart quote. Since protocol 1.
type PromotionRequest struct {
	Context       PluginContext
	MemberID      string
	MemberLevelID string
	Lines         []PromotionLine
	Campaigns     []Campaign
}

// PromotionLine is one cart line. Amount is the line's price after the
// member-level price, before promotions. Since protocol 1.
type PromotionLine struct {
	LineID     string
	ProductID  string
	SKUID      string
	CategoryID string
	Quantity   int64
	UnitPrice  decimal.Decimal
	Amount     decimal.Decimal
}

// Campaign is one of the merchant's promotions that uses the plugin. Since protocol 1.
type Campaign struct {
	CampaignID string
	Name       string
	// Priority orders campaigns: higher first.
	Priority      int
	StackingGroup string
	Exclusive     bool
	// ConfigJSON is the campaign's own config for the rule.
	ConfigJSON json.RawMessage
	// StartsAt and EndsAt bound the campaign; zero means unbounded.
	StartsAt time.Time
	EndsAt   time.Time
	// UsageLimit caps the campaign's uses over all members; 0 = unlimited.
	UsageLimit      int64
	UsedCount       int64
	MemberUsedCount int64
}

// PromotionResult is what a rule proposes. Since protocol 1.
type PromotionResult struct {
	Adjustments []Adjustment
	Gifts       []GiftLine
}

// Adjustment takes Amount (positive = discount, rounded to the minor unit)
// off the lines it names; the host spreads a several-line amount over those
// lines. Since protocol 1.
type Adjustment struct {
	CampaignID    string
	LineIDs       []string
	Amount        decimal.Decimal
	Reason        string
	StackingGroup string
	Exclusive     bool
}

// GiftLine adds a free line to the order. Since protocol 1.
type GiftLine struct {
	CampaignID string
	SKUID      string
	Quantity   int64
	Reason     string
}
