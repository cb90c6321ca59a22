// Package tenants is the tenant lifecycle: signup, resolution by host or
// header, branding and settings, plans and quotas, staff membership, and the
// platform operator's functions (list, suspend, resume, change plan).
//
// It owns the tables tenants, plans, tenant_staff and platform_audit_log.
package tenants

import (
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/identity"
	"github.com/banyanmall/banyan/core/tenancy"
)

// Status of a tenant.
const (
	StatusActive    = "active"
	StatusSuspended = "suspended"
)

// Roles a staff user can hold in a tenant.
var Roles = []string{"owner", "admin", "operations", "finance", "support"}

// Tenant is a shop.
type Tenant struct {
	ID              tenancy.TenantID `db:"id" json:"id"`
	Slug            string           `db:"slug" json:"slug"`
	Name            string           `db:"name" json:"name"`
	Status          string           `db:"status" json:"status"`
	SuspendedReason string           `db:"suspended_reason" json:"suspended_reason,omitempty"`
	PlanID          string           `db:"plan_id" json:"-"`
	LogoURL         string           `db:"logo_url" json:"logo_url"`
	PrimaryColor    string           `db:"primary_color" json:"primary_color"`
	CustomDomain    *string          `db:"custom_domain" json:"custom_domain"`
	Currency        string           `db:"currency" json:"currency"`
	Timezone        string           `db:"timezone" json:"timezone"`
	// Banners are the storefront home's banners, in display order.
	Banners   Banners   `db:"banners" json:"banners"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
}

// Context returns the request-scoped view of t.
func (t Tenant) Context() tenancy.Tenant {
	return tenancy.Tenant{ID: t.ID, Slug: t.Slug, Name: t.Name, Status: t.Status, Currency: t.Currency, Timezone: t.Timezone}
}

// Plan is a subscription plan with quotas.
type Plan struct {
	ID          string    `db:"id" json:"id"`
	Code        string    `db:"code" json:"code"`
	Name        string    `db:"name" json:"name"`
	MaxStaff    int       `db:"max_staff" json:"max_staff"`
	MaxProducts int       `db:"max_products" json:"max_products"`
	MaxPlugins  int       `db:"max_plugins" json:"max_plugins"`
	CreatedAt   time.Time `db:"created_at" json:"created_at"`
}

// Validate checks a plan's fields.
func (p Plan) Validate() error {
	v := errs.Validator{}
	v.Check(regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{1,31}$`).MatchString(p.Code), "code", "invalid", "2–32 of a-z, 0-9, '-' and '_'")
	v.Check(p.Name != "" && utf8.RuneCountInString(p.Name) <= 64, "name", "invalid", "name is required (at most 64 characters)")
	v.Check(p.MaxStaff >= 1, "max_staff", "out_of_range", "at least 1")
	v.Check(p.MaxProducts >= 0, "max_products", "out_of_range", "must not be negative")
	v.Check(p.MaxPlugins >= 0, "max_plugins", "out_of_range", "must not be negative")
	return v.Err()
}

// Usage counts what a tenant uses, for the platform console.
type Usage struct {
	Staff    int64 `db:"staff" json:"staff"`
	Members  int64 `db:"members" json:"members"`
	Products int64 `db:"products" json:"products"`
}

// PlanRef is the short form of a plan inside a tenant listing.
type PlanRef struct {
	ID   string `db:"id" json:"id"`
	Code string `db:"code" json:"code"`
	Name string `db:"name" json:"name"`
}

// Summary is a tenant as the platform console lists it.
type Summary struct {
	Tenant
	Plan  PlanRef `json:"plan"`
	Usage Usage   `json:"usage"`
}

// StaffMember is a user's membership in the current tenant.
type StaffMember struct {
	UserID    identity.UserID `db:"user_id" json:"user_id"`
	Email     string          `json:"email"`
	Name      string          `json:"name"`
	Role      string          `db:"role" json:"role"`
	Status    string          `json:"status"` // active | invited
	CreatedAt time.Time       `db:"created_at" json:"created_at"`
}

