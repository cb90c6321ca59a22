package members

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/audit"
	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/identity"
	"github.com/banyanmall/banyan/core/tenancy"
)

// LevelID identifies a member level.
type LevelID string

// Level is a merchant-defined member level (e.g. 普通 / 银牌 / 金牌).
//
// A member reaches a level when their cumulative paid spend (ThresholdKind
// "spend", in currency units) or growth value ("growth") is at least
// Threshold; the member holds the highest-ranked level they reach. Levels
// only go up by themselves; the merchant may set any level by hand.
//
// PriceFactor multiplies the member's prices: "0.95" is 5% off, "1" none.
// PointsMultiplier multiplies the points earned on orders.
type Level struct {
	ID               LevelID         `db:"id" json:"id"`
	Name             string          `db:"name" json:"name"`
	Rank             int             `db:"rank" json:"rank"`
	ThresholdKind    string          `db:"threshold_kind" json:"threshold_kind"`
	Threshold        decimal.Decimal `db:"threshold" json:"threshold"`
	PriceFactor      decimal.Decimal `db:"price_factor" json:"price_factor"`
	PointsMultiplier decimal.Decimal `db:"points_multiplier" json:"points_multiplier"`
	FreeShipping     bool            `db:"free_shipping" json:"free_shipping"`
	CreatedAt        time.Time       `db:"created_at" json:"created_at"`
	UpdatedAt        time.Time       `db:"updated_at" json:"updated_at"`
}

// NoLevel is the level of a member of a shop that defines none: no benefits.
// Its ID is empty.
var NoLevel = Level{PriceFactor: decimal.NewFromInt(1), PointsMultiplier: decimal.NewFromInt(1)}

// LevelInput creates a level (Name, Rank, ThresholdKind and Threshold
// required) or changes one (only the fields sent).
type LevelInput struct {
	Name             *string          `json:"name"`
	Rank             *int             `json:"rank"`
	ThresholdKind    *string          `json:"threshold_kind"`
	Threshold        *decimal.Decimal `json:"threshold"`
	PriceFactor      *decimal.Decimal `json:"price_factor"`
	PointsMultiplier *decimal.Decimal `json:"points_multiplier"`
	FreeShipping     *bool            `json:"free_shipping"`
}

func (in *LevelInput) validate(create bool) error {
	v := errs.Validator{}
	if in.Name != nil {
		*in.Name = strings.TrimSpace(*in.Name)
	}
	required := func(ok bool, field string) {
		v.Check(!create || ok, field, "required", field+" is required")
	}
	required(in.Name != nil, "name")
	required(in.Rank != nil, "rank")
	required(in.ThresholdKind != nil, "threshold_kind")
	required(in.Threshold != nil, "threshold")
	if in.Name != nil {
		v.Check(*in.Name != "" && utf8.RuneCountInString(*in.Name) <= 32, "name", "invalid", "1–32 characters")
	}
	if in.Rank != nil {
		v.Check(*in.Rank >= 0 && *in.Rank <= 99, "rank", "out_of_range", "a whole number from 0 (lowest) to 99")
	}
	if in.ThresholdKind != nil {
		v.Check(*in.ThresholdKind == "spend" || *in.ThresholdKind == "growth", "threshold_kind", "invalid", `"spend" (cumulative paid amount) or "growth" (growth value)`)
	}
	if in.Threshold != nil {
		checkDecimal(&v, "threshold", *in.Threshold, decimal.Zero, decimal.New(1, 15), 2, "must not be negative")
	}
	if in.PriceFactor != nil {
		p := *in.PriceFactor
		v.Check(p.IsPositive() && p.LessThanOrEqual(decimal.NewFromInt(1)) && p.Equal(p.Truncate(4)), "price_factor", "out_of_range",
			`a price factor above 0 and at most 1 with up to 4 decimals: "0.95" is 5% off, "1" is no discount`)
	}
	if in.PointsMultiplier != nil {
		checkDecimal(&v, "points_multiplier", *in.PointsMultiplier, decimal.Zero, decimal.NewFromInt(100), 2, "from 0 to 100, up to 2 decimals")
	}
	return v.Err()
}

