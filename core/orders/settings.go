package orders

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/errs"
)

// Settings are the shop's order settings: timeouts and shipping.
type Settings struct {
	PaymentTimeoutMinutes int                        `json:"payment_timeout_minutes"`
	AutoConfirmDays       int                        `json:"auto_confirm_days"`
	AfterSalesDays        int                        `json:"after_sales_days"`
	ShippingFlat          decimal.Decimal            `json:"shipping_flat"`
	ShippingFreeOver      *decimal.Decimal           `json:"shipping_free_over"`
	ShippingRegions       map[string]decimal.Decimal `json:"shipping_regions"`
}

// SettingsPatch changes the fields sent; clear_free_over removes the threshold.
type SettingsPatch struct {
	PaymentTimeoutMinutes *int                       `json:"payment_timeout_minutes,omitempty"`
	AutoConfirmDays       *int                       `json:"auto_confirm_days,omitempty"`
	AfterSalesDays        *int                       `json:"after_sales_days,omitempty"`
	ShippingFlat          *decimal.Decimal           `json:"shipping_flat,omitempty"`
	ShippingFreeOver      *decimal.Decimal           `json:"shipping_free_over,omitempty"`
	ClearFreeOver         bool                       `json:"clear_free_over,omitempty"`
	ShippingRegions       map[string]decimal.Decimal `json:"shipping_regions,omitempty"`
}

func (r settingsRow) view() Settings {
	out := Settings{PaymentTimeoutMinutes: r.PaymentTimeout, AutoConfirmDays: r.AutoConfirmDays, AfterSalesDays: r.AfterSalesDays,
		ShippingFlat: r.ShippingFlat, ShippingFreeOver: r.ShippingFreeOver, ShippingRegions: map[string]decimal.Decimal{}}
	_ = json.Unmarshal([]byte(r.ShippingRegions), &out.ShippingRegions)
	return out
}

// Settings answers the shop's order settings.
func (s *Service) Settings(ctx context.Context) (Settings, error) {
	var out Settings
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		r, err := s.settings(ctx, tx)
		out = r.view()
		return err
	})
	if err == nil {
		s.DB.Changes.Announce(settingsTopic + ":" + string(tid(ctx)))
	}
	return out, err
}

// settingsTopic is the change topic of order_settings (migration 00081).
const settingsTopic = "order_settings"

// cachedSettings is settings for the checkout pipeline, which reads them on
// every quote and order: cached per shop on the replica (core/db Cache) and
// dropped on every replica when a change commits. The row settings creates
// on first use is read back uncommitted, so it is not cached (dirty); nor is
// any row tx changed itself. Paths that change the settings read them with
// settings, never from here.
func (s *Service) cachedSettings(ctx context.Context, tx *db.Tx) (settingsRow, error) {
	s.settingsOnce.Do(func() {
		s.settingsCache = db.NewCache[settingsRow](s.DB.Changes, settingsTopic, 10*time.Minute, 10_000)
	})
	return s.settingsCache.Get(string(tid(ctx)), "", func() (settingsRow, db.Dirty, error) {
		var r struct {
			settingsRow
			Dirty bool `db:"dirty"`
		}
		err := tx.GetContext(ctx, &r, `SELECT `+settingsCols+`, `+db.DirtyColumn(settingsTopic)+` AS dirty FROM order_settings WHERE tenant_id = $1`, tid(ctx))
		if errors.Is(err, sql.ErrNoRows) {
			row, err := s.settings(ctx, tx)
			return row, true, err
		}
		if err != nil {
			return settingsRow{}, false, fmt.Errorf("order settings: %w", err)
		}
		return r.settingsRow, db.Dirty(r.Dirty), nil
	})
}

// UpdateSettings changes the shop's order settings.
func (s *Service) UpdateSettings(ctx context.Context, p SettingsPatch) (Settings, error) {
	mu := minor(ctx)
	v := errs.Validator{}
	money := func(field string, d *decimal.Decimal) {
		v.Check(d == nil || (!d.IsNegative() && d.Equal(d.Round(mu)) && d.LessThan(decimal.NewFromInt(1e9))), field, "out_of_range",
			fmt.Sprintf("an amount of 0 or more with at most %d decimals", mu))
	}
	between := func(field string, n *int, lo, hi int) {
		v.Check(n == nil || (*n >= lo && *n <= hi), field, "out_of_range", fmt.Sprintf("%d to %d", lo, hi))
	}
	between("payment_timeout_minutes", p.PaymentTimeoutMinutes, 1, 10080)
	between("auto_confirm_days", p.AutoConfirmDays, 1, 90)
	between("after_sales_days", p.AfterSalesDays, 0, 90)
	money("shipping_flat", p.ShippingFlat)
	money("shipping_free_over", p.ShippingFreeOver)
	v.Check(len(p.ShippingRegions) <= 100, "shipping_regions", "too_many", "at most 100 regions")
	for k, d := range p.ShippingRegions {
		v.Check(k != "" && len([]rune(k)) <= 32, "shipping_regions", "invalid", "a province name (at most 32 characters)")
		money("shipping_regions."+k, &d)
	}
	if err := v.Err(); err != nil {
		return Settings{}, err
	}
	var out Settings
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		if _, err := s.settings(ctx, tx); err != nil {
			return err
		}
		var regions *string
		if p.ShippingRegions != nil {
			b, _ := json.Marshal(p.ShippingRegions)
			r := string(b)
			regions = &r
		}
		_, err := tx.ExecContext(ctx, `UPDATE order_settings SET
payment_timeout_minutes = coalesce($2, payment_timeout_minutes), auto_confirm_days = coalesce($3, auto_confirm_days),
after_sales_days = coalesce($4, after_sales_days), shipping_flat = coalesce($5, shipping_flat),
shipping_free_over = CASE WHEN $7 THEN NULL ELSE coalesce($6, shipping_free_over) END,
shipping_regions = coalesce($8::jsonb, shipping_regions), updated_at = now() WHERE tenant_id = $1`,
			tid(ctx), p.PaymentTimeoutMinutes, p.AutoConfirmDays, p.AfterSalesDays, p.ShippingFlat, p.ShippingFreeOver, p.ClearFreeOver, regions)
		if err != nil {
			return fmt.Errorf("order settings: %w", err)
		}
		r, err := s.settings(ctx, tx)
		out = r.view()
		return err
	})
	return out, err
}
