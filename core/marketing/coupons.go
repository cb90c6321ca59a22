package marketing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/audit"
	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/identity"
	"github.com/banyanmall/banyan/core/members"
	"github.com/banyanmall/banyan/core/page"
	"github.com/banyanmall/banyan/core/tenancy"
)

// Service is the coupon service.
type Service struct {
	DB      *db.DB
	Members *members.Service
}

// IssueBatch is how many members one issue transaction covers.
const IssueBatch = 1000

const templateCols = `id, name, description, kind, amount, percent, max_discount, min_spend, valid_from, valid_until, valid_days,
total_quantity, issued_count, per_member_limit, scope, scope_ids, claimable, status, created_at, updated_at`

// couponSelect reads coupons with their template's terms; an unused coupon
// past its validity reads as expired.
const couponSelect = `
SELECT c.id, c.template_id, c.member_id,
  CASE WHEN c.status = 'unused' AND c.valid_until <= now() THEN 'expired' ELSE c.status END AS status,
  c.source, c.valid_from, c.valid_until, c.order_id, c.used_at, c.created_at,
  t.name, t.kind, t.amount, t.percent, t.max_discount, t.min_spend, t.scope, t.scope_ids
FROM coupons c JOIN coupon_templates t ON t.tenant_id = c.tenant_id AND t.id = c.template_id`

func notFound(what string) error { return errs.E(errs.NotFound, "%s not found", what) }

type listCursor struct {
	T  time.Time `json:"t"`
	ID string    `json:"i"`
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// ListTemplates returns the shop's templates, newest first; status filters
// (active | disabled) when set.
func (s *Service) ListTemplates(ctx context.Context, status string, p page.Request) ([]Template, string, error) {
	if status != "" && status != "active" && status != "disabled" {
		return nil, "", errs.Field("status", "invalid", `"active" or "disabled"`)
	}
	return s.listTemplates(ctx, `($2 = '' OR status = $2)`, status, p)
}

// Claimable returns the templates members may claim now, newest first.
func (s *Service) Claimable(ctx context.Context, p page.Request) ([]Template, string, error) {
	return s.listTemplates(ctx, `$2 = '' AND status = 'active' AND claimable AND (valid_until IS NULL OR valid_until > now())
  AND (total_quantity IS NULL OR issued_count < total_quantity)`, "", p)
}

func (s *Service) listTemplates(ctx context.Context, where, arg string, p page.Request) ([]Template, string, error) {
	p = p.Normalize()
	var cur listCursor
	if err := page.Decode(p.Cursor, &cur); err != nil {
		return nil, "", err
	}
	out := []Template{}
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		return tx.SelectContext(ctx, &out, `SELECT `+templateCols+` FROM coupon_templates
WHERE tenant_id = $1 AND `+where+` AND ($3::timestamptz IS NULL OR (created_at, id) < ($3, $4::uuid))
ORDER BY created_at DESC, id DESC LIMIT $5`, tenancy.ID(ctx), arg, nullTime(cur.T), nullStr(cur.ID), p.Limit+1)
	})
	if err != nil {
		return nil, "", fmt.Errorf("list coupon templates: %w", err)
	}
	out, next := page.Cut(out, p.Limit, func(last Template) any { return listCursor{T: last.CreatedAt, ID: string(last.ID)} })
	return out, next, nil
}

// CreateTemplate adds a coupon template.
func (s *Service) CreateTemplate(ctx context.Context, in TemplateInput) (Template, error) {
	t, err := in.validate(ctx, time.Now())
	if err != nil {
		return Template{}, err
	}
	var out Template
	err = s.DB.InTenant(ctx, func(tx *db.Tx) error {
		tid := tenancy.ID(ctx)
		err := tx.GetContext(ctx, &out, `
INSERT INTO coupon_templates (tenant_id, name, description, kind, amount, percent, max_discount, min_spend, valid_from, valid_until, valid_days,
  total_quantity, per_member_limit, scope, scope_ids, claimable)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING `+templateCols,
			tid, t.Name, t.Description, t.Kind, t.Amount, t.Percent, t.MaxDiscount, t.MinSpend, t.ValidFrom, t.ValidUntil, t.ValidDays,
			t.TotalQuantity, t.PerMemberLimit, t.Scope, t.ScopeIDs, t.Claimable)
		if err != nil {
			return fmt.Errorf("create coupon template: %w", err)
		}
		return audit.Record(ctx, tx, tid, "coupon.create", "coupon_template", string(out.ID), in)
	})
	return out, err
}

