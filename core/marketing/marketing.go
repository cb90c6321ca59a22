// Package marketing holds a shop's coupons: templates the merchant defines,
// the coupons members claim or are given, and the three calls checkout makes
// (QuoteCoupon, LockCoupon, ReleaseCoupon). README.md in this folder states
// the rules.
//
// It owns the tables coupon_templates and coupons.
package marketing

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/identity"
	"github.com/banyanmall/banyan/core/tenancy"
	"github.com/banyanmall/banyan/tenants"
)

// TemplateID identifies a coupon template.
type TemplateID string

// CouponID identifies a coupon a member holds.
type CouponID string

// Kinds of coupon.
const (
	KindFixed   = "fixed"   // Amount off
	KindPercent = "percent" // Percent off, capped by MaxDiscount when set
)

// Scopes say which lines of an order a coupon applies to.
const (
	ScopeAll        = "all"
	ScopeCategories = "categories" // lines whose category is in ScopeIDs
	ScopeProducts   = "products"   // lines whose product is in ScopeIDs
)

// Coupon statuses as shown. "expired" is never stored: an unused coupon
// past its validity shows as expired.
const (
	StatusUnused  = "unused"
	StatusUsed    = "used"
	StatusExpired = "expired"
)

// Template is a coupon the merchant defines. Either kind applies only when
// the in-scope lines reach MinSpend (the threshold, 满减). Validity is a
// fixed window (ValidFrom–ValidUntil) or ValidDays after each coupon is
// claimed or issued (bounded by ValidUntil when set).
type Template struct {
	ID             TemplateID       `db:"id" json:"id"`
	Name           string           `db:"name" json:"name"`
	Description    string           `db:"description" json:"description"`
	Kind           string           `db:"kind" json:"kind"`
	Amount         decimal.Decimal  `db:"amount" json:"amount"`   // fixed: amount off
	Percent        decimal.Decimal  `db:"percent" json:"percent"` // percent: "15" = 15% off
	MaxDiscount    *decimal.Decimal `db:"max_discount" json:"max_discount"`
	MinSpend       decimal.Decimal  `db:"min_spend" json:"min_spend"`
	ValidFrom      *time.Time       `db:"valid_from" json:"valid_from"`
	ValidUntil     *time.Time       `db:"valid_until" json:"valid_until"`
	ValidDays      *int             `db:"valid_days" json:"valid_days"`
	TotalQuantity  *int             `db:"total_quantity" json:"total_quantity"` // null: unlimited
	IssuedCount    int              `db:"issued_count" json:"issued_count"`
	PerMemberLimit int              `db:"per_member_limit" json:"per_member_limit"`
	Scope          string           `db:"scope" json:"scope"`
	ScopeIDs       pq.StringArray   `db:"scope_ids" json:"scope_ids"`
	Claimable      bool             `db:"claimable" json:"claimable"` // members may claim it in the storefront
	Status         string           `db:"status" json:"status"`       // active | disabled
	CreatedAt      time.Time        `db:"created_at" json:"created_at"`
	UpdatedAt      time.Time        `db:"updated_at" json:"updated_at"`
}

// TemplateInput creates a template. Everything but Name, Kind, the value of
// the kind and a validity is optional.
type TemplateInput struct {
	Name           string           `json:"name"`
	Description    string           `json:"description"`
	Kind           string           `json:"kind"`
	Amount         *decimal.Decimal `json:"amount"`
	Percent        *decimal.Decimal `json:"percent"`
	MaxDiscount    *decimal.Decimal `json:"max_discount"`
	MinSpend       *decimal.Decimal `json:"min_spend"`
	ValidFrom      *time.Time       `json:"valid_from"`
	ValidUntil     *time.Time       `json:"valid_until"`
	ValidDays      *int             `json:"valid_days"`
	TotalQuantity  *int             `json:"total_quantity"`
	PerMemberLimit *int             `json:"per_member_limit"`
	Scope          string           `json:"scope"`
	ScopeIDs       []string         `json:"scope_ids"`
	Claimable      *bool            `json:"claimable"`
}

// maxMoney bounds amounts (numeric(18,2)).
var maxMoney = decimal.New(1, 12)

func checkMoney(v *errs.Validator, field string, d decimal.Decimal, minor int32, positive bool) {
	switch {
	case d.IsNegative() || (positive && d.IsZero()):
		if positive {
			v.Add(field, "out_of_range", "must be more than 0")
		} else {
			v.Add(field, "out_of_range", "must not be negative")
		}
	case d.GreaterThanOrEqual(maxMoney):
		v.Add(field, "out_of_range", "too large")
	case !d.Equal(d.Truncate(minor)):
		v.Add(field, "too_precise", "more decimals than the shop's currency has")
	}
}

