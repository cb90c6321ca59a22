package sdk

import (
	"context"
	"encoding/json"
	"time"

	"github.com/shopspring/decimal"
)

// PluginContext travels as field 1 of every request. Since protocol 1.
type PluginContext struct {
	TenantID string
	// ConfigJSON is the tenant's config for this plugin, already validated
	// against the manifest's schema and the plugin's ValidateConfig.
	ConfigJSON json.RawMessage
	// Currency is the tenant's ISO 4217 code, e.g. "CNY".
	Currency string
	// MinorUnits is the number of decimal places money is rounded to (2 for CNY).
	MinorUnits int32
	// Now is the host's clock, to the millisecond. Use it, never time.Now:
	// the same request must always give the same answer.
	Now time.Time
	// Settings carries the tenant settings a call needs.
	Settings map[string]string
}

// Round rounds money half-even to the tenant currency's minor unit.
func (c PluginContext) Round(d decimal.Decimal) decimal.Decimal {
	return d.RoundBank(c.MinorUnits)
}

// ConfigValidator is part of every kind. ValidateConfig checks a tenant's
// config beyond what the manifest's JSON Schema says (the host has already
// applied the schema) and returns [InvalidConfig] naming each wrong field,
// or nil. Since protocol 1.
type ConfigValidator interface {
	ValidateConfig(ctx context.Context, config json.RawMessage) error
}

// Kind names what a plugin does; it is the "kind" of a manifest. Since protocol 1.
type Kind string

const (
	KindCommission Kind = "commission"
	KindPromotion  Kind = "promotion"
	KindPayment    Kind = "payment"
)

// ProtocolVersion is the wire protocol this SDK speaks.
const ProtocolVersion = 1
