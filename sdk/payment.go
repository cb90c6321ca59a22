package sdk

import (
	"context"

	"github.com/shopspring/decimal"
)

// PaymentProvider takes payments, verifies the provider's webhooks, refunds
// and pays distributors out. It keeps no state of its own: the host records
// payments, and the provider's answers carry its references. Since protocol 1.
type PaymentProvider interface {
	ConfigValidator
	// CreatePayment starts paying an order. Since protocol 1.
	CreatePayment(ctx context.Context, req PaymentRequest) (PaymentIntent, error)
	// VerifyWebhook authenticates a webhook the host received and says what
	// happened. A bad signature is [ErrBadSignature], a timestamp out of the
	// window [ErrStaleWebhook]. Since protocol 1.
	VerifyWebhook(ctx context.Context, req WebhookRequest) (WebhookEvent, error)
	// Refund returns money of a payment, all or part. Since protocol 1.
	Refund(ctx context.Context, req RefundRequest) (RefundResult, error)
	// Payout sends a distributor's withdrawal. Since protocol 1.
	Payout(ctx context.Context, req PayoutRequest) (PayoutResult, error)
}

// SandboxSimulator is an optional capability of a [PaymentProvider]: it signs
// the webhook the provider would send when a buyer pays (or fails to). The
// host's development pay page calls it and POSTs the result to its own
// webhook endpoint. A provider without it answers [ErrUnimplemented]. Since protocol 1.
type SandboxSimulator interface {
	SimulatePayment(ctx context.Context, req SimulateRequest) (SignedWebhook, error)
}

// Status of a payment, refund or payout. Since protocol 1.
type Status string

const (
	StatusPending   Status = "pending"
	StatusSucceeded Status = "succeeded"
	StatusFailed    Status = "failed"
)

// EventType of a verified webhook. Since protocol 1.
type EventType string

const (
	EventPaymentSucceeded EventType = "payment.succeeded"
	EventPaymentFailed    EventType = "payment.failed"
	EventRefundSucceeded  EventType = "refund.succeeded"
	EventRefundFailed     EventType = "refund.failed"
	EventPayoutSucceeded  EventType = "payout.succeeded"
	EventPayoutFailed     EventType = "payout.failed"
)

// PaymentRequest asks to pay one order. Since protocol 1.
type PaymentRequest struct {
	Context     PluginContext
	PaymentID   string
	OrderNo     string
	Amount      decimal.Decimal
	Currency    string
	Description string
	// ReturnURL is where the buyer lands after paying.
	ReturnURL string
	// NotifyURL is the host's webhook endpoint for this provider and tenant.
	NotifyURL string
}

// PaymentIntent is how the buyer pays. Since protocol 1.
type PaymentIntent struct {
	ProviderRef string
	PayURL      string
	QRPayload   string
	Status      Status
	// Instructions, for offline methods, tell the buyer what to do.
	Instructions string
}

// WebhookRequest is a webhook as the host received it. Header names are
// as sent; match them case-insensitively. Since protocol 1.
type WebhookRequest struct {
	Context PluginContext
	Headers map[string]string
	Body    []byte
}

// WebhookEvent is a verified webhook. EventID is unique per provider event:
// the host uses it to apply each event once. Since protocol 1.
type WebhookEvent struct {
	EventID     string
	Type        EventType
	PaymentID   string
	ProviderRef string
	Amount      decimal.Decimal
	Currency    string
	RefundID    string
	PayoutID    string
}

// RefundRequest returns Amount of a payment. Since protocol 1.
type RefundRequest struct {
	Context     PluginContext
	PaymentID   string
	ProviderRef string
	RefundID    string
	Amount      decimal.Decimal
	Currency    string
	Reason      string
}

// RefundResult: StatusPending means the outcome arrives later by webhook or
// by hand. Since protocol 1.
type RefundResult struct {
	Status      Status
	ProviderRef string
	Message     string
}

// PayoutAccount is where a payout goes. Since protocol 1.
type PayoutAccount struct {
	// Channel is e.g. "alipay", "wechat", "bank".
	Channel string
	Account string
	Name    string
}

// PayoutRequest pays a distributor's withdrawal. Since protocol 1.
type PayoutRequest struct {
	Context  PluginContext
	PayoutID string
	MemberID string
	Amount   decimal.Decimal
	Currency string
	Account  PayoutAccount
}

// PayoutResult: StatusPending means the outcome arrives later. Since protocol 1.
type PayoutResult struct {
	Status      Status
	ProviderRef string
	Message     string
}

// SimulateRequest asks a sandbox to act as the buyer. Since protocol 1.
type SimulateRequest struct {
	Context     PluginContext
	PaymentID   string
	ProviderRef string
	Amount      decimal.Decimal
	Currency    string
	// Approve: true pays, false fails the payment.
	Approve bool
}

// SignedWebhook is a webhook exactly as the provider would send it. Since protocol 1.
type SignedWebhook struct {
	Headers map[string]string
	Body    []byte
}
