package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/audit"
	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/tenancy"
	"github.com/banyanmall/banyan/tenants"
)

// Product is a product (SPU) with its SKUs.
type Product struct {
	ID           ProductID    `json:"id"`
	Code         string       `json:"code"`
	CategoryID   *CategoryID  `json:"category_id"`
	Title        string       `json:"title"`
	Subtitle     string       `json:"subtitle"`
	Description  string       `json:"description"`
	Brand        string       `json:"brand"`
	Tags         []string     `json:"tags"`
	Images       []string     `json:"images"`
	Status       Status       `json:"status"`
	Specs        []SpecAttr   `json:"specs"`
	Distribution Distribution `json:"distribution"`
	// PointsPrice is the price in points when the product can be exchanged
	// for points; null when it cannot.
	PointsPrice *int            `json:"points_price"`
	SalesCount  int64           `json:"sales_count"`
	MinPrice    decimal.Decimal `json:"min_price"`
	MaxPrice    decimal.Decimal `json:"max_price"`
	SKUs        []SKU           `json:"skus"`
	CreatedAt   time.Time       `json:"created_at"`
	UpdatedAt   time.Time       `json:"updated_at"`
}

// SKU is one sellable variant.
type SKU struct {
	ID        SKUID     `db:"id" json:"id"`
	ProductID ProductID `db:"product_id" json:"product_id"`
	Code      string    `db:"code" json:"code"`
	// Spec maps each spec name to this SKU's value; SpecText is the same as
	// "颜色:红;尺码:L", in the product's spec order.
	Spec          map[string]string `db:"-" json:"spec"`
	SpecText      string            `db:"spec" json:"spec_text"`
	Price         decimal.Decimal   `db:"price" json:"price"`
	OriginalPrice *decimal.Decimal  `db:"original_price" json:"original_price"`
	// Cost is shown to staff only.
	Cost   *decimal.Decimal `db:"cost" json:"cost,omitempty"`
	Stock  int              `db:"stock" json:"stock"`
	Weight *decimal.Decimal `db:"weight" json:"weight"`
	Image  string           `db:"image" json:"image"`
}

// ProductInput creates a product.
type ProductInput struct {
	// Code is the merchant's product code (imports group rows by it);
	// generated when empty.
	Code        string      `json:"code"`
	CategoryID  *CategoryID `json:"category_id"`
	Title       string      `json:"title"`
	Subtitle    string      `json:"subtitle"`
	Description string      `json:"description"`
	Brand       string      `json:"brand"`
	Tags        []string    `json:"tags"`
	Images      []string    `json:"images"`
	Status      Status      `json:"status"`
	// Specs are the spec attributes; every SKU picks one value of each.
	Specs []SpecAttr `json:"specs"`
	SKUs  []SKUInput `json:"skus"`
	// Variants, when set, generates a SKU for every combination of spec
	// values that SKUs does not list, with these fields.
	Variants     *VariantTemplate `json:"variants"`
	Distribution *Distribution    `json:"distribution"`
	PointsPrice  *int             `json:"points_price"`
}

// SKUInput is a SKU of a create or update. In an update, a SKU with the id
// (or the code) of an existing SKU of the product changes it; others are
// added; existing SKUs not listed are removed.
type SKUInput struct {
	ID            SKUID             `json:"id,omitempty"`
	Code          string            `json:"code"`
	Spec          map[string]string `json:"spec"`
	Price         *decimal.Decimal  `json:"price"`
	OriginalPrice *decimal.Decimal  `json:"original_price"`
	Cost          *decimal.Decimal  `json:"cost"`
	Stock         int               `json:"stock"`
	Weight        *decimal.Decimal  `json:"weight"`
	Image         string            `json:"image"`
}

// VariantTemplate generates the SKUs of every spec combination: codes are
// CodePrefix-1, CodePrefix-2, ... in the order of the combinations.
type VariantTemplate struct {
	CodePrefix    string           `json:"code_prefix"`
	Price         *decimal.Decimal `json:"price"`
	OriginalPrice *decimal.Decimal `json:"original_price"`
	Cost          *decimal.Decimal `json:"cost"`
	Stock         int              `json:"stock"`
	Weight        *decimal.Decimal `json:"weight"`
}

