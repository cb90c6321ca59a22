// Package orders is checkout and everything after it: the price pipeline
// (quote), orders and their states, payments through provider plugins and
// their webhooks, refunds and shipping. See README.md.
package orders

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/catalog"
	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/identity"
	"github.com/banyanmall/banyan/core/marketing"
	"github.com/banyanmall/banyan/core/members"
	"github.com/banyanmall/banyan/core/tenancy"
	"github.com/banyanmall/banyan/sdk"
	"github.com/banyanmall/banyan/tenants"
)

// OrderID identifies an order.
type OrderID string

// PaymentID identifies a payment attempt.
type PaymentID string

// State of an order.
type State string

// States. pending_payment → paid → shipped → completed; cancelled only
// before payment.
const (
	PendingPayment State = "pending_payment"
	Paid           State = "paid"
	Shipped        State = "shipped"
	Completed      State = "completed"
	Cancelled      State = "cancelled"
)

// PluginConfigs answers which plugins the shop enabled and their config
// (core/plugins implements it; core/app wires it).
type PluginConfigs interface {
	// PaymentConfig returns the tenant's validated config of an enabled
	// payment plugin, or an errs.NotFound error when the shop has not
	// enabled it. A nil tx: read in a transaction of its own if needed.
	PaymentConfig(ctx context.Context, tx *db.Tx, provider string) (json.RawMessage, error)
}

// Payments reaches payment plugins (core/pluginhost.Host implements it).
type Payments interface {
	Payment(name string) (sdk.PaymentProvider, error)
}

// PromotionLine is one line as the promotions step sees it.
type PromotionLine struct {
	LineID     string
	ProductID  string
	SKUID      string
	CategoryID string
	Quantity   int64
	UnitPrice  decimal.Decimal
	Amount     decimal.Decimal // after the member-level price
}

// Adjustment is one promotion applied to the quote, as shown to the buyer.
type Adjustment struct {
	CampaignID string          `json:"campaign_id"`
	Name       string          `json:"name"`
	Plugin     string          `json:"plugin"`
	LineIDs    []string        `json:"line_ids"`
	Amount     decimal.Decimal `json:"amount"`
	Reason     string          `json:"reason"`
	// Gift: the campaign gives the line(s) LineIDs at price 0. Note says why
	// a gift was left out (out of stock, off sale); LineIDs is then empty.
	Gift bool   `json:"gift,omitempty"`
	Note string `json:"note,omitempty"`
}

// Gift is a free SKU a promotion campaign adds to the cart.
type Gift struct {
	CampaignID   string
	CampaignName string
	Plugin       string
	SKUID        string
	Quantity     int64
	Reason       string
}

// PromotionResult is the promotions step: what applied, the discount on
// each line (by line id) after stacking, and the gifts.
type PromotionResult struct {
	Adjustments []Adjustment
	PerLine     map[string]decimal.Decimal
	Gifts       []Gift
}

// Promotions is the promotions step (core/promotions implements it). Apply
// fails with errs.PluginUnavailable naming the plugin when one fails.
type Promotions interface {
	Apply(ctx context.Context, tx *db.Tx, memberID identity.MemberID, levelID string, lines []PromotionLine, now time.Time) (PromotionResult, error)
	RecordUsage(ctx context.Context, tx *db.Tx, memberID identity.MemberID, orderID string, campaignIDs []string) error
}

// LedgerLine is one side of a journal entry.
type LedgerLine struct {
	Account string
	Party   string
	Debit   decimal.Decimal
	Credit  decimal.Decimal
}

// LedgerEntry is one balanced journal entry.
type LedgerEntry struct {
	Kind     string
	Ref      string // unique per Kind: posting twice is a no-op
	OrderID  string
	MemberID string
	Memo     string
	Lines    []LedgerLine
}

// Ledger accounts orders posts to (core/finance's names).
const (
	AcctCustomerClearing = "customer_payments_clearing"
	AcctSalesRevenue     = "sales_revenue"
	AcctShippingRevenue  = "shipping_revenue"
	AcctRefunds          = "refunds"
	AcctPaymentSuspense  = "payment_suspense"
)

// Ledger posts journal entries in the caller's transaction (core/finance).
type Ledger interface {
	Post(ctx context.Context, tx *db.Tx, e LedgerEntry) (id string, created bool, err error)
}

// Distribution is what orders tells core/distribution.
type Distribution interface {
	BindForOrder(ctx context.Context, tx *db.Tx, buyerID identity.MemberID, code string) (referrerID string, err error)
	EnqueueCommission(ctx context.Context, tx *db.Tx, orderID string) error
	OnLineRefunded(ctx context.Context, tx *db.Tx, orderID, lineID string, refunded, linePaid decimal.Decimal, refundID string) error
	OnLineAfterSalesClosed(ctx context.Context, tx *db.Tx, orderID, lineID string, closedAt time.Time) error
}

// Service is the orders capability.
type Service struct {
	DB        *db.DB
	Log       *slog.Logger
	Catalog   *catalog.Service
	Members   *members.Service
	Marketing *marketing.Service
	Tenants   *tenants.Service

	// Plugins, Payments: the shop's enabled plugins and the host that runs
	// them. Promotions, Ledger, Distribution: the capabilities orders calls
	// in its transactions; each is skipped while not wired (the capability
	// is absent from the deployment, so it has nothing to say).
	Plugins      PluginConfigs
	Payments     Payments
	Promotions   Promotions
	Ledger       Ledger
	Distribution Distribution

	// Now is the clock (tests move it); time.Now when nil.
	Now func() time.Time
	// HTTP delivers the sandbox pay page's webhook to this server.
	HTTPClient HTTPDoer

	// refundHook, when set, makes every refund call to a provider (tests
	// wrap the real plugin with it to hold a call or fail it transiently).
	refundHook atomic.Pointer[RefundCall]

	settingsOnce  sync.Once
	settingsCache *db.Cache[settingsRow]
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func tid(ctx context.Context) tenancy.TenantID { return tenancy.ID(ctx) }

// minor is the number of decimals of the shop's currency.
func minor(ctx context.Context) int32 {
	t, _ := tenancy.From(ctx)
	if n, ok := tenants.Currencies[t.Currency]; ok {
		return int32(n)
	}
	return 2
}

func currency(ctx context.Context) string {
	t, _ := tenancy.From(ctx)
	if t.Currency == "" {
		return "CNY"
	}
	return t.Currency
}

func location(ctx context.Context) *time.Location {
	t, _ := tenancy.From(ctx)
	if loc, err := time.LoadLocation(t.Timezone); err == nil && t.Timezone != "" {
		return loc
	}
	return time.UTC
}

// actor names who acts, for order events.
func actor(ctx context.Context) (kind, id string) {
	a, ok := identity.ActorFrom(ctx)
	switch {
	case !ok:
		return "system", ""
	case a.Kind == "member":
		return "member", string(a.MemberID)
	default:
		return "staff", string(a.UserID)
	}
}