// checkDecimal records a field error unless min <= d <= max with at most
// places decimals.
func checkDecimal(v *errs.Validator, field string, d, min, max decimal.Decimal, places int32, msg string) {
	switch {
	case d.LessThan(min) || d.GreaterThan(max):
		v.Add(field, "out_of_range", msg)
	case !d.Equal(d.Truncate(places)):
		v.Add(field, "too_precise", fmt.Sprintf("at most %d decimals", places))
	}
}

const levelCols = `id, name, rank, threshold_kind, threshold, price_factor, points_multiplier, free_shipping, created_at, updated_at`

// ListLevels returns the shop's levels, lowest rank first.
func (s *Service) ListLevels(ctx context.Context) ([]Level, error) {
	out := []Level{}
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		return tx.SelectContext(ctx, &out, `SELECT `+levelCols+` FROM member_levels WHERE tenant_id = $1 ORDER BY rank`, tenancy.ID(ctx))
	})
	return out, err
}

func levelWriteError(err error) error {
	switch {
	case db.IsUnique(err, "member_levels_rank_key"):
		return errs.Field("rank", "taken", "another level has this rank")
	case db.IsUnique(err, "member_levels_name_key"):
		return errs.Field("name", "taken", "another level has this name")
	}
	return err
}

// CreateLevel adds a level. Members who already reach it are moved up.
func (s *Service) CreateLevel(ctx context.Context, in LevelInput) (Level, error) {
	if err := in.validate(true); err != nil {
		return Level{}, err
	}
	one := decimal.NewFromInt(1)
	if in.PriceFactor == nil {
		in.PriceFactor = &one
	}
	if in.PointsMultiplier == nil {
		in.PointsMultiplier = &one
	}
	if in.FreeShipping == nil {
		f := false
		in.FreeShipping = &f
	}
	var l Level
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		tid := tenancy.ID(ctx)
		err := tx.GetContext(ctx, &l, `
INSERT INTO member_levels (tenant_id, name, rank, threshold_kind, threshold, price_factor, points_multiplier, free_shipping)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING `+levelCols,
			tid, *in.Name, *in.Rank, *in.ThresholdKind, *in.Threshold, *in.PriceFactor, *in.PointsMultiplier, *in.FreeShipping)
		if err != nil {
			return fmt.Errorf("create level: %w", levelWriteError(err))
		}
		if _, err := s.upgrade(ctx, tx, "", "rule", ""); err != nil {
			return err
		}
		return audit.Record(ctx, tx, tid, "member_level.create", "member_level", string(l.ID), in)
	})
	return l, err
}

// UpdateLevel changes a level. Members who now reach a higher level are moved
// up; nobody is moved down.
func (s *Service) UpdateLevel(ctx context.Context, id LevelID, in LevelInput) (Level, error) {
	if !tenancy.ValidUUID(string(id)) {
		return Level{}, errs.E(errs.NotFound, "level not found")
	}
	if err := in.validate(false); err != nil {
		return Level{}, err
	}
	var l Level
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		tid := tenancy.ID(ctx)
		err := tx.GetContext(ctx, &l, `
UPDATE member_levels SET
  name              = COALESCE($3, name),
  rank              = COALESCE($4, rank),
  threshold_kind    = COALESCE($5, threshold_kind),
  threshold         = COALESCE($6, threshold),
  price_factor      = COALESCE($7, price_factor),
  points_multiplier = COALESCE($8, points_multiplier),
  free_shipping     = COALESCE($9, free_shipping),
  updated_at        = now()
WHERE tenant_id = $1 AND id = $2 RETURNING `+levelCols,
			tid, id, in.Name, in.Rank, in.ThresholdKind, nullDec(in.Threshold), nullDec(in.PriceFactor), nullDec(in.PointsMultiplier), in.FreeShipping)
		if err != nil {
			return fmt.Errorf("update level: %w", db.NotFound(levelWriteError(err), "level"))
		}
		if _, err := s.upgrade(ctx, tx, "", "rule", ""); err != nil {
			return err
		}
		return audit.Record(ctx, tx, tid, "member_level.update", "member_level", string(id), in)
	})
	return l, err
}