// ProductPatch changes a product; absent fields stay. category_id ""
// removes the category; points_price 0 removes the points price. When
// specs change, skus must be sent too (the whole new set).
type ProductPatch struct {
	Code         *string       `json:"code"`
	CategoryID   *CategoryID   `json:"category_id"`
	Title        *string       `json:"title"`
	Subtitle     *string       `json:"subtitle"`
	Description  *string       `json:"description"`
	Brand        *string       `json:"brand"`
	Tags         *[]string     `json:"tags"`
	Images       *[]string     `json:"images"`
	Status       *Status       `json:"status"`
	Specs        *[]SpecAttr   `json:"specs"`
	SKUs         *[]SKUInput   `json:"skus"`
	Distribution *Distribution `json:"distribution"`
	PointsPrice  *int          `json:"points_price"`
}

// Combinations lists every combination of spec values, first attribute
// slowest ("红/S", "红/M", "蓝/S", ...).
func Combinations(specs []SpecAttr) []map[string]string {
	out := []map[string]string{{}}
	for _, a := range specs {
		var next []map[string]string
		for _, c := range out {
			for _, v := range a.Values {
				m := make(map[string]string, len(c)+1)
				for k, x := range c {
					m[k] = x
				}
				m[a.Name] = v
				next = append(next, m)
			}
		}
		out = next
	}
	return out
}

// specText writes a SKU's spec in the product's attribute order.
func specText(specs []SpecAttr, m map[string]string) string {
	parts := make([]string, 0, len(specs))
	for _, a := range specs {
		parts = append(parts, a.Name+":"+m[a.Name])
	}
	return strings.Join(parts, ";")
}

// parseSpecText reads "颜色:红;尺码:L" (full-width separators too).
func parseSpecText(s string) (names, values []string, ok bool) {
	s = strings.NewReplacer("；", ";", "：", ":").Replace(strings.TrimSpace(s))
	if s == "" {
		return nil, nil, true
	}
	for _, part := range strings.Split(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		n, v, found := strings.Cut(part, ":")
		n, v = strings.TrimSpace(n), strings.TrimSpace(v)
		if !found || n == "" || v == "" {
			return nil, nil, false
		}
		names = append(names, n)
		values = append(values, v)
	}
	return names, values, true
}

func specMap(specText string) map[string]string {
	names, values, _ := parseSpecText(specText)
	m := make(map[string]string, len(names))
	for i := range names {
		m[names[i]] = values[i]
	}
	return m
}

// normalize validates a full product (create, or an update merged onto the
// current one) and names every bad field.
func (in *ProductInput) normalize(tenant tenancy.TenantID) error {
	v := errs.Validator{}
	in.Code = strings.TrimSpace(in.Code)
	if in.Code != "" {
		v.Check(codeRe.MatchString(in.Code), "code", "invalid", codeRule)
	}
	if in.CategoryID != nil && !tenancy.ValidUUID(string(*in.CategoryID)) {
		v.Add("category_id", "not_found", "no such category")
	}
	in.Title = strings.TrimSpace(in.Title)
	v.Check(in.Title != "" && runes(in.Title) <= 200, "title", "length", "1 to 200 characters")
	in.Subtitle = strings.TrimSpace(in.Subtitle)
	v.Check(runes(in.Subtitle) <= 500, "subtitle", "too_long", "at most 500 characters")
	in.Brand = strings.TrimSpace(in.Brand)
	v.Check(runes(in.Brand) <= 64, "brand", "too_long", "at most 64 characters")
	if len(in.Description) > MaxDescription {
		v.Add("description", "too_long", fmt.Sprintf("at most %d bytes of HTML", MaxDescription))
	} else {
		in.Description = SanitizeHTML(in.Description)
	}
	in.Tags = checkTags(&v, "tags", in.Tags)
	if in.Images == nil {
		in.Images = []string{}
	}
	if len(in.Images) > MaxImages {
		v.Add("images", "too_many", fmt.Sprintf("at most %d images", MaxImages))
	}
	for i, u := range in.Images {
		checkImageURL(&v, fmt.Sprintf("images[%d]", i), u, tenant)
	}
	if in.Status == "" {
		in.Status = Draft
	}
	v.Check(in.Status.valid(), "status", "invalid", "draft, on_sale or off_shelf")
	if in.Distribution == nil {
		in.Distribution = &Distribution{Mode: DistDefault}
	}
	checkDistribution(&v, "distribution", *in.Distribution)
	if in.PointsPrice != nil && *in.PointsPrice <= 0 {
		v.Add("points_price", "out_of_range", "a whole number of points above 0, or null")
	}
	in.checkSpecs(&v)
	if in.Variants != nil && v.Err() == nil {
		in.generateVariants(&v)
	}
	in.checkSKUs(&v, tenant)
	return v.Err()
}

