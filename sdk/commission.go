package sdk

import (
	"context"

	"github.com/shopspring/decimal"
)

// CommissionScheme decides who earns what on a paid order. The host calls
// Compute when an order is paid and again on a partial refund (with the
// reduced paid amounts); it records what Compute proposes after checking it
// with [CheckCommission]. Since protocol 1.
type CommissionScheme interface {
	ConfigValidator
	// Compute returns the beneficiaries of req's lines. Since protocol 1.
	Compute(ctx context.Context, req CommissionRequest) (CommissionResult, error)
}

// DistributionMode says how a product takes part in distribution. Since protocol 1.
type DistributionMode string

const (
	// DistributeDefault: the scheme's own rates apply.
	DistributeDefault DistributionMode = "default"
	// DistributeOverride: the line's OverrideRates apply instead.
	DistributeOverride DistributionMode = "override"
	// DistributeNone: the product earns no commission.
	DistributeNone DistributionMode = "none"
)

// CommissionRequest is one paid order. Since protocol 1.
type CommissionRequest struct {
	Context PluginContext
	OrderID string
	OrderNo string
	// BuyerID is the buyer's member id.
	BuyerID            string
	BuyerIsDistributor bool
	Lines              []CommissionLine
	// Upline is the chain of possible beneficiaries, nearest first, built by
	// the host from the tenant's settings:
	//
	//   - when SelfPurchase is on and the buyer is a distributor, Upline[0] is
	//     the buyer at level 1, the buyer's referrer is level 2, and so on;
	//   - otherwise Upline[0] is the buyer's direct referrer at level 1.
	//
	// It holds at most Depth entries, levels 1, 2, ... without gaps; it is
	// shorter (or empty) when the chain ends. A scheme pays nobody else.
	Upline []Upline
	// Depth is the tenant's number of commission levels, 1 to 3.
	Depth int
	// SelfPurchase reports whether the tenant pays commission to a
	// distributor on their own orders (see Upline).
	SelfPurchase bool
}

// CommissionLine is one order line. Since protocol 1.
type CommissionLine struct {
	LineID     string
	ProductID  string
	SKUID      string
	CategoryID string
	Quantity   int64
	UnitPrice  decimal.Decimal
	// PaidAmount is what the buyer actually paid for the line after every
	// discount, coupon and points offset, excluding shipping.
	PaidAmount   decimal.Decimal
	Distribution DistributionMode
	// OverrideRates, with DistributeOverride, are the product's own rates
	// per level (index 0 = level 1), as fractions (0.1 = 10%).
	OverrideRates []decimal.Decimal
}

// Upline is one member of the chain above the buyer. Since protocol 1.
type Upline struct {
	MemberID string
	// Level is 1..Depth; see CommissionRequest.Upline.
	Level     int
	GradeID   string
	GradeName string
	// GradeRates are the rates the merchant set on the member's distributor
	// grade, per level (index 0 = level 1), as fractions; empty when the
	// grade sets none.
	GradeRates []decimal.Decimal
}

// CommissionResult is what a scheme proposes. Since protocol 1.
type CommissionResult struct {
	Beneficiaries []Beneficiary
}

// Beneficiary is one commission on one line for one member. Amount is
// rounded to the currency's minor unit; the host records it as given. At
// most one per (line, member, level). Since protocol 1.
type Beneficiary struct {
	LineID   string
	MemberID string
	Level    int
	Base     decimal.Decimal
	Rate     decimal.Decimal
	Amount   decimal.Decimal
	Note     string
}