// GetTemplate returns a template.
func (s *Service) GetTemplate(ctx context.Context, id TemplateID) (Template, error) {
	if !tenancy.ValidUUID(string(id)) {
		return Template{}, notFound("coupon")
	}
	var t Template
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		return tx.GetContext(ctx, &t, `SELECT `+templateCols+` FROM coupon_templates WHERE tenant_id = $1 AND id = $2`, tenancy.ID(ctx), id)
	})
	return t, db.NotFound(err, "coupon")
}

// UpdateTemplate changes a template (see TemplatePatch for what may change).
func (s *Service) UpdateTemplate(ctx context.Context, id TemplateID, p TemplatePatch) (Template, error) {
	if !tenancy.ValidUUID(string(id)) {
		return Template{}, notFound("coupon")
	}
	if err := p.validate(); err != nil {
		return Template{}, err
	}
	var t Template
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		tid := tenancy.ID(ctx)
		if err := tx.GetContext(ctx, &t, `SELECT `+templateCols+` FROM coupon_templates WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, tid, id); err != nil {
			return db.NotFound(err, "coupon")
		}
		if p.TotalQuantity != nil && *p.TotalQuantity < t.IssuedCount {
			return errs.Field("total_quantity", "below_issued", fmt.Sprintf("%d are already out; the total cannot be less", t.IssuedCount))
		}
		err := tx.GetContext(ctx, &t, `
UPDATE coupon_templates SET
  name             = COALESCE($3, name),
  description      = COALESCE($4, description),
  total_quantity   = CASE WHEN $5 THEN NULL ELSE COALESCE($6, total_quantity) END,
  per_member_limit = COALESCE($7, per_member_limit),
  claimable        = COALESCE($8, claimable),
  status           = COALESCE($9, status),
  updated_at       = now()
WHERE tenant_id = $1 AND id = $2 RETURNING `+templateCols,
			tid, id, p.Name, p.Description, p.Unlimited, p.TotalQuantity, p.PerMemberLimit, p.Claimable, p.Status)
		if err != nil {
			return fmt.Errorf("update coupon template: %w", err)
		}
		return audit.Record(ctx, tx, tid, "coupon.update", "coupon_template", string(id), p)
	})
	return t, err
}

// DisableTemplate stops claims and issues of a template. Coupons members
// already hold stay usable until they expire: they were promised.
func (s *Service) DisableTemplate(ctx context.Context, id TemplateID) error {
	disabled := "disabled"
	_, err := s.UpdateTemplate(ctx, id, TemplatePatch{Status: &disabled})
	return err
}

// lockForGrant takes the template row for an issue and checks it may give
// out coupons now.
func lockForGrant(ctx context.Context, tx *db.Tx, id TemplateID) (Template, error) {
	var t Template
	if err := tx.GetContext(ctx, &t, `SELECT `+templateCols+` FROM coupon_templates WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, tenancy.ID(ctx), id); err != nil {
		return t, db.NotFound(err, "coupon")
	}
	if t.Status != "active" {
		return t, errs.E(errs.InvalidState, "this coupon is disabled")
	}
	if t.ValidUntil != nil && !t.ValidUntil.After(time.Now()) {
		return t, errs.E(errs.InvalidState, "this coupon has ended")
	}
	return t, nil
}

