package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/errs"
)

// sep joins the elements of an array column into one text cell for unnest
// (unnest of a text[][] would flatten it); tags and URLs never hold it.
const sep = "\x1f"

// writeGroups upserts a chunk of products and their SKUs by code with a
// few set-based statements. A blank cell keeps the stored value (or the
// default, for a new row). Groups the database state refuses (a SKU code
// of another product, the quota) are left out and returned as row errors;
// anything else fails the whole chunk.
func (s *Service) writeGroups(ctx context.Context, tx *db.Tx, groups []*importGroup, cats map[string]CategoryID) ([]RowError, error) {
	st, err := s.loadState(ctx, tx, groups, true)
	if err != nil {
		return nil, err
	}
	good, refused := st.check(groups)
	if len(good) == 0 {
		return refused, nil
	}
	n := len(good)
	var (
		codes, titles, subtitles, brands, tags, images, statuses, categories, specs = make([]string, n), make([]string, n), make([]string, n),
			make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	)
	for i, g := range good {
		e := st.products[g.code]
		if e == nil {
			e = &existingProduct{Status: Draft}
		}
		codes[i] = g.code
		titles[i] = or(g.title, e.Title)
		subtitles[i] = or(g.subtitle, e.Subtitle)
		brands[i] = or(g.brand, e.Brand)
		t := []string(e.Tags)
		if g.hasTags {
			t = g.tags
		}
		tags[i] = strings.Join(t, sep)
		imgs := append([]string(nil), e.Images...)
		for _, u := range g.images {
			if !contains(imgs, u) && len(imgs) < MaxImages {
				imgs = append(imgs, u)
			}
		}
		images[i] = strings.Join(imgs, sep)
		statuses[i] = string(e.Status)
		if g.status != "" {
			statuses[i] = string(statusAliases[strings.ToLower(g.status)])
		}
		if g.category != nil {
			categories[i] = string(cats[strings.Join(g.category, "/")])
		} else if e.CategoryID != nil {
			categories[i] = string(*e.CategoryID)
		}
		a := g.specs
		if len(e.specsByCode) > 0 {
			a = mergeSpecs(e.specs, g.specs)
		}
		b, _ := json.Marshal(a)
		specs[i] = string(b)
	}
	var ids []struct {
		ID   ProductID `db:"id"`
		Code string    `db:"code"`
	}
	err = tx.SelectContext(ctx, &ids, `
INSERT INTO products (tenant_id, code, title, subtitle, brand, tags, images, status, category_id, spec_attrs)
SELECT $1, u.code, u.title, u.subtitle, u.brand,
       CASE WHEN u.tags = '' THEN '{}'::text[] ELSE string_to_array(u.tags, $11) END,
       CASE WHEN u.images = '' THEN '{}'::text[] ELSE string_to_array(u.images, $11) END,
       u.status, NULLIF(u.cat, '')::uuid, u.specs::jsonb
FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])
  AS u(code, title, subtitle, brand, tags, images, status, cat, specs)
ON CONFLICT (tenant_id, code) DO UPDATE SET title = EXCLUDED.title, subtitle = EXCLUDED.subtitle, brand = EXCLUDED.brand,
  tags = EXCLUDED.tags, images = EXCLUDED.images, status = EXCLUDED.status, category_id = EXCLUDED.category_id,
  spec_attrs = EXCLUDED.spec_attrs, updated_at = now()
RETURNING id, code`, tid(ctx), pq.Array(codes), pq.Array(titles), pq.Array(subtitles), pq.Array(brands), pq.Array(tags),
		pq.Array(images), pq.Array(statuses), pq.Array(categories), pq.Array(specs), sep)
	if err != nil {
		return nil, fmt.Errorf("import products: %w", err)
	}
	pid := map[string]ProductID{}
	pids := make([]ProductID, 0, len(ids))
	for _, r := range ids {
		pid[r.Code] = r.ID
		pids = append(pids, r.ID)
	}
	var (
		kp, kc, ks, kprice, kop, kcost, kw, kimg []string
		kstock, kpos                             []int64
	)
	for _, g := range good {
		for j, k := range g.skus {
			e, exists := st.skus[k.code]
			if !exists {
				e = existingSKU{Stock: 0}
			}
			kp = append(kp, string(pid[g.code]))
			kc = append(kc, k.code)
			ks = append(ks, k.spec)
			kprice = append(kprice, k.price.String())
			kop = append(kop, decOr(k.originalPrice, e.OriginalPrice))
			kcost = append(kcost, decOr(k.cost, e.Cost))
			kw = append(kw, decOr(k.weight, e.Weight))
			kimg = append(kimg, or(k.image, e.Image))
			stock := e.Stock
			if k.stock != nil {
				stock = *k.stock
			}
			kstock = append(kstock, int64(stock))
			kpos = append(kpos, int64(j))
		}
	}
	var written []string
	err = tx.SelectContext(ctx, &written, `
INSERT INTO skus (tenant_id, product_id, code, spec, price, original_price, cost, stock, weight, image, position)
SELECT $1, u.pid, u.code, u.spec, u.price::numeric, NULLIF(u.op, '')::numeric, NULLIF(u.cost, '')::numeric, u.stock,
       NULLIF(u.w, '')::numeric, u.img, u.pos
FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[], $9::text[], $10::text[], $11::int[])
  AS u(pid, code, spec, price, op, cost, stock, w, img, pos)
ON CONFLICT (tenant_id, code) DO UPDATE SET spec = EXCLUDED.spec, price = EXCLUDED.price, original_price = EXCLUDED.original_price,
  cost = EXCLUDED.cost, stock = EXCLUDED.stock, weight = EXCLUDED.weight, image = EXCLUDED.image, updated_at = now()
  WHERE skus.product_id = EXCLUDED.product_id
RETURNING code`, tid(ctx), pq.Array(kp), pq.Array(kc), pq.Array(ks), pq.Array(kprice), pq.Array(kop), pq.Array(kcost),
		pq.Array(kstock), pq.Array(kw), pq.Array(kimg), pq.Array(kpos))
	if db.IsUnique(err, "skus_spec_key") {
		return nil, errs.E(errs.Conflict, "two SKUs of the product would have the same spec")
	}
	if err != nil {
		return nil, fmt.Errorf("import skus: %w", err)
	}
	if len(written) != len(kc) {
		return nil, errs.E(errs.Conflict, "a SKU code was taken by another product meanwhile")
	}
	return refused, refreshPrices(ctx, tx, pids)
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func decOr(a, b *decimal.Decimal) string {
	switch {
	case a != nil:
		return a.String()
	case b != nil:
		return b.String()
	}
	return ""
}