func (in *ProductInput) checkSpecs(v *errs.Validator) {
	if len(in.Specs) > MaxSpecs {
		v.Add("specs", "too_many", fmt.Sprintf("at most %d spec attributes", MaxSpecs))
		return
	}
	names := map[string]bool{}
	for i := range in.Specs {
		a := &in.Specs[i]
		f := fmt.Sprintf("specs[%d]", i)
		a.Name = strings.TrimSpace(a.Name)
		checkSpecWord(v, f+".name", a.Name)
		if names[a.Name] {
			v.Add(f+".name", "duplicate", "two spec attributes have this name")
		}
		names[a.Name] = true
		if len(a.Values) == 0 || len(a.Values) > MaxSpecValues {
			v.Add(f+".values", "length", fmt.Sprintf("1 to %d values", MaxSpecValues))
		}
		seen := map[string]bool{}
		for j := range a.Values {
			a.Values[j] = strings.TrimSpace(a.Values[j])
			vf := fmt.Sprintf("%s.values[%d]", f, j)
			checkSpecWord(v, vf, a.Values[j])
			if seen[a.Values[j]] {
				v.Add(vf, "duplicate", "this value is listed twice")
			}
			seen[a.Values[j]] = true
		}
	}
}

func (in *ProductInput) generateVariants(v *errs.Validator) {
	t := in.Variants
	if len(in.Specs) == 0 {
		v.Add("variants", "no_specs", "variants are generated from specs; add specs")
		return
	}
	v.Check(codeRe.MatchString(t.CodePrefix) && len(t.CodePrefix) <= 56, "variants.code_prefix", "invalid", codeRule+" (at most 56)")
	if t.Price == nil {
		v.Add("variants.price", "required", "the price of the generated SKUs")
	}
	if v.Err() != nil {
		return
	}
	listed := map[string]bool{}
	for _, s := range in.SKUs {
		listed[specText(in.Specs, s.Spec)] = true
	}
	for i, c := range Combinations(in.Specs) {
		if listed[specText(in.Specs, c)] {
			continue
		}
		in.SKUs = append(in.SKUs, SKUInput{
			Code: fmt.Sprintf("%s-%d", t.CodePrefix, i+1), Spec: c, Price: t.Price, OriginalPrice: t.OriginalPrice,
			Cost: t.Cost, Stock: t.Stock, Weight: t.Weight,
		})
	}
}