// grant gives one coupon of t to each member, valid from now (or the
// template's start) for its window or its number of days.
func grant(ctx context.Context, tx *db.Tx, t Template, ids []identity.MemberID, source string, issue *IssueID) error {
	if len(ids) == 0 {
		return nil
	}
	var now time.Time
	if err := tx.GetContext(ctx, &now, `SELECT now()`); err != nil {
		return err
	}
	from := now
	if t.ValidFrom != nil && (t.ValidDays == nil || t.ValidFrom.After(now)) {
		from = *t.ValidFrom
	}
	var until time.Time
	if t.ValidDays != nil {
		until = from.AddDate(0, 0, *t.ValidDays)
		if t.ValidUntil != nil && t.ValidUntil.Before(until) {
			until = *t.ValidUntil
		}
	} else {
		until = *t.ValidUntil
	}
	strs := make([]string, len(ids))
	for i, id := range ids {
		strs[i] = string(id)
	}
	_, err := tx.ExecContext(ctx, `
INSERT INTO coupons (tenant_id, template_id, member_id, source, valid_from, valid_until, issue_id)
SELECT $1, $2, m, $3, $4, $5, $7 FROM unnest($6::uuid[]) AS m`, tenancy.ID(ctx), t.ID, source, from, until, pq.Array(strs), issue)
	if err != nil {
		return fmt.Errorf("grant coupons: %w", err)
	}
	return nil
}

// Claim gives the member one coupon of a claimable template. The total
// quantity is never exceeded and the per-member limit holds, whatever runs
// concurrently: the conditional increment of issued_count locks the
// template row, so claims of one template take turns from there.
func (s *Service) Claim(ctx context.Context, member identity.MemberID, id TemplateID) (Coupon, error) {
	if !tenancy.ValidUUID(string(id)) {
		return Coupon{}, notFound("coupon")
	}
	var c Coupon
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		tid := tenancy.ID(ctx)
		var t Template
		err := tx.GetContext(ctx, &t, `
UPDATE coupon_templates SET issued_count = issued_count + 1, updated_at = now()
WHERE tenant_id = $1 AND id = $2 AND status = 'active' AND claimable AND (valid_until IS NULL OR valid_until > now())
  AND (total_quantity IS NULL OR issued_count < total_quantity)
RETURNING `+templateCols, tid, id)
		if errors.Is(err, sql.ErrNoRows) {
			return whyNotClaimable(ctx, tx, id)
		}
		if err != nil {
			return fmt.Errorf("claim: %w", err)
		}
		var held int
		if err := tx.GetContext(ctx, &held, `SELECT count(*) FROM coupons WHERE tenant_id = $1 AND template_id = $2 AND member_id = $3`, tid, id, member); err != nil {
			return err
		}
		if held >= t.PerMemberLimit {
			return errs.E(errs.InvalidState, "you already hold %d of this coupon, the most one member may have", held)
		}
		if err := grant(ctx, tx, t, []identity.MemberID{member}, "claim", nil); err != nil {
			return err
		}
		return tx.GetContext(ctx, &c, couponSelect+` WHERE c.tenant_id = $1 AND c.template_id = $2 AND c.member_id = $3 ORDER BY c.created_at DESC LIMIT 1`, tid, id, member)
	})
	return c, err
}

func whyNotClaimable(ctx context.Context, tx *db.Tx, id TemplateID) error {
	var t Template
	err := tx.GetContext(ctx, &t, `SELECT `+templateCols+` FROM coupon_templates WHERE tenant_id = $1 AND id = $2`, tenancy.ID(ctx), id)
	switch {
	case errors.Is(err, sql.ErrNoRows) || (err == nil && !t.Claimable):
		return notFound("coupon")
	case err != nil:
		return err
	case t.Status != "active":
		return errs.E(errs.InvalidState, "this coupon is no longer available")
	case t.ValidUntil != nil && !t.ValidUntil.After(time.Now()):
		return errs.E(errs.InvalidState, "this coupon has ended")
	default:
		return errs.E(errs.InvalidState, "all of this coupon have been claimed")
	}
}

func (in *IssueInput) audience() (members.Audience, error) {
	v := errs.Validator{}
	n := 0
	for _, set := range []bool{len(in.MemberIDs) > 0, in.LevelID != "", in.TagID != ""} {
		if set {
			n++
		}
	}
	v.Check(n == 1, "member_ids", "one_target", "give exactly one of member_ids, level_id or tag_id")
	v.Check(len(in.MemberIDs) <= IssueBatch, "member_ids", "too_many", fmt.Sprintf("at most %d members at once (issue to a level or a tag for more)", IssueBatch))
	a := members.Audience{LevelID: members.LevelID(in.LevelID), TagID: members.TagID(in.TagID)}
	for _, id := range in.MemberIDs {
		if !tenancy.ValidUUID(id) {
			v.Add("member_ids", "invalid", "not a member id: "+id)
			break
		}
		a.IDs = append(a.IDs, identity.MemberID(id))
	}
	return a, v.Err()
}