func nullDec(d *decimal.Decimal) any {
	if d == nil {
		return nil
	}
	return *d
}

// DeleteLevel removes a level no member holds.
func (s *Service) DeleteLevel(ctx context.Context, id LevelID) error {
	if !tenancy.ValidUUID(string(id)) {
		return errs.E(errs.NotFound, "level not found")
	}
	return s.DB.InTenant(ctx, func(tx *db.Tx) error {
		tid := tenancy.ID(ctx)
		var held int
		if err := tx.GetContext(ctx, &held, `SELECT count(*) FROM members WHERE tenant_id = $1 AND level_id = $2`, tid, id); err != nil {
			return err
		}
		if held > 0 {
			return errs.E(errs.Conflict, "%d members hold this level; move them to another level first", held)
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM member_levels WHERE tenant_id = $1 AND id = $2`, tid, id)
		if _, name, ok := db.Constraint(err); ok && name == "members_level_fkey" {
			return errs.E(errs.Conflict, "a member was just moved to this level; move them to another level first")
		}
		if err != nil {
			return fmt.Errorf("delete level: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.E(errs.NotFound, "level not found")
		}
		return audit.Record(ctx, tx, tid, "member_level.delete", "member_level", string(id), nil)
	})
}

// LevelOf returns the member's level (NoLevel when the shop defines none or
// the member holds none), read in the caller's transaction: the quote
// pipeline applies its PriceFactor and FreeShipping.
func (s *Service) LevelOf(ctx context.Context, tx *db.Tx, memberID identity.MemberID) (Level, error) {
	if !tenancy.ValidUUID(string(memberID)) {
		return Level{}, errs.E(errs.NotFound, "member not found")
	}
	var row struct {
		LevelID *LevelID `db:"level_id"`
	}
	tid := tenancy.ID(ctx)
	if err := tx.GetContext(ctx, &row, `SELECT level_id FROM members WHERE tenant_id = $1 AND id = $2`, tid, memberID); err != nil {
		return Level{}, db.NotFound(err, "member")
	}
	if row.LevelID == nil {
		return NoLevel, nil
	}
	var l Level
	err := tx.GetContext(ctx, &l, `SELECT `+levelCols+` FROM member_levels WHERE tenant_id = $1 AND id = $2`, tid, *row.LevelID)
	if errors.Is(err, sql.ErrNoRows) {
		return NoLevel, nil
	}
	return l, err
}

// upgrade moves members (one, or every member of the shop when memberID is
// empty) up to the highest-ranked level they reach, never down, and records
// each move in member_level_history. It returns how many moved.
func (s *Service) upgrade(ctx context.Context, tx *db.Tx, memberID identity.MemberID, reason, orderID string) (int64, error) {
	actor := ""
	if a, ok := identity.ActorFrom(ctx); ok && a.Kind == "staff" {
		actor = string(a.UserID)
	}
	// The level_id guard in the UPDATE makes a concurrent move win instead
	// of being overwritten by a level computed from an older snapshot.
	res, err := tx.ExecContext(ctx, `
WITH target AS (
  SELECT m.id AS member_id, m.level_id AS old_id, COALESCE(cur.name, '') AS old_name, best.id AS new_id, best.name AS new_name
  FROM members m
  LEFT JOIN member_levels cur ON cur.tenant_id = m.tenant_id AND cur.id = m.level_id
  CROSS JOIN LATERAL (
    SELECT l.id, l.rank, l.name FROM member_levels l
    WHERE l.tenant_id = m.tenant_id
      AND CASE l.threshold_kind WHEN 'spend' THEN m.total_spend >= l.threshold ELSE m.growth >= l.threshold END
    ORDER BY l.rank DESC LIMIT 1) best
  WHERE m.tenant_id = $1 AND ($2::uuid IS NULL OR m.id = $2::uuid) AND best.rank > COALESCE(cur.rank, -1)
), upd AS (
  UPDATE members m SET level_id = t.new_id, updated_at = now() FROM target t
  WHERE m.tenant_id = $1 AND m.id = t.member_id AND m.level_id IS NOT DISTINCT FROM t.old_id
  RETURNING m.id
)
INSERT INTO member_level_history (tenant_id, member_id, from_level_id, to_level_id, from_name, to_name, reason, order_id, actor_id)
SELECT $1, t.member_id, t.old_id, t.new_id, t.old_name, t.new_name, $3, $4::uuid, $5 FROM target t JOIN upd ON upd.id = t.member_id`,
		tenancy.ID(ctx), nullStr(string(memberID)), reason, nullStr(orderID), actor)
	if err != nil {
		return 0, fmt.Errorf("level upgrade: %w", err)
	}
	return res.RowsAffected()
}

// RecordCompletedOrder counts a completed order towards the member's spend
// and growth value and moves the member up when a threshold is crossed. The
// orders capability calls it in the transaction that completes the order.
// It is idempotent per order: a second call for the same order changes
// nothing. It returns the member's level afterwards.
func (s *Service) RecordCompletedOrder(ctx context.Context, tx *db.Tx, memberID identity.MemberID, orderID string, paid decimal.Decimal) (Level, error) {
	if !tenancy.ValidUUID(string(memberID)) {
		return Level{}, errs.E(errs.NotFound, "member not found")
	}
	if !tenancy.ValidUUID(orderID) {
		return Level{}, errs.Field("order_id", "invalid", "an order id (UUID)")
	}
	if paid.IsNegative() {
		return Level{}, errs.Field("paid_amount", "out_of_range", "must not be negative")
	}
	st, err := s.pointsSettings(ctx, tx)
	if err != nil {
		return Level{}, err
	}
	paid = paid.Round(2)
	growth := paid.Mul(st.GrowthPerUnit).Floor().IntPart()
	tid := tenancy.ID(ctx)
	res, err := tx.ExecContext(ctx, `
INSERT INTO member_order_credits (tenant_id, order_id, member_id, paid_amount, growth) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (tenant_id, order_id) DO NOTHING`, tid, orderID, memberID, paid, growth)
	if code, _, ok := db.Constraint(err); ok && code == "23503" {
		return Level{}, errs.E(errs.NotFound, "member not found")
	}
	if err != nil {
		return Level{}, fmt.Errorf("record completed order: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		if _, err := tx.ExecContext(ctx, `UPDATE members SET total_spend = total_spend + $3, growth = growth + $4, updated_at = now() WHERE tenant_id = $1 AND id = $2`,
			tid, memberID, paid, growth); err != nil {
			return Level{}, fmt.Errorf("record completed order: %w", err)
		}
		if _, err := s.upgrade(ctx, tx, memberID, "order", orderID); err != nil {
			return Level{}, err
		}
	}
	return s.LevelOf(ctx, tx, memberID)
}

// RecordOrderRefund takes a refund of a completed order off the member's
// cumulative spend and growth value, in the refund's transaction. Only
// orders RecordCompletedOrder counted are concerned: a refund before
// completion is already left out of what completion counts, so it is a
// no-op (false). What refunds take back never exceeds what the order added.
// Idempotent per refund id. The level stays: levels are reached, never
// lost by a refund (a merchant who wants a downgrade sets the level by hand);
// the lower spend only delays the next upgrade.
func (s *Service) RecordOrderRefund(ctx context.Context, tx *db.Tx, memberID identity.MemberID, orderID, refundID string, amount decimal.Decimal) (bool, error) {
	if !tenancy.ValidUUID(string(memberID)) {
		return false, errs.E(errs.NotFound, "member not found")
	}
	if err := checkOrderID(orderID); err != nil {
		return false, err
	}
	if refundID == "" || len(refundID) > 64 {
		return false, errs.Field("refund_id", "invalid", "1–64 characters naming the refund")
	}
	if !amount.IsPositive() {
		return false, errs.Field("amount", "out_of_range", "a positive refunded amount")
	}
	tid := tenancy.ID(ctx)
	// The member row lock orders this against RecordCompletedOrder and other
	// refunds of the member, so the sums below are exact.
	if err := lockMember(ctx, tx, memberID); err != nil {
		return false, err
	}
	var c struct {
		Paid        decimal.Decimal `db:"paid_amount"`
		Growth      int64           `db:"growth"`
		RefundedAmt decimal.Decimal `db:"refunded"`
		RefundedGr  int64           `db:"refunded_growth"`
		Done        bool            `db:"done"`
	}
	err := tx.GetContext(ctx, &c, `
SELECT c.paid_amount, c.growth,
  COALESCE((SELECT sum(amount) FROM member_order_refunds r WHERE r.tenant_id = c.tenant_id AND r.order_id = c.order_id), 0) AS refunded,
  COALESCE((SELECT sum(growth) FROM member_order_refunds r WHERE r.tenant_id = c.tenant_id AND r.order_id = c.order_id), 0) AS refunded_growth,
  EXISTS (SELECT 1 FROM member_order_refunds r WHERE r.tenant_id = c.tenant_id AND r.refund_id = $4) AS done
FROM member_order_credits c WHERE c.tenant_id = $1 AND c.order_id = $2 AND c.member_id = $3`, tid, orderID, memberID, refundID)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("record order refund: %w", err)
	}
	if c.Done {
		return true, nil
	}
	st, err := s.pointsSettings(ctx, tx)
	if err != nil {
		return false, err
	}
	amt := decimal.Min(amount.Round(2), c.Paid.Sub(c.RefundedAmt))
	growth := min(amt.Mul(st.GrowthPerUnit).Floor().IntPart(), c.Growth-c.RefundedGr)
	if amt.IsNegative() {
		amt = decimal.Zero
	}
	growth = max(growth, 0)
	if _, err := tx.ExecContext(ctx, `INSERT INTO member_order_refunds (tenant_id, refund_id, order_id, member_id, amount, growth) VALUES ($1, $2, $3, $4, $5, $6)`,
		tid, refundID, orderID, memberID, amt, growth); err != nil {
		return false, fmt.Errorf("record order refund: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE members SET total_spend = total_spend - $3, growth = growth - $4, updated_at = now() WHERE tenant_id = $1 AND id = $2`,
		tid, memberID, amt, growth); err != nil {
		return false, fmt.Errorf("record order refund: %w", err)
	}
	return true, nil
}

// LevelChange is one entry of a member's level history.
type LevelChange struct {
	ID          int64     `db:"id" json:"id"`
	FromLevelID *LevelID  `db:"from_level_id" json:"from_level_id"`
	ToLevelID   *LevelID  `db:"to_level_id" json:"to_level_id"`
	FromName    string    `db:"from_name" json:"from_name"`
	ToName      string    `db:"to_name" json:"to_name"`
	Reason      string    `db:"reason" json:"reason"`
	OrderID     *string   `db:"order_id" json:"order_id"`
	ActorID     string    `db:"actor_id" json:"actor_id"`
	CreatedAt   time.Time `db:"created_at" json:"created_at"`
}

func (s *Service) levelHistory(ctx context.Context, tx *db.Tx, id identity.MemberID, limit int) ([]LevelChange, error) {
	out := []LevelChange{}
	err := tx.SelectContext(ctx, &out, `
SELECT id, from_level_id, to_level_id, from_name, to_name, reason, order_id, actor_id, created_at
FROM member_level_history WHERE tenant_id = $1 AND member_id = $2 ORDER BY id DESC LIMIT $3`, tenancy.ID(ctx), id, limit)
	return out, err
}
