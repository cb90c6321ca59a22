// Package promotions is the promotions engine: the merchant's campaigns,
// each run by a promotion plugin, and the promotion step of the quote
// pipeline (Apply), which calls each enabled promotion plugin once per quote
// and resolves stacking across them. README.md in this folder states the
// rules.
//
// It owns the tables promotion_campaigns, promotion_usages and
// promotion_use_counts.
package promotions

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/pluginhost"
	"github.com/banyanmall/banyan/core/plugins"
	"github.com/banyanmall/banyan/core/tenancy"
	"github.com/banyanmall/banyan/sdk"
	"github.com/banyanmall/banyan/tenants"
)

// CampaignID identifies a campaign.
type CampaignID string

// Campaign statuses. Only active campaigns apply, inside their window.
const (
	StatusDraft  = "draft"
	StatusActive = "active"
	StatusPaused = "paused"
	StatusEnded  = "ended" // final
)

// Service is the promotions service.
type Service struct {
	DB      *db.DB
	Host    Rules
	Plugins *plugins.Service
}

// Rules is what the service needs of the plugin host (*pluginhost.Host);
// an interface so that a benchmark can time the plugin calls alone.
type Rules interface {
	Promotion(name string) (sdk.PromotionRule, error)
	ValidateCampaign(name string, config json.RawMessage) ([]pluginhost.FieldError, error)
}

// Campaign is one promotion the merchant runs with a promotion plugin.
type Campaign struct {
	ID            CampaignID      `db:"id" json:"id"`
	Name          string          `db:"name" json:"name"`
	Description   string          `db:"description" json:"description"`
	Plugin        string          `db:"plugin" json:"plugin"`
	Config        json.RawMessage `db:"config" json:"config"`
	StartsAt      *time.Time      `db:"starts_at" json:"starts_at"`
	EndsAt        *time.Time      `db:"ends_at" json:"ends_at"`
	Priority      int             `db:"priority" json:"priority"`
	StackingGroup string          `db:"stacking_group" json:"stacking_group"`
	Exclusive     bool            `db:"exclusive" json:"exclusive"`
	UsageLimit    int64           `db:"usage_limit" json:"usage_limit"` // 0 = unlimited
	UsedCount     int64           `db:"used_count" json:"used_count"`
	Status        string          `db:"status" json:"status"`
	CreatedAt     time.Time       `db:"created_at" json:"created_at"`
	UpdatedAt     time.Time       `db:"updated_at" json:"updated_at"`
}

// CampaignInput creates a campaign. Status is draft (default) or active.
type CampaignInput struct {
	Name          string          `json:"name"`
	Description   string          `json:"description"`
	Plugin        string          `json:"plugin"`
	Config        json.RawMessage `json:"config"`
	StartsAt      *time.Time      `json:"starts_at"`
	EndsAt        *time.Time      `json:"ends_at"`
	Priority      int             `json:"priority"`
	StackingGroup string          `json:"stacking_group"`
	Exclusive     bool            `json:"exclusive"`
	UsageLimit    int64           `json:"usage_limit"`
	Status        string          `json:"status"`
}

// CampaignPatch changes a campaign; absent fields stay. The plugin cannot
// change (its config would mean something else).
type CampaignPatch struct {
	Name          *string         `json:"name"`
	Description   *string         `json:"description"`
	Config        json.RawMessage `json:"config"`
	StartsAt      *time.Time      `json:"starts_at"`
	EndsAt        *time.Time      `json:"ends_at"`
	Priority      *int            `json:"priority"`
	StackingGroup *string         `json:"stacking_group"`
	Exclusive     *bool           `json:"exclusive"`
	UsageLimit    *int64          `json:"usage_limit"`
	Status        *string         `json:"status"`
}

var groupRe = regexp.MustCompile(`^[a-z0-9_-]{0,32}$`)

// validate checks c as it would be stored: fields, the plugin enabled for
// the shop, the config against the plugin's campaign schema.
func (s *Service) validate(ctx context.Context, tx *db.Tx, c *Campaign, now time.Time, windowChanged bool) error {
	v := errs.Validator{}
	c.Name, c.Description = strings.TrimSpace(c.Name), strings.TrimSpace(c.Description)
	v.Check(c.Name != "" && utf8.RuneCountInString(c.Name) <= 64, "name", "invalid", "1–64 characters")
	v.Check(utf8.RuneCountInString(c.Description) <= 500, "description", "too_long", "at most 500 characters")
	v.Check(c.Priority >= 0 && c.Priority <= plugins.MaxPriority, "priority", "out_of_range", fmt.Sprintf("from 0 to %d (higher applies first)", plugins.MaxPriority))
	v.Check(groupRe.MatchString(c.StackingGroup), "stacking_group", "invalid", "at most 32 of a-z, 0-9, '-' and '_' (empty: combines with every group)")
	v.Check(c.UsageLimit >= 0 && c.UsageLimit <= 1_000_000_000, "usage_limit", "out_of_range", "from 0 (unlimited) to 1,000,000,000")
	v.Check(c.UsageLimit == 0 || c.UsageLimit >= c.UsedCount, "usage_limit", "below_used", fmt.Sprintf("already used %d times", c.UsedCount))
	v.Check(slices.Contains([]string{StatusDraft, StatusActive, StatusPaused, StatusEnded}, c.Status), "status", "invalid", "draft, active, paused or ended")
	if c.StartsAt != nil && c.EndsAt != nil && !c.StartsAt.Before(*c.EndsAt) {
		v.Add("ends_at", "before_start", "must be after starts_at")
	} else if windowChanged && c.EndsAt != nil && !c.EndsAt.After(now) {
		v.Add("ends_at", "in_the_past", "must be in the future")
	}
	if len(c.Config) == 0 || string(c.Config) == "null" {
		c.Config = json.RawMessage(`{}`)
	}
	enabled, err := s.Plugins.Enabled(ctx, tx, sdk.KindPromotion)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(enabled, func(e plugins.Enabled) bool { return e.Name == c.Plugin }) {
		v.Add("plugin", "not_enabled", "enable this promotion plugin for the shop first (Plugins)")
	} else {
		fields, err := s.Host.ValidateCampaign(c.Plugin, c.Config)
		if err != nil {
			return plugins.Unavailable(c.Plugin, err)
		}
		for _, f := range fields {
			v.Add(plugins.FieldName("config", f.Path), "invalid", f.Message)
		}
	}
	return v.Err()
}

// minorUnits is the number of decimals of the shop's currency.
func minorUnits(ctx context.Context) int32 {
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