// Issue gives one coupon of a template to each active member of a list
// (at most IssueBatch), whether or not the template is claimable, in one
// transaction. Members at the per-member limit are skipped, and so are the
// last ones when the quantity runs out. A level or a tag is issued in the
// background: StartIssue.
func (s *Service) Issue(ctx context.Context, id TemplateID, in IssueInput) (IssueResult, error) {
	var res IssueResult
	if !tenancy.ValidUUID(string(id)) {
		return res, notFound("coupon")
	}
	aud, err := in.audience()
	if err != nil {
		return res, err
	}
	if len(aud.IDs) == 0 {
		return res, errs.Field("member_ids", "required", "a level or a tag is issued in the background (StartIssue)")
	}
	err = s.DB.InTenant(ctx, func(tx *db.Tx) error {
		tid := tenancy.ID(ctx)
		t, err := lockForGrant(ctx, tx, id)
		if err != nil {
			return err
		}
		active, err := s.Members.ActiveAmong(ctx, tx, aud.IDs)
		if err != nil {
			return err
		}
		if res, err = issueTo(ctx, tx, t, active, nil); err != nil {
			return err
		}
		return audit.Record(ctx, tx, tid, "coupon.issue", "coupon_template", string(id), res)
	})
	return res, err
}

// issueTo gives one coupon of t (locked by lockForGrant) to each of the
// active members ids, sorted by id, skipping those at the per-member limit
// and, when the quantity runs out, the last ones; it counts them in
// issued_count. issue is the background issue they belong to, if any.
func issueTo(ctx context.Context, tx *db.Tx, t Template, ids []identity.MemberID, issue *IssueID) (IssueResult, error) {
	res := IssueResult{Targeted: len(ids)}
	tid := tenancy.ID(ctx)
	strs := make([]string, len(ids))
	for i, m := range ids {
		strs[i] = string(m)
	}
	var eligible []identity.MemberID
	if err := tx.SelectContext(ctx, &eligible, `
SELECT m FROM unnest($3::uuid[]) AS m
WHERE (SELECT count(*) FROM coupons c WHERE c.tenant_id = $1 AND c.template_id = $2 AND c.member_id = m) < $4 ORDER BY m`,
		tid, t.ID, pq.Array(strs), t.PerMemberLimit); err != nil {
		return res, err
	}
	res.SkippedLimit = len(ids) - len(eligible)
	if t.TotalQuantity != nil {
		left := max(*t.TotalQuantity-t.IssuedCount, 0)
		if len(eligible) > left {
			res.SkippedQuantity = len(eligible) - left
			eligible = eligible[:left]
		}
	}
	if err := grant(ctx, tx, t, eligible, "issue", issue); err != nil {
		return res, err
	}
	res.Issued = len(eligible)
	_, err := tx.ExecContext(ctx, `UPDATE coupon_templates SET issued_count = issued_count + $3, updated_at = now() WHERE tenant_id = $1 AND id = $2`,
		tid, t.ID, res.Issued)
	return res, err
}