func (in *ProductInput) checkSKUs(v *errs.Validator, tenant tenancy.TenantID) {
	switch {
	case len(in.SKUs) == 0:
		v.Add("skus", "required", "a product has at least one SKU")
		return
	case len(in.SKUs) > MaxSKUs:
		v.Add("skus", "too_many", fmt.Sprintf("at most %d SKUs", MaxSKUs))
		return
	case len(in.Specs) == 0 && len(in.SKUs) > 1:
		v.Add("skus", "no_specs", "a product without specs has exactly one SKU; add specs for variants")
	}
	codes := map[string]int{}
	specs := map[string]int{}
	for i := range in.SKUs {
		s := &in.SKUs[i]
		f := fmt.Sprintf("skus[%d]", i)
		s.Code = strings.TrimSpace(s.Code)
		if !codeRe.MatchString(s.Code) {
			v.Add(f+".code", "invalid", codeRule)
		} else if j, dup := codes[s.Code]; dup {
			v.Add(f+".code", "duplicate", fmt.Sprintf("skus[%d] has the same code", j))
		} else {
			codes[s.Code] = i
		}
		if s.ID != "" && !tenancy.ValidUUID(string(s.ID)) {
			v.Add(f+".id", "not_found", "no such SKU of this product")
		}
		if len(s.Spec) != len(in.Specs) {
			v.Add(f+".spec", "mismatch", fmt.Sprintf("give one value for each of the %d spec attributes", len(in.Specs)))
		} else {
			ok := true
			for _, a := range in.Specs {
				val, has := s.Spec[a.Name]
				if !has || !contains(a.Values, strings.TrimSpace(val)) {
					v.Add(f+".spec", "mismatch", fmt.Sprintf("%q must be one of the values of that spec attribute", a.Name))
					ok = false
					break
				}
				s.Spec[a.Name] = strings.TrimSpace(val)
			}
			if ok {
				key := specText(in.Specs, s.Spec)
				if j, dup := specs[key]; dup {
					v.Add(f+".spec", "duplicate", fmt.Sprintf("skus[%d] has the same spec", j))
				}
				specs[key] = i
			}
		}
		if s.Price == nil {
			v.Add(f+".price", "required", "the selling price")
		} else {
			checkMoney(v, f+".price", *s.Price)
		}
		if s.OriginalPrice != nil {
			checkMoney(v, f+".original_price", *s.OriginalPrice)
		}
		if s.Cost != nil {
			checkMoney(v, f+".cost", *s.Cost)
		}
		v.Check(s.Stock >= 0 && s.Stock <= 1_000_000_000, f+".stock", "out_of_range", "a whole number from 0 to 1000000000")
		if s.Weight != nil {
			checkWeight(v, f+".weight", *s.Weight)
		}
		if s.Image != "" {
			checkImageURL(v, f+".image", s.Image, tenant)
		}
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// ---------------------------------------------------------------- store

type productRow struct {
	ID          ProductID       `db:"id"`
	Code        string          `db:"code"`
	CategoryID  *CategoryID     `db:"category_id"`
	Title       string          `db:"title"`
	Subtitle    string          `db:"subtitle"`
	Description string          `db:"description"`
	Brand       string          `db:"brand"`
	Tags        pq.StringArray  `db:"tags"`
	Images      pq.StringArray  `db:"images"`
	Status      Status          `db:"status"`
	Specs       []byte          `db:"spec_attrs"`
	DistMode    string          `db:"distribution_mode"`
	Rates       pq.StringArray  `db:"commission_rates"`
	PointsPrice *int            `db:"points_price"`
	SalesCount  int64           `db:"sales_count"`
	MinPrice    decimal.Decimal `db:"min_price"`
	MaxPrice    decimal.Decimal `db:"max_price"`
	CreatedAt   time.Time       `db:"created_at"`
	UpdatedAt   time.Time       `db:"updated_at"`
}

const productCols = `id, code, category_id, title, subtitle, description, brand, tags, images, status, spec_attrs,
distribution_mode, commission_rates, points_price, sales_count, min_price, max_price, created_at, updated_at`

func (r productRow) product() Product {
	p := Product{
		ID: r.ID, Code: r.Code, CategoryID: r.CategoryID, Title: r.Title, Subtitle: r.Subtitle, Description: r.Description,
		Brand: r.Brand, Tags: []string(r.Tags), Images: []string(r.Images), Status: r.Status, Specs: []SpecAttr{},
		Distribution: Distribution{Mode: r.DistMode}, PointsPrice: r.PointsPrice, SalesCount: r.SalesCount,
		MinPrice: r.MinPrice, MaxPrice: r.MaxPrice, SKUs: []SKU{}, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
	if p.Tags == nil {
		p.Tags = []string{}
	}
	if p.Images == nil {
		p.Images = []string{}
	}
	_ = json.Unmarshal(r.Specs, &p.Specs)
	for _, s := range r.Rates {
		p.Distribution.Rates = append(p.Distribution.Rates, decimal.RequireFromString(s))
	}
	return p
}

const skuCols = `id, product_id, code, spec, price, original_price, cost, stock, weight, image`

func loadProduct(ctx context.Context, tx *db.Tx, id ProductID, lock bool) (Product, error) {
	q := `SELECT ` + productCols + ` FROM products WHERE tenant_id = $1 AND id = $2`
	if lock {
		q += ` FOR UPDATE`
	}
	var r productRow
	if err := tx.GetContext(ctx, &r, q, tid(ctx), id); err != nil {
		return Product{}, db.NotFound(err, "product")
	}
	p := r.product()
	skus, err := loadSKUs(ctx, tx, []ProductID{id})
	if err != nil {
		return Product{}, err
	}
	p.SKUs = skus[id]
	if p.SKUs == nil {
		p.SKUs = []SKU{}
	}
	return p, nil
}

func loadSKUs(ctx context.Context, tx *db.Tx, ids []ProductID) (map[ProductID][]SKU, error) {
	var rows []SKU
	err := tx.SelectContext(ctx, &rows, `SELECT `+skuCols+` FROM skus WHERE tenant_id = $1 AND product_id = ANY($2::uuid[]) ORDER BY product_id, position, code`,
		tid(ctx), pqIDs(ids))
	if err != nil {
		return nil, fmt.Errorf("load skus: %w", err)
	}
	out := map[ProductID][]SKU{}
	for _, s := range rows {
		s.Spec = specMap(s.SpecText)
		out[s.ProductID] = append(out[s.ProductID], s)
	}
	return out, nil
}

func pqArray(ss []string) any { return pq.Array(ss) }

func pqIDs[T ~string](ids []T) any { return pq.Array(idStrings(ids)) }

func rateStrings(d Distribution) []string {
	out := make([]string, len(d.Rates))
	for i, r := range d.Rates {
		out[i] = r.String()
	}
	return out
}

// lockQuota serialises the product-count check of a tenant with the inserts
// it guards (two concurrent creations cannot both take the last slot).
func lockQuota(ctx context.Context, tx *db.Tx) error {
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('catalog.products:' || $1::text, 0))`, tid(ctx))
	return err
}

// checkQuota fails when adding n products would exceed the plan.
func (s *Service) checkQuota(ctx context.Context, tx *db.Tx, n int) error {
	if n <= 0 {
		return nil
	}
	if err := lockQuota(ctx, tx); err != nil {
		return err
	}
	plan, err := s.Tenants.CurrentPlan(ctx, tx)
	if err != nil {
		return err
	}
	var count int
	if err := tx.GetContext(ctx, &count, `SELECT count(*) FROM products WHERE tenant_id = $1`, tid(ctx)); err != nil {
		return err
	}
	if count+n > plan.MaxProducts {
		return tenants.QuotaError("products", plan.MaxProducts)
	}
	return nil
}

// CreateProduct creates a product and its SKUs.
func (s *Service) CreateProduct(ctx context.Context, in ProductInput) (Product, error) {
	if err := in.normalize(tid(ctx)); err != nil {
		return Product{}, err
	}
	if in.Code == "" {
		in.Code = newCode("P")
	}
	var out Product
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		if err := s.checkQuota(ctx, tx, 1); err != nil {
			return err
		}
		var id ProductID
		specs, _ := json.Marshal(in.Specs)
		err := tx.GetContext(ctx, &id, `
INSERT INTO products (tenant_id, code, category_id, title, subtitle, description, brand, tags, images, status, spec_attrs,
  distribution_mode, commission_rates, points_price)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::numeric[], $14) RETURNING id`,
			tid(ctx), in.Code, in.CategoryID, in.Title, in.Subtitle, in.Description, in.Brand, pq.Array(in.Tags), pq.Array(in.Images),
			in.Status, string(specs), in.Distribution.Mode, pq.Array(rateStrings(*in.Distribution)), in.PointsPrice)
		if err != nil {
			return productError(err)
		}
		if err := syncSKUs(ctx, tx, id, in.Specs, in.SKUs, nil); err != nil {
			return err
		}
		if out, err = loadProduct(ctx, tx, id, false); err != nil {
			return err
		}
		return audit.Record(ctx, tx, tid(ctx), "product.create", "product", string(id), map[string]any{"code": in.Code, "title": in.Title})
	})
	return out, err
}

// productError turns a constraint violation of a product write into a
// field error.
func productError(err error) error {
	code, name, ok := db.Constraint(err)
	switch {
	case ok && name == "products_code_key":
		return errs.Field("code", "taken", "another product has this code")
	case ok && code == "23503" && strings.Contains(name, "category"):
		return errs.Field("category_id", "not_found", "no such category")
	}
	return fmt.Errorf("product write: %w", err)
}

// syncSKUs makes the product's SKUs exactly in: SKUs matched by id or code
// are updated, the rest inserted; existing SKUs not in the list deleted.
func syncSKUs(ctx context.Context, tx *db.Tx, pid ProductID, specs []SpecAttr, in []SKUInput, existing []SKU) error {
	codes := make([]string, len(in))
	for i, s := range in {
		codes[i] = s.Code
	}
	// A code used by another product is named, not left to the constraint.
	var taken []struct {
		Code    string `db:"code"`
		Product string `db:"product_code"`
	}
	err := tx.SelectContext(ctx, &taken, `SELECT s.code, p.code AS product_code FROM skus s JOIN products p ON p.tenant_id = s.tenant_id AND p.id = s.product_id
WHERE s.tenant_id = $1 AND s.code = ANY($2) AND s.product_id <> $3`, tid(ctx), pq.Array(codes), pid)
	if err != nil {
		return fmt.Errorf("sku codes: %w", err)
	}
	if len(taken) > 0 {
		v := errs.Validator{}
		for _, t := range taken {
			for i, c := range codes {
				if c == t.Code {
					v.Add(fmt.Sprintf("skus[%d].code", i), "taken", fmt.Sprintf("SKU code %s is used by product %s", c, t.Product))
				}
			}
		}
		return v.Err()
	}
	byID := map[SKUID]SKU{}
	byCode := map[string]SKU{}
	for _, s := range existing {
		byID[s.ID] = s
		byCode[s.Code] = s
	}
	keep := map[SKUID]bool{}
	match := make([]SKUID, len(in))
	for i, s := range in {
		var cur SKU
		var ok bool
		if s.ID != "" {
			if cur, ok = byID[s.ID]; !ok {
				return errs.Field(fmt.Sprintf("skus[%d].id", i), "not_found", "no such SKU of this product")
			}
		} else {
			cur, ok = byCode[s.Code]
		}
		if ok {
			if keep[cur.ID] {
				return errs.Field(fmt.Sprintf("skus[%d]", i), "duplicate", "two entries update the same SKU")
			}
			keep[cur.ID] = true
			match[i] = cur.ID
		}
	}
	var drop []SKUID
	for _, s := range existing {
		if !keep[s.ID] {
			drop = append(drop, s.ID)
		}
	}
	if len(drop) > 0 {
		_, err := tx.ExecContext(ctx, `DELETE FROM skus WHERE tenant_id = $1 AND id = ANY($2::uuid[])`, tid(ctx), pqIDs(drop))
		if code, _, ok := db.Constraint(err); ok && code == "23503" {
			return errs.Field("skus", "in_use", "a SKU you removed has orders; keep it (set its stock to 0) instead")
		}
		if err != nil {
			return fmt.Errorf("delete skus: %w", err)
		}
	}
	// Updated SKUs first move their spec aside, so that two SKUs may swap
	// specs without tripping the (product, spec) unique key mid-way.
	if len(keep) > 0 {
		ids := make([]SKUID, 0, len(keep))
		for id := range keep {
			ids = append(ids, id)
		}
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
		if _, err := tx.ExecContext(ctx, `UPDATE skus SET spec = '#' || id::text WHERE tenant_id = $1 AND id = ANY($2::uuid[])`, tid(ctx), pqIDs(ids)); err != nil {
			return fmt.Errorf("skus: %w", err)
		}
	}
	for i, s := range in {
		spec := specText(specs, s.Spec)
		var err error
		if match[i] != "" {
			_, err = tx.ExecContext(ctx, `UPDATE skus SET code = $3, spec = $4, price = $5, original_price = $6, cost = $7, stock = $8, weight = $9, image = $10,
  position = $11, updated_at = now() WHERE tenant_id = $1 AND id = $2`,
				tid(ctx), match[i], s.Code, spec, *s.Price, s.OriginalPrice, s.Cost, s.Stock, s.Weight, s.Image, i)
		} else {
			_, err = tx.ExecContext(ctx, `INSERT INTO skus (tenant_id, product_id, code, spec, price, original_price, cost, stock, weight, image, position)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
				tid(ctx), pid, s.Code, spec, *s.Price, s.OriginalPrice, s.Cost, s.Stock, s.Weight, s.Image, i)
		}
		if db.IsUnique(err, "skus_code_key") {
			return errs.Field(fmt.Sprintf("skus[%d].code", i), "taken", fmt.Sprintf("SKU code %s is already used", s.Code))
		}
		if err != nil {
			return fmt.Errorf("write sku %s: %w", s.Code, err)
		}
	}
	return refreshPrices(ctx, tx, []ProductID{pid})
}