// minorUnits is the number of decimals of the shop's currency.
func minorUnits(ctx context.Context) int32 {
	t, _ := tenancy.From(ctx)
	if n, ok := tenants.Currencies[t.Currency]; ok {
		return int32(n)
	}
	return 2
}

// validate checks the input and returns the template it describes.
func (in *TemplateInput) validate(ctx context.Context, now time.Time) (Template, error) {
	v := errs.Validator{}
	minor := minorUnits(ctx)
	t := Template{Name: strings.TrimSpace(in.Name), Description: strings.TrimSpace(in.Description), Kind: in.Kind,
		MinSpend: decimal.Zero, ValidFrom: in.ValidFrom, ValidUntil: in.ValidUntil, ValidDays: in.ValidDays,
		TotalQuantity: in.TotalQuantity, PerMemberLimit: 1, Scope: in.Scope, ScopeIDs: pq.StringArray{}, Claimable: true, Status: "active"}
	v.Check(t.Name != "" && utf8.RuneCountInString(t.Name) <= 64, "name", "invalid", "1–64 characters")
	v.Check(utf8.RuneCountInString(t.Description) <= 500, "description", "too_long", "at most 500 characters")
	switch in.Kind {
	case KindFixed:
		if in.Amount == nil {
			v.Add("amount", "required", "the amount off is required for a fixed coupon")
		} else {
			checkMoney(&v, "amount", *in.Amount, minor, true)
			t.Amount = *in.Amount
		}
		v.Check(in.Percent == nil, "percent", "not_allowed", "a fixed coupon has an amount, not a percent")
		v.Check(in.MaxDiscount == nil, "max_discount", "not_allowed", "only a percent coupon has a cap")
	case KindPercent:
		if in.Percent == nil {
			v.Add("percent", "required", "the percent off is required for a percent coupon")
		} else {
			p := *in.Percent
			v.Check(p.IsPositive() && p.LessThanOrEqual(decimal.NewFromInt(100)) && p.Equal(p.Truncate(2)), "percent", "out_of_range",
				`percent off, more than 0 and at most 100 ("15" = 15% off)`)
			t.Percent = p
		}
		v.Check(in.Amount == nil, "amount", "not_allowed", "a percent coupon has a percent, not an amount")
		if in.MaxDiscount != nil {
			checkMoney(&v, "max_discount", *in.MaxDiscount, minor, true)
			t.MaxDiscount = in.MaxDiscount
		}
	default:
		v.Add("kind", "invalid", `"fixed" (amount off) or "percent" (percent off)`)
	}
	if in.MinSpend != nil {
		checkMoney(&v, "min_spend", *in.MinSpend, minor, false)
		t.MinSpend = *in.MinSpend
	}
	if in.ValidDays != nil {
		v.Check(*in.ValidDays >= 1 && *in.ValidDays <= 3650, "valid_days", "out_of_range", "from 1 to 3650 days after the coupon is received")
	}
	switch {
	case in.ValidDays == nil && in.ValidUntil == nil:
		v.Add("valid_until", "required", "give valid_until (a fixed window) or valid_days (days after receiving)")
	case in.ValidUntil != nil && !in.ValidUntil.After(now):
		v.Add("valid_until", "in_the_past", "must be in the future")
	case in.ValidUntil != nil && in.ValidFrom != nil && !in.ValidFrom.Before(*in.ValidUntil):
		v.Add("valid_from", "after_end", "must be before valid_until")
	}
	if in.TotalQuantity != nil {
		v.Check(*in.TotalQuantity >= 0 && *in.TotalQuantity <= 100000000, "total_quantity", "out_of_range", "from 0 to 100,000,000 (leave out for unlimited)")
	}
	if in.PerMemberLimit != nil {
		v.Check(*in.PerMemberLimit >= 1 && *in.PerMemberLimit <= 100, "per_member_limit", "out_of_range", "from 1 to 100 per member")
		t.PerMemberLimit = *in.PerMemberLimit
	}
	if t.Scope == "" {
		t.Scope = ScopeAll
	}
	switch t.Scope {
	case ScopeAll:
		v.Check(len(in.ScopeIDs) == 0, "scope_ids", "not_allowed", `scope "all" takes no ids`)
	case ScopeCategories, ScopeProducts:
		ok := len(in.ScopeIDs) >= 1 && len(in.ScopeIDs) <= 500
		for _, id := range in.ScopeIDs {
			ok = ok && tenancy.ValidUUID(id)
		}
		v.Check(ok, "scope_ids", "invalid", "1–500 category or product ids")
		t.ScopeIDs = in.ScopeIDs
	default:
		v.Add("scope", "invalid", `"all", "categories" or "products"`)
	}
	if in.Claimable != nil {
		t.Claimable = *in.Claimable
	}
	return t, v.Err()
}

