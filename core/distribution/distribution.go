// Package distribution is the distributor network and its money
// (DESIGN.md §6): the shop's distribution settings, applications and
// distributors with grades, referral codes and bindings, commission computed
// by the shop's commission plugin (frozen → available → withdrawn), refunds
// that void or reverse it, and withdrawals with review and payout. Every
// movement of money is a journal entry posted through core/finance in the
// transaction of the change.
package distribution

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/finance"
	"github.com/banyanmall/banyan/core/members"
	"github.com/banyanmall/banyan/core/pluginhost"
	"github.com/banyanmall/banyan/core/tenancy"
)

// OrderLine is one paid order line as the orders capability reports it.
type OrderLine struct {
	LineID, ProductID, SKUID, CategoryID string
	Quantity                             int
	UnitPrice                            decimal.Decimal
	// PaidAmount is what the buyer paid for the line after every discount,
	// excluding shipping: the commission base (the only base Banyan offers).
	PaidAmount    decimal.Decimal
	Distribution  string // default | override | none
	OverrideRates []decimal.Decimal
}

// PaidOrder is a paid order as the orders capability reports it.
type PaidOrder struct {
	OrderID, OrderNo, BuyerID string
	// ReferrerID is the referrer bound to the order (BindForOrder's answer);
	// "" means the buyer's current referrer.
	ReferrerID string
	PaidAt     time.Time
	Lines      []OrderLine
}

// OrderSource is what distribution needs from the orders capability, which
// implements it (core/app wires it).
type OrderSource interface {
	// PaidOrder returns a paid order in tx.
	PaidOrder(ctx context.Context, tx *db.Tx, orderID string) (PaidOrder, error)
	// PaidOrdersBetween returns the orders paid in [from, to), for the
	// commission simulator.
	PaidOrdersBetween(ctx context.Context, tx *db.Tx, from, to time.Time) ([]PaidOrder, error)
}

// Service is the distribution capability.
type Service struct {
	DB      *db.DB
	Finance *finance.Service
	Members *members.Service
	Plugins *pluginhost.Host
	Orders  OrderSource
	// PluginConfig returns the shop's config for a commission plugin (from
	// plugin enablement); nil or a nil answer means DefaultPluginConfig.
	PluginConfig func(ctx context.Context, tx *db.Tx, plugin string) (json.RawMessage, error)
	Log          *slog.Logger
	// Now is the clock (tests move it); time.Now when nil.
	Now func() time.Time

	settingsOnce  sync.Once
	settingsCache *db.Cache[Settings]
}

// DefaultPluginConfig is the commission-tiered config used when the shop
// has not configured its commission plugin: 10% at level 1, 5% at level 2
// (grade rates set by the merchant win over these).
var DefaultPluginConfig = json.RawMessage(`{"rates":["0.10","0.05"]}`)

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func tid(ctx context.Context) tenancy.TenantID { return tenancy.ID(ctx) }

func mustUUID(field, id string) error {
	if !tenancy.ValidUUID(id) {
		return errs.E(errs.NotFound, "%s not found", field)
	}
	return nil
}

// Settings are a shop's distribution rules. There is deliberately no field
// for a reward per recruited member or an entry fee (DESIGN.md §6): the
// API refuses unknown fields, so neither can be configured.
type Settings struct {
	// Enabled turns distribution on for the shop.
	Enabled bool `json:"enabled"`
	// Eligibility: who may become a distributor: anyone,
	// after_first_purchase, after_spending (SpendingThreshold on completed
	// orders), application (reviewed by the merchant) or designated (only
	// the merchant makes distributors).
	Eligibility       string          `json:"eligibility"`
	SpendingThreshold decimal.Decimal `json:"spending_threshold"`
	// BindingMode: when a member gets their referrer: first_visit (through
	// a link, at registration or login, or POST /shop/distributor/bind),
	// registration (only at registration), first_order (at the first
	// order).
	BindingMode string `json:"binding_mode"`
	// LockDays: no rebinding at all within this many days of a binding.
	LockDays int `json:"lock_days"`
	// RebindPolicy after the lock: permanent (never), for_days (the binding
	// lasts RebindDays, then another link may rebind) or latest_link_wins.
	RebindPolicy string `json:"rebind_policy"`
	RebindDays   int    `json:"rebind_days"`
	// Depth: commission levels, 1–3 (禁止传销条例: never more than 3).
	Depth int `json:"depth"`
	// CommissionBase is always paid_excluding_shipping: what the buyer paid
	// for the line after every discount, without shipping.
	CommissionBase string `json:"commission_base"`
	// SelfPurchase: a distributor earns level-1 commission on their own orders.
	SelfPurchase bool `json:"self_purchase"`
	// FreezeDays: extra days commission on a line stays frozen after the
	// order's after-sales window (orders' after_sales_days after completion)
	// has closed. 0 settles as soon as no refund is possible any more.
	FreezeDays int `json:"freeze_days"`
	// SettlementCycle: daily (settle as windows close) or weekly (settle,
	// once a week, windows closed before the week began, Monday 00:00 in the
	// shop's time zone).
	SettlementCycle string `json:"settlement_cycle"`
	// Withdrawals: minimum amount, fee (fixed + percent of the amount),
	// daily limit per distributor (0 = none), channels offered.
	WithdrawalMin        decimal.Decimal `json:"withdrawal_min"`
	WithdrawalFeeFixed   decimal.Decimal `json:"withdrawal_fee_fixed"`
	WithdrawalFeePercent decimal.Decimal `json:"withdrawal_fee_percent"`
	WithdrawalDailyLimit decimal.Decimal `json:"withdrawal_daily_limit"`
	Channels             []string        `json:"channels"`
	// AutoApproveBelow: requests up to this amount are approved without a
	// reviewer (0 = every request is reviewed).
	AutoApproveBelow decimal.Decimal `json:"auto_approve_below"`
	// SecondApproverAbove: requests above this amount need a second,
	// different staff approver (0 = never).
	SecondApproverAbove decimal.Decimal `json:"second_approver_above"`
	// PaymentPlugin pays withdrawals out (its Payout); "" = marked paid by hand.
	PaymentPlugin string `json:"payment_plugin"`
	// CommissionPlugin computes commission; its config lives in plugin
	// enablement (core/plugins).
	CommissionPlugin string `json:"commission_plugin"`
}