// MemberCoupons returns the member's coupons, newest first; status
// (unused | used | expired) filters when set.
func (s *Service) MemberCoupons(ctx context.Context, member identity.MemberID, status string, p page.Request) ([]Coupon, string, error) {
	if status != "" && status != StatusUnused && status != StatusUsed && status != StatusExpired {
		return nil, "", errs.Field("status", "invalid", `"unused", "used" or "expired"`)
	}
	p = p.Normalize()
	var cur listCursor
	if err := page.Decode(p.Cursor, &cur); err != nil {
		return nil, "", err
	}
	out := []Coupon{}
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		return tx.SelectContext(ctx, &out, `SELECT * FROM (`+couponSelect+`
WHERE c.tenant_id = $1 AND c.member_id = $2 AND ($4::timestamptz IS NULL OR (c.created_at, c.id) < ($4, $5::uuid))) x
WHERE ($3 = '' OR status = $3) ORDER BY created_at DESC, id DESC LIMIT $6`, tenancy.ID(ctx), member, status, nullTime(cur.T), nullStr(cur.ID), p.Limit+1)
	})
	if err != nil {
		return nil, "", fmt.Errorf("member coupons: %w", err)
	}
	out, next := page.Cut(out, p.Limit, func(last Coupon) any { return listCursor{T: last.CreatedAt, ID: string(last.ID)} })
	return out, next, nil
}

// CountsFor counts a member's coupons by status (for the admin's member
// detail).
func (s *Service) CountsFor(ctx context.Context, tx *db.Tx, member identity.MemberID) (map[string]int64, error) {
	var rows []struct {
		Status string `db:"status"`
		N      int64  `db:"n"`
	}
	err := tx.SelectContext(ctx, &rows, `
SELECT CASE WHEN status = 'unused' AND valid_until <= now() THEN 'expired' ELSE status END AS status, count(*) AS n
FROM coupons WHERE tenant_id = $1 AND member_id = $2 GROUP BY 1`, tenancy.ID(ctx), member)
	out := map[string]int64{StatusUnused: 0, StatusUsed: 0, StatusExpired: 0}
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out, err
}

// couponField is the error for a coupon that cannot be used, naming the
// field checkout takes it in.
func couponField(code, msg string) error {
	return errs.Field("coupon_id", code, msg)
}

// usableCoupon reads the member's coupon and says why it cannot be used now
// (nil when it can).
func usableCoupon(ctx context.Context, tx *db.Tx, member identity.MemberID, id CouponID) (Coupon, error) {
	var row struct {
		Coupon
		NotYet bool `db:"not_yet"`
	}
	if !tenancy.ValidUUID(string(id)) {
		return row.Coupon, couponField("not_found", "no such coupon")
	}
	err := tx.GetContext(ctx, &row, `SELECT x.*, x.valid_from > now() AS not_yet FROM (`+couponSelect+`
WHERE c.tenant_id = $1 AND c.id = $2 AND c.member_id = $3) x`, tenancy.ID(ctx), id, member)
	c, notYet := row.Coupon, row.NotYet
	if errors.Is(err, sql.ErrNoRows) {
		return c, couponField("not_found", "no such coupon")
	}
	if err != nil {
		return c, err
	}
	switch {
	case c.Status == StatusUsed:
		return c, couponField("used", "this coupon has already been used")
	case c.Status == StatusExpired:
		return c, couponField("expired", fmt.Sprintf("this coupon expired on %s", c.ValidUntil.Format("2006-01-02 15:04")))
	case notYet:
		return c, couponField("not_yet_valid", fmt.Sprintf("this coupon is valid from %s", c.ValidFrom.Format("2006-01-02 15:04")))
	}
	return c, nil
}

// CouponQuote is the coupon step of a quote: the discount and which of the
// request's lines it covers (Covered[i] is lines[i]). Checkout spreads the
// discount over the covered lines only, so a line outside the coupon's scope
// carries none of it (and a refund of that line gives none of it back).
type CouponQuote struct {
	Discount decimal.Decimal
	Covered  []bool
}