// TemplatePatch changes what may change once coupons are out: the name and
// description, the quantity (never below what is issued), the per-member
// limit (for claims from now on), whether members may claim it, and the
// status ("disabled" stops claims and issues; coupons already held stay
// valid).
type TemplatePatch struct {
	Name           *string `json:"name"`
	Description    *string `json:"description"`
	TotalQuantity  *int    `json:"total_quantity"`
	Unlimited      bool    `json:"unlimited"` // true removes the total quantity
	PerMemberLimit *int    `json:"per_member_limit"`
	Claimable      *bool   `json:"claimable"`
	Status         *string `json:"status"`
}

func (p *TemplatePatch) validate() error {
	v := errs.Validator{}
	if p.Name != nil {
		*p.Name = strings.TrimSpace(*p.Name)
		v.Check(*p.Name != "" && utf8.RuneCountInString(*p.Name) <= 64, "name", "invalid", "1–64 characters")
	}
	if p.Description != nil {
		*p.Description = strings.TrimSpace(*p.Description)
		v.Check(utf8.RuneCountInString(*p.Description) <= 500, "description", "too_long", "at most 500 characters")
	}
	if p.TotalQuantity != nil {
		v.Check(!p.Unlimited, "unlimited", "not_allowed", "send total_quantity or unlimited, not both")
		v.Check(*p.TotalQuantity >= 0 && *p.TotalQuantity <= 100000000, "total_quantity", "out_of_range", "from 0 to 100,000,000")
	}
	if p.PerMemberLimit != nil {
		v.Check(*p.PerMemberLimit >= 1 && *p.PerMemberLimit <= 100, "per_member_limit", "out_of_range", "from 1 to 100 per member")
	}
	if p.Status != nil {
		v.Check(*p.Status == "active" || *p.Status == "disabled", "status", "invalid", `"active" or "disabled"`)
	}
	return v.Err()
}

// Coupon is one coupon a member holds, with its template's terms.
type Coupon struct {
	ID          CouponID          `db:"id" json:"id"`
	TemplateID  TemplateID        `db:"template_id" json:"template_id"`
	MemberID    identity.MemberID `db:"member_id" json:"member_id"`
	Status      string            `db:"status" json:"status"` // unused | used | expired
	Source      string            `db:"source" json:"source"` // claim | issue
	ValidFrom   time.Time         `db:"valid_from" json:"valid_from"`
	ValidUntil  time.Time         `db:"valid_until" json:"valid_until"`
	OrderID     *string           `db:"order_id" json:"order_id"`
	UsedAt      *time.Time        `db:"used_at" json:"used_at"`
	CreatedAt   time.Time         `db:"created_at" json:"created_at"`
	Name        string            `db:"name" json:"name"`
	Kind        string            `db:"kind" json:"kind"`
	Amount      decimal.Decimal   `db:"amount" json:"amount"`
	Percent     decimal.Decimal   `db:"percent" json:"percent"`
	MaxDiscount *decimal.Decimal  `db:"max_discount" json:"max_discount"`
	MinSpend    decimal.Decimal   `db:"min_spend" json:"min_spend"`
	Scope       string            `db:"scope" json:"scope"`
	ScopeIDs    pq.StringArray    `db:"scope_ids" json:"scope_ids"`
}

// Line is one line of an order as the coupon sees it.
type Line struct {
	ProductID  string          `json:"product_id"`
	CategoryID string          `json:"category_id"`
	Amount     decimal.Decimal `json:"amount"` // the line's amount after the level price and promotions
}

// Issue targets: exactly one of MemberIDs (at most 1000), LevelID or TagID.
type IssueInput struct {
	MemberIDs []string `json:"member_ids"`
	LevelID   string   `json:"level_id"`
	TagID     string   `json:"tag_id"`
}

// IssueResult says what an issue did.
type IssueResult struct {
	Targeted int `db:"targeted" json:"targeted"` // active members in the audience
	Issued   int `db:"issued" json:"issued"`
	// SkippedLimit members already held the per-member limit;
	// SkippedQuantity members got none because the quantity ran out.
	SkippedLimit    int `db:"skipped_limit" json:"skipped_limit"`
	SkippedQuantity int `db:"skipped_quantity" json:"skipped_quantity"`
}
