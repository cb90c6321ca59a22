// Package catalog is a shop's catalogue: a category tree, products (SPU)
// with their SKUs (one per combination of spec values), images, bulk import
// and export, storefront search, recommendations, and the stock operations
// the orders capability calls inside its own transactions (Reserve, Release,
// SKUsForQuote, RecordPurchase).
//
// It owns the tables categories, products, skus, catalog_imports,
// product_views and catalog_purchases.
package catalog

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"
	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/tenancy"
	"github.com/banyanmall/banyan/tenants"
)

// CategoryID identifies a category.
type CategoryID string

// ProductID identifies a product (SPU).
type ProductID string

// SKUID identifies a SKU (a sellable variant of a product).
type SKUID string

// Status is a product's sale status.
type Status string

// Product statuses.
const (
	Draft    Status = "draft"
	OnSale   Status = "on_sale"
	OffShelf Status = "off_shelf"
)

func (s Status) valid() bool { return s == Draft || s == OnSale || s == OffShelf }

// Distribution modes of a product.
const (
	DistDefault  = "default"  // the tenant's commission scheme decides
	DistOverride = "override" // the product's own rate per level
	DistNone     = "none"     // not distributable: no commission on it
)

// Limits.
const (
	MaxCategoryDepth = 3
	MaxSpecs         = 3
	MaxSpecValues    = 50
	MaxSKUs          = 500
	MaxTags          = 20
	MaxImages        = 20
	MaxDescription   = 100_000 // bytes of HTML before sanitising
)

// Service is the catalogue service.
type Service struct {
	DB      *db.DB
	Tenants *tenants.Service // the plan's max_products
	// Uploads holds product images (served at /uploads/{tenant}/{name});
	// ImportFiles holds uploaded import files until their job is done. Both
	// live under the data directory by default (FileStorage); DataDir must be
	// shared storage when several replicas run, or plug in another Storage.
	Uploads     Storage
	ImportFiles Storage
	Log         *slog.Logger
}

// Distribution is a product's distribution (commission) setting.
type Distribution struct {
	Mode string `json:"mode"`
	// Rates are the commission rates of levels 1..n (n ≤ 3) as decimals
	// ("0.10" = 10%), for mode override only.
	Rates []decimal.Decimal `json:"rates,omitempty"`
}

// SpecAttr is one spec attribute (颜色) and its values (红, 蓝), in order.
type SpecAttr struct {
	Name   string   `json:"name"`
	Values []string `json:"values"`
}

// ---------------------------------------------------------------- validation helpers

var codeRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

const codeRule = "1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"

func runes(s string) int { return utf8.RuneCountInString(s) }

var (
	maxPrice  = decimal.RequireFromString("99999999.99")
	maxWeight = decimal.RequireFromString("9999999.999")
)

// checkMoney validates an amount of the shop's currency: not negative, at
// most two decimal places (the column would round silently), not absurd.
func checkMoney(v *errs.Validator, field string, d decimal.Decimal) {
	checkDecimal(v, field, d, 2, maxPrice, "")
}

// checkWeight validates a weight in kg (3 decimal places).
func checkWeight(v *errs.Validator, field string, d decimal.Decimal) {
	checkDecimal(v, field, d, 3, maxWeight, " kg")
}

func checkDecimal(v *errs.Validator, field string, d decimal.Decimal, places int32, most decimal.Decimal, unit string) {
	switch {
	case d.IsNegative():
		v.Add(field, "negative", "must not be negative")
	case !d.Equal(d.Round(places)):
		v.Add(field, "precision", fmt.Sprintf("at most %d decimal places%s", places, unit))
	case d.GreaterThan(most):
		v.Add(field, "too_large", "at most "+most.String()+unit)
	}
}

// checkName validates a spec name or value: they are written "名:值;名:值".
func checkSpecWord(v *errs.Validator, field, s string) {
	switch {
	case s == "" || runes(s) > 32:
		v.Add(field, "length", "1 to 32 characters")
	case strings.ContainsAny(s, ":;：；/"):
		v.Add(field, "invalid", "must not contain ':', ';' or '/'")
	}
}

// checkImageURL accepts an http(s) URL or an image uploaded to this shop.
func checkImageURL(v *errs.Validator, field, s string, tenant tenancy.TenantID) {
	if len(s) > 1024 {
		v.Add(field, "too_long", "at most 1024 characters")
		return
	}
	if strings.HasPrefix(s, "/uploads/") {
		if !strings.HasPrefix(s, "/uploads/"+string(tenant)+"/") || !uploadNameRe.MatchString(s[strings.LastIndex(s, "/")+1:]) {
			v.Add(field, "invalid", "not an image uploaded to this shop")
		}
		return
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		v.Add(field, "invalid", "an http(s) URL or an uploaded image (/uploads/...)")
	}
}

func checkTags(v *errs.Validator, field string, tags []string) []string {
	if len(tags) > MaxTags {
		v.Add(field, "too_many", fmt.Sprintf("at most %d tags", MaxTags))
		return tags
	}
	out := make([]string, 0, len(tags))
	seen := map[string]bool{}
	for i, t := range tags {
		t = strings.TrimSpace(t)
		f := fmt.Sprintf("%s[%d]", field, i)
		switch {
		case t == "" || runes(t) > 32:
			v.Add(f, "length", "1 to 32 characters")
		case strings.ContainsAny(t, ",|，") || strings.ContainsFunc(t, unicode.IsControl):
			v.Add(f, "invalid", "must not contain ',', '|' or control characters")
		case !seen[t]:
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

func checkDistribution(v *errs.Validator, field string, d Distribution) {
	switch d.Mode {
	case DistDefault, DistNone:
		v.Check(len(d.Rates) == 0, field+".rates", "not_allowed", "rates are set only with mode override")
	case DistOverride:
		if len(d.Rates) < 1 || len(d.Rates) > 3 {
			v.Add(field+".rates", "length", "one rate per level, 1 to 3 levels")
			return
		}
		sum := decimal.Zero
		for i, r := range d.Rates {
			f := fmt.Sprintf("%s.rates[%d]", field, i)
			switch {
			case r.IsNegative() || r.GreaterThan(decimal.NewFromInt(1)):
				v.Add(f, "out_of_range", "a rate from 0 to 1 (0.10 = 10%)")
			case !r.Equal(r.Round(4)):
				v.Add(f, "precision", "at most 4 decimal places")
			}
			sum = sum.Add(r)
		}
		v.Check(sum.LessThanOrEqual(decimal.NewFromInt(1)), field+".rates", "too_large", "the rates of all levels add up to more than 1")
	default:
		v.Add(field+".mode", "invalid", "default, override or none")
	}
}

var htmlPolicy = bluemonday.UGCPolicy()

// SanitizeHTML keeps the HTML a rich description may hold and drops the
// rest (scripts, event handlers, javascript: links).
func SanitizeHTML(s string) string { return htmlPolicy.Sanitize(s) }

// newCode makes a product code for a product created without one.
func newCode(prefix string) string {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	return prefix + time.Now().UTC().Format("060102") + strings.ToUpper(hex.EncodeToString(b))
}

func notFound(what string) error { return errs.E(errs.NotFound, "%s not found", what) }

// tid is the tenant of the request.
func tid(ctx context.Context) tenancy.TenantID { return tenancy.ID(ctx) }