// refreshPrices recomputes the price range of products from their SKUs.
func refreshPrices(ctx context.Context, tx *db.Tx, ids []ProductID) error {
	_, err := tx.ExecContext(ctx, `
UPDATE products p SET min_price = s.lo, max_price = s.hi, updated_at = now()
FROM (SELECT product_id, min(price) AS lo, max(price) AS hi FROM skus WHERE tenant_id = $1 AND product_id = ANY($2::uuid[]) GROUP BY product_id) s
WHERE p.tenant_id = $1 AND p.id = s.product_id AND (p.min_price, p.max_price) IS DISTINCT FROM (s.lo, s.hi)`, tid(ctx), pqIDs(ids))
	if err != nil {
		return fmt.Errorf("refresh prices: %w", err)
	}
	return nil
}

// Product returns a product with its SKUs (staff view: every status, cost).
func (s *Service) Product(ctx context.Context, id ProductID) (Product, error) {
	if !tenancy.ValidUUID(string(id)) {
		return Product{}, notFound("product")
	}
	var out Product
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		var err error
		out, err = loadProduct(ctx, tx, id, false)
		return err
	})
	return out, err
}

// UpdateProduct applies a patch. The merged product is validated as a
// whole, so a patch cannot leave SKUs that do not fit the specs.
func (s *Service) UpdateProduct(ctx context.Context, id ProductID, p ProductPatch) (Product, error) {
	if !tenancy.ValidUUID(string(id)) {
		return Product{}, notFound("product")
	}
	if p.Specs != nil && p.SKUs == nil {
		return Product{}, errs.Field("skus", "required", "send the SKUs with the new specs")
	}
	var out Product
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		cur, err := loadProduct(ctx, tx, id, true)
		if err != nil {
			return err
		}
		in := mergePatch(cur, p)
		if err := in.normalize(tid(ctx)); err != nil {
			return err
		}
		if in.Code == "" {
			return errs.Field("code", "required", codeRule)
		}
		specs, _ := json.Marshal(in.Specs)
		_, err = tx.ExecContext(ctx, `
UPDATE products SET code = $3, category_id = $4, title = $5, subtitle = $6, description = $7, brand = $8, tags = $9, images = $10,
  status = $11, spec_attrs = $12, distribution_mode = $13, commission_rates = $14::numeric[], points_price = $15, updated_at = now()
WHERE tenant_id = $1 AND id = $2`,
			tid(ctx), id, in.Code, in.CategoryID, in.Title, in.Subtitle, in.Description, in.Brand, pq.Array(in.Tags), pq.Array(in.Images),
			in.Status, string(specs), in.Distribution.Mode, pq.Array(rateStrings(*in.Distribution)), in.PointsPrice)
		if err != nil {
			return productError(err)
		}
		if p.SKUs != nil {
			if err := syncSKUs(ctx, tx, id, in.Specs, in.SKUs, cur.SKUs); err != nil {
				return err
			}
		}
		if out, err = loadProduct(ctx, tx, id, false); err != nil {
			return err
		}
		return audit.Record(ctx, tx, tid(ctx), "product.update", "product", string(id), p)
	})
	return out, err
}