// Membership is one tenant a user belongs to (for /auth/me).
type Membership struct {
	ID          tenancy.TenantID `json:"id"`
	Slug        string           `json:"slug"`
	Name        string           `json:"name"`
	Status      string           `json:"status"`
	Role        string           `json:"role"`
	Permissions []string         `json:"permissions"`
}

var slugRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,30}[a-z0-9]$`)

// reserved slugs would shadow the platform's own hosts or confuse customers.
var reserved = map[string]bool{}

func init() {
	for _, s := range strings.Fields(`www admin api platform app apps static assets cdn img images media mail smtp
		imap pop help support status docs blog shop store stores banyan root system dev test staging
		billing auth login logout signup register dashboard console account accounts webhook webhooks
		r m wap mobile pay payment payments oauth sso ns ns1 ns2 ftp metrics healthz readyz`) {
		reserved[s] = true
	}
}

// ValidateSlug checks a shop slug.
func ValidateSlug(field, slug string) error {
	switch {
	case slug == "":
		return errs.Field(field, "required", "slug is required")
	case !slugRe.MatchString(slug) || strings.Contains(slug, "--"):
		return errs.Field(field, "invalid_slug", "3–32 characters of a-z, 0-9 and '-', not starting or ending with '-'")
	case reserved[slug]:
		return errs.Field(field, "reserved", "this slug is reserved")
	}
	return nil
}

// ValidRole reports whether role is a tenant role.
func ValidRole(role string) bool {
	for _, r := range Roles {
		if r == role {
			return true
		}
	}
	return false
}

// SettingsPatch is a partial update of a tenant's settings and branding.
type SettingsPatch struct {
	Name         *string `json:"name"`
	LogoURL      *string `json:"logo_url"`
	PrimaryColor *string `json:"primary_color"`
	CustomDomain *string `json:"custom_domain"`
	Currency     *string `json:"currency"`
	Timezone     *string `json:"timezone"`
	// Banners replaces the storefront's banners (sorted by their sort).
	Banners *Banners `json:"banners"`
}

var (
	colorRe  = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)
	domainRe = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
	urlRe    = regexp.MustCompile(`^(https?://[^\s]+|/[^\s]*)$`)
)

// Currencies Banyan can charge in, with their minor units.
var Currencies = map[string]int{"CNY": 2, "HKD": 2, "TWD": 0, "USD": 2, "EUR": 2, "JPY": 0, "SGD": 2, "GBP": 2}

func (p *SettingsPatch) validate(baseDomain string) error {
	v := errs.Validator{}
	if p.Name != nil {
		*p.Name = strings.TrimSpace(*p.Name)
		v.Check(*p.Name != "" && utf8.RuneCountInString(*p.Name) <= 64, "name", "invalid", "name is required (at most 64 characters)")
	}
	if p.LogoURL != nil {
		v.Check(*p.LogoURL == "" || (urlRe.MatchString(*p.LogoURL) && len(*p.LogoURL) <= 1024), "logo_url", "invalid_url", "an http(s) URL or a path")
	}
	if p.PrimaryColor != nil {
		v.Check(colorRe.MatchString(*p.PrimaryColor), "primary_color", "invalid_color", "a colour like #1f7a4d")
	}
	if p.CustomDomain != nil {
		d := strings.ToLower(strings.TrimSpace(*p.CustomDomain))
		*p.CustomDomain = d
		ok := d == "" || (domainRe.MatchString(d) && len(d) <= 253 && !strings.HasSuffix(d, "."+baseDomain) && d != baseDomain)
		v.Check(ok, "custom_domain", "invalid_domain", "a domain name like shop.example.com, not under the platform's domain")
	}
	if p.Currency != nil {
		_, ok := Currencies[*p.Currency]
		v.Check(ok, "currency", "unsupported_currency", "one of CNY, HKD, TWD, USD, EUR, JPY, SGD, GBP")
	}
	if p.Timezone != nil {
		_, err := time.LoadLocation(*p.Timezone)
		v.Check(*p.Timezone != "" && err == nil, "timezone", "invalid_timezone", "an IANA time zone like Asia/Shanghai")
	}
	if p.Banners != nil {
		p.Banners.validate(&v)
	}
	return v.Err()
}