// QuoteCoupon is the coupon step of the quote pipeline: the discount the
// member's coupon gives on these lines (after the level price and the
// promotions, before points and shipping). Only lines in the coupon's scope
// count, and their amount must reach its threshold (min_spend is on the
// covered lines, not the cart). A percent discount is rounded half-even to
// the currency's minor unit, then capped; no discount exceeds the lines it
// covers. It reads; LockCoupon commits the choice.
func (s *Service) QuoteCoupon(ctx context.Context, tx *db.Tx, member identity.MemberID, id CouponID, lines []Line) (CouponQuote, error) {
	c, err := usableCoupon(ctx, tx, member, id)
	if err != nil {
		return CouponQuote{}, err
	}
	in := map[string]bool{}
	for _, x := range c.ScopeIDs {
		in[x] = true
	}
	out := CouponQuote{Discount: decimal.Zero, Covered: make([]bool, len(lines))}
	covered := decimal.Zero
	for i, l := range lines {
		if l.Amount.IsNegative() {
			return CouponQuote{}, errs.Field("lines", "out_of_range", "a line amount is negative")
		}
		if c.Scope == ScopeAll || (c.Scope == ScopeProducts && in[l.ProductID]) || (c.Scope == ScopeCategories && in[l.CategoryID]) {
			out.Covered[i] = true
			covered = covered.Add(l.Amount)
		}
	}
	if !covered.IsPositive() {
		return CouponQuote{}, couponField("not_applicable", "this coupon does not cover any item in the order")
	}
	if covered.LessThan(c.MinSpend) {
		return CouponQuote{}, couponField("below_threshold", fmt.Sprintf("this coupon needs %s of covered items; the order has %s", c.MinSpend, covered))
	}
	var d decimal.Decimal
	if c.Kind == KindFixed {
		d = c.Amount
	} else {
		d = covered.Mul(c.Percent).Div(decimal.NewFromInt(100)).RoundBank(minorUnits(ctx))
		if c.MaxDiscount != nil && d.GreaterThan(*c.MaxDiscount) {
			d = *c.MaxDiscount
		}
	}
	out.Discount = decimal.Min(d, covered)
	return out, nil
}

// LockCoupon marks the member's coupon used by an order, in checkout's
// transaction. It is one conditional UPDATE (unused and valid now), so of two
// concurrent checkouts with the same coupon exactly one gets it; the other
// gets a coupon_id error. Locking again for the same order is a no-op.
func (s *Service) LockCoupon(ctx context.Context, tx *db.Tx, member identity.MemberID, id CouponID, orderID string) error {
	if !tenancy.ValidUUID(orderID) {
		return errs.Field("order_id", "invalid", "an order id (UUID)")
	}
	if !tenancy.ValidUUID(string(id)) {
		return couponField("not_found", "no such coupon")
	}
	res, err := tx.ExecContext(ctx, `
UPDATE coupons SET status = 'used', order_id = $4, used_at = now()
WHERE tenant_id = $1 AND id = $2 AND member_id = $3 AND status = 'unused' AND valid_from <= now() AND valid_until > now()`,
		tenancy.ID(ctx), id, member, orderID)
	if err != nil {
		return fmt.Errorf("lock coupon: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	c, err := usableCoupon(ctx, tx, member, id)
	if c.OrderID != nil && *c.OrderID == orderID {
		return nil
	}
	if err != nil {
		return err
	}
	return fmt.Errorf("lock coupon %s: not locked, no reason found", id)
}

// ReleaseCoupon gives the coupon back when the order that locked it is
// cancelled (or never created). Releasing a coupon the order does not hold is
// a no-op when it is unused, a conflict when another order holds it. A
// released coupon past its validity shows as expired.
func (s *Service) ReleaseCoupon(ctx context.Context, tx *db.Tx, member identity.MemberID, id CouponID, orderID string) error {
	if !tenancy.ValidUUID(string(id)) || !tenancy.ValidUUID(orderID) {
		return notFound("coupon")
	}
	var status string
	err := tx.GetContext(ctx, &status, `
WITH rel AS (
  UPDATE coupons SET status = 'unused', order_id = NULL, used_at = NULL
  WHERE tenant_id = $1 AND id = $2 AND member_id = $3 AND order_id = $4 RETURNING 'released'::text AS s)
SELECT COALESCE((SELECT s FROM rel), (SELECT CASE WHEN order_id IS NULL THEN 'free' ELSE 'other' END FROM coupons WHERE tenant_id = $1 AND id = $2 AND member_id = $3), 'missing')`,
		tenancy.ID(ctx), id, member, orderID)
	if err != nil {
		return fmt.Errorf("release coupon: %w", err)
	}
	switch status {
	case "missing":
		return notFound("coupon")
	case "other":
		return errs.E(errs.Conflict, "another order holds this coupon")
	}
	return nil
}