// DefaultSettings apply until the shop saves its own.
var DefaultSettings = Settings{
	Enabled: true, Eligibility: "application", SpendingThreshold: decimal.Zero,
	BindingMode: "first_visit", LockDays: 30, RebindPolicy: "permanent", Depth: 2,
	CommissionBase: "paid_excluding_shipping", FreezeDays: 0, SettlementCycle: "daily",
	WithdrawalMin: decimal.NewFromInt(10), WithdrawalFeeFixed: decimal.Zero, WithdrawalFeePercent: decimal.Zero,
	WithdrawalDailyLimit: decimal.NewFromInt(20000), Channels: []string{"bank", "alipay", "wechat"},
	AutoApproveBelow: decimal.Zero, SecondApproverAbove: decimal.NewFromInt(5000), CommissionPlugin: "commission-tiered",
}

// MaxDepth is the legal limit on commission levels.
const MaxDepth = 3

func oneOf(v string, opts ...string) bool {
	for _, o := range opts {
		if v == o {
			return true
		}
	}
	return false
}

func money(v *errs.Validator, field string, d decimal.Decimal, max int64) {
	v.Check(!d.IsNegative() && d.LessThanOrEqual(decimal.NewFromInt(max)), field, "out_of_range", fmt.Sprintf("from 0 to %d", max))
	v.Check(d.Equal(d.Round(2)), field, "precision", "at most 2 decimal places")
}

// Validate checks every field and reports all that are wrong.
func (st Settings) Validate() error {
	v := errs.Validator{}
	v.Check(oneOf(st.Eligibility, "anyone", "after_first_purchase", "after_spending", "application", "designated"), "eligibility", "invalid",
		"anyone, after_first_purchase, after_spending, application or designated")
	money(&v, "spending_threshold", st.SpendingThreshold, 100_000_000)
	v.Check(st.Eligibility != "after_spending" || st.SpendingThreshold.IsPositive(), "spending_threshold", "required", "after_spending needs a positive threshold")
	v.Check(oneOf(st.BindingMode, "first_visit", "first_order", "registration"), "binding_mode", "invalid", "first_visit, first_order or registration")
	v.Check(st.LockDays >= 0 && st.LockDays <= 3650, "lock_days", "out_of_range", "from 0 to 3650 days")
	v.Check(oneOf(st.RebindPolicy, "permanent", "for_days", "latest_link_wins"), "rebind_policy", "invalid", "permanent, for_days or latest_link_wins")
	v.Check(st.RebindPolicy != "for_days" || (st.RebindDays >= 1 && st.RebindDays <= 3650), "rebind_days", "out_of_range", "for_days needs 1 to 3650 days")
	switch {
	case st.Depth > MaxDepth:
		v.Add("depth", "depth_exceeds_legal_limit", "at most 3 commission levels: 禁止传销条例 (Regulations on Prohibition of Pyramid Selling) Art. 7 forbids multi-level schemes, and schemes of 3 or more levels with 30 or more people are prosecuted as criminal; Banyan allows 1 to 3 levels (default 2)")
	case st.Depth < 1:
		v.Add("depth", "out_of_range", "depth is 1, 2 or 3")
	}
	v.Check(st.CommissionBase == "paid_excluding_shipping", "commission_base", "invalid",
		"commission is paid only on real sales: the line's paid amount excluding shipping (paid_excluding_shipping)")
	v.Check(st.FreezeDays >= 0 && st.FreezeDays <= 90, "freeze_days", "out_of_range", "from 0 to 90 days")
	v.Check(oneOf(st.SettlementCycle, "daily", "weekly"), "settlement_cycle", "invalid", "daily or weekly")
	money(&v, "withdrawal_min", st.WithdrawalMin, 1_000_000)
	money(&v, "withdrawal_fee_fixed", st.WithdrawalFeeFixed, 1_000)
	v.Check(!st.WithdrawalFeePercent.IsNegative() && st.WithdrawalFeePercent.LessThanOrEqual(decimal.NewFromInt(20)) &&
		st.WithdrawalFeePercent.Equal(st.WithdrawalFeePercent.Round(2)), "withdrawal_fee_percent", "out_of_range", "a percent from 0 to 20, 2 decimal places")
	money(&v, "withdrawal_daily_limit", st.WithdrawalDailyLimit, 100_000_000)
	v.Check(st.WithdrawalFeeFixed.LessThan(st.WithdrawalMin) || st.WithdrawalMin.IsZero() && st.WithdrawalFeeFixed.IsZero(), "withdrawal_fee_fixed", "invalid",
		"the fixed fee must be less than the minimum withdrawal")
	v.Check(len(st.Channels) >= 1 && len(st.Channels) <= 4, "channels", "required", "offer 1 to 4 channels")
	for _, c := range st.Channels {
		v.Check(oneOf(c, "bank", "alipay", "wechat", "sandbox"), "channels", "invalid", "bank, alipay, wechat or sandbox")
	}
	money(&v, "auto_approve_below", st.AutoApproveBelow, 100_000_000)
	money(&v, "second_approver_above", st.SecondApproverAbove, 100_000_000)
	v.Check(len(st.PaymentPlugin) <= 64, "payment_plugin", "invalid", "a plugin name")
	v.Check(st.CommissionPlugin != "" && len(st.CommissionPlugin) <= 64, "commission_plugin", "required", "the commission plugin's name, e.g. commission-tiered")
	return v.Err()
}