// mergePatch lays a patch over the current product as a full input.
func mergePatch(cur Product, p ProductPatch) ProductInput {
	in := ProductInput{
		Code: cur.Code, CategoryID: cur.CategoryID, Title: cur.Title, Subtitle: cur.Subtitle, Description: cur.Description,
		Brand: cur.Brand, Tags: cur.Tags, Images: cur.Images, Status: cur.Status, Specs: cur.Specs,
		Distribution: &cur.Distribution, PointsPrice: cur.PointsPrice,
	}
	for _, s := range cur.SKUs {
		price := s.Price
		in.SKUs = append(in.SKUs, SKUInput{ID: s.ID, Code: s.Code, Spec: s.Spec, Price: &price, OriginalPrice: s.OriginalPrice,
			Cost: s.Cost, Stock: s.Stock, Weight: s.Weight, Image: s.Image})
	}
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&in.Code, p.Code)
	set(&in.Title, p.Title)
	set(&in.Subtitle, p.Subtitle)
	set(&in.Description, p.Description)
	set(&in.Brand, p.Brand)
	if p.CategoryID != nil {
		in.CategoryID = p.CategoryID
		if *p.CategoryID == "" {
			in.CategoryID = nil
		}
	}
	if p.Tags != nil {
		in.Tags = *p.Tags
	}
	if p.Images != nil {
		in.Images = *p.Images
	}
	if p.Status != nil {
		in.Status = *p.Status
	}
	if p.Specs != nil {
		in.Specs = *p.Specs
	}
	if p.SKUs != nil {
		in.SKUs = *p.SKUs
	}
	if p.Distribution != nil {
		in.Distribution = p.Distribution
	}
	if p.PointsPrice != nil {
		in.PointsPrice = p.PointsPrice
		if *p.PointsPrice == 0 {
			in.PointsPrice = nil
		}
	}
	return in
}

// DeleteProduct deletes a product and its SKUs. A product with orders
// cannot be deleted (take it off the shelf instead).
func (s *Service) DeleteProduct(ctx context.Context, id ProductID) error {
	if !tenancy.ValidUUID(string(id)) {
		return notFound("product")
	}
	var images []string
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		var r struct {
			Code   string         `db:"code"`
			Images pq.StringArray `db:"images"`
		}
		err := tx.GetContext(ctx, &r, `DELETE FROM products WHERE tenant_id = $1 AND id = $2 RETURNING code, images`, tid(ctx), id)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("product")
		}
		if code, _, ok := db.Constraint(err); ok && code == "23503" {
			return errs.E(errs.InvalidState, "the product has orders; take it off the shelf instead of deleting it")
		}
		if err != nil {
			return fmt.Errorf("delete product: %w", err)
		}
		images = r.Images
		return audit.Record(ctx, tx, tid(ctx), "product.delete", "product", string(id), map[string]string{"code": r.Code})
	})
	if err == nil {
		s.removeUploads(ctx, images)
	}
	return err
}