// Settings returns the shop's settings (defaults until saved).
func (s *Service) Settings(ctx context.Context) (Settings, error) {
	var st Settings
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		var err error
		st, err = s.settings(ctx, tx)
		return err
	})
	return st, err
}

// settingsTopic is the change topic of distribution_settings (migration
// 00081).
const settingsTopic = "distribution_settings"

// settings answers the shop's settings (defaults until saved). Checkout
// reads them twice (binding, referrer), the commission job once more: they
// are cached per shop on the replica (core/db Cache) and dropped on every
// replica when a change commits; a row tx itself changed is never cached.
func (s *Service) settings(ctx context.Context, tx *db.Tx) (Settings, error) {
	s.settingsOnce.Do(func() {
		s.settingsCache = db.NewCache[Settings](s.DB.Changes, settingsTopic, 10*time.Minute, 10_000)
	})
	st, err := s.settingsCache.Get(string(tid(ctx)), "", func() (Settings, db.Dirty, error) {
		var row struct {
			Settings string `db:"settings"`
			Dirty    bool   `db:"dirty"`
		}
		err := tx.GetContext(ctx, &row, `SELECT settings::text AS settings, `+db.DirtyColumn(settingsTopic)+` AS dirty
FROM distribution_settings WHERE tenant_id = $1`, tid(ctx))
		st := DefaultSettings
		if errors.Is(err, errNoRows) {
			return st, false, nil
		}
		if err != nil {
			return Settings{}, false, fmt.Errorf("distribution settings: %w", err)
		}
		// A fresh slice: decoding into the default's would write into the
		// shared DefaultSettings.Channels array.
		st.Channels = append([]string(nil), DefaultSettings.Channels...)
		if err := json.Unmarshal([]byte(row.Settings), &st); err != nil {
			return Settings{}, false, fmt.Errorf("distribution settings: %w", err)
		}
		return st, db.Dirty(row.Dirty), nil
	})
	// A fresh slice for every caller: the cached value (and
	// DefaultSettings) must never be written through it.
	st.Channels = append([]string(nil), st.Channels...)
	return st, err
}

// UpdateSettings replaces the shop's settings after validating them.
func (s *Service) UpdateSettings(ctx context.Context, st Settings) (Settings, error) {
	if err := st.Validate(); err != nil {
		return Settings{}, err
	}
	b, _ := json.Marshal(st)
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `
INSERT INTO distribution_settings (tenant_id, settings) VALUES ($1, $2::jsonb)
ON CONFLICT (tenant_id) DO UPDATE SET settings = EXCLUDED.settings, updated_at = now()`, tid(ctx), string(b)); err != nil {
			return fmt.Errorf("distribution settings: %w", err)
		}
		return auditRecord(ctx, tx, "distribution.settings.update", "distribution_settings", string(tid(ctx)), st)
	})
	if err == nil {
		s.DB.Changes.Announce(settingsTopic + ":" + string(tid(ctx)))
	}
	return st, err
}
