package members

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/audit"
	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/identity"
	"github.com/banyanmall/banyan/core/page"
	"github.com/banyanmall/banyan/core/tenancy"
	"github.com/banyanmall/banyan/tenants"
)

// PointsKind says why a member's points changed.
type PointsKind string

// Kinds of points movements. Credits (positive) are earn, spend_refund,
// exchange_refund and positive adjust; the rest are debits.
const (
	PointsEarn           PointsKind = "earn"            // completed order × level multiplier
	PointsEarnReversal   PointsKind = "earn_reversal"   // refund: takes earned points back
	PointsSpend          PointsKind = "spend"           // redeemed at checkout
	PointsSpendRefund    PointsKind = "spend_refund"    // refund/cancel: gives redeemed points back
	PointsExchange       PointsKind = "exchange"        // exchanged for points goods
	PointsExchangeRefund PointsKind = "exchange_refund" // refund of an exchange
	PointsAdjust         PointsKind = "adjust"          // by the merchant, with a reason
	PointsExpire         PointsKind = "expire"          // credits past their expiry
)

// PointsSettings are a shop's points rules.
type PointsSettings struct {
	// EarnPerUnit: points earned per currency unit paid on a completed
	// order, before the level's multiplier (rounded down).
	EarnPerUnit decimal.Decimal `db:"earn_per_unit" json:"earn_per_unit"`
	// GrowthPerUnit: growth value per currency unit paid (for levels).
	GrowthPerUnit decimal.Decimal `db:"growth_per_unit" json:"growth_per_unit"`
	// RedeemEnabled: points may pay part of an order at checkout.
	RedeemEnabled bool `db:"redeem_enabled" json:"redeem_enabled"`
	// PointsPerUnit: how many points pay one currency unit (100 = 1 CNY).
	PointsPerUnit int64 `db:"points_per_unit" json:"points_per_unit"`
	// MaxRedeemShare: the largest share of an order points may pay (0.5 = 50%).
	MaxRedeemShare decimal.Decimal `db:"max_redeem_share" json:"max_redeem_share"`
	// ExpiryMonths: credits expire this many months after they are granted;
	// 0 = never.
	ExpiryMonths int `db:"expiry_months" json:"expiry_months"`
}

// DefaultPointsSettings apply until a shop changes them.
var DefaultPointsSettings = PointsSettings{
	EarnPerUnit: decimal.NewFromInt(1), GrowthPerUnit: decimal.NewFromInt(1), RedeemEnabled: true,
	PointsPerUnit: 100, MaxRedeemShare: decimal.RequireFromString("0.5"), ExpiryMonths: 0,
}

// PointsSettingsPatch changes the fields sent.
type PointsSettingsPatch struct {
	EarnPerUnit    *decimal.Decimal `json:"earn_per_unit"`
	GrowthPerUnit  *decimal.Decimal `json:"growth_per_unit"`
	RedeemEnabled  *bool            `json:"redeem_enabled"`
	PointsPerUnit  *int64           `json:"points_per_unit"`
	MaxRedeemShare *decimal.Decimal `json:"max_redeem_share"`
	ExpiryMonths   *int             `json:"expiry_months"`
}

func (p PointsSettingsPatch) apply(st PointsSettings) (PointsSettings, error) {
	v := errs.Validator{}
	if p.EarnPerUnit != nil {
		checkDecimal(&v, "earn_per_unit", *p.EarnPerUnit, decimal.Zero, decimal.NewFromInt(10000), 4, "from 0 to 10000 points per currency unit")
		st.EarnPerUnit = *p.EarnPerUnit
	}
	if p.GrowthPerUnit != nil {
		checkDecimal(&v, "growth_per_unit", *p.GrowthPerUnit, decimal.Zero, decimal.NewFromInt(10000), 4, "from 0 to 10000 per currency unit")
		st.GrowthPerUnit = *p.GrowthPerUnit
	}
	if p.RedeemEnabled != nil {
		st.RedeemEnabled = *p.RedeemEnabled
	}
	if p.PointsPerUnit != nil {
		v.Check(*p.PointsPerUnit >= 1 && *p.PointsPerUnit <= 1000000, "points_per_unit", "out_of_range", "from 1 to 1000000 points per currency unit")
		st.PointsPerUnit = *p.PointsPerUnit
	}
	if p.MaxRedeemShare != nil {
		checkDecimal(&v, "max_redeem_share", *p.MaxRedeemShare, decimal.Zero, decimal.NewFromInt(1), 4, `a share from 0 to 1 ("0.5" = half the order)`)
		st.MaxRedeemShare = *p.MaxRedeemShare
	}
	if p.ExpiryMonths != nil {
		v.Check(*p.ExpiryMonths >= 0 && *p.ExpiryMonths <= 120, "expiry_months", "out_of_range", "from 0 (never) to 120 months")
		st.ExpiryMonths = *p.ExpiryMonths
	}
	return st, v.Err()
}

const pointsSettingsCols = `earn_per_unit, growth_per_unit, redeem_enabled, points_per_unit, max_redeem_share, expiry_months`

func (s *Service) pointsSettings(ctx context.Context, tx *db.Tx) (PointsSettings, error) {
	st := DefaultPointsSettings
	err := tx.GetContext(ctx, &st, `SELECT `+pointsSettingsCols+` FROM points_settings WHERE tenant_id = $1`, tenancy.ID(ctx))
	if errors.Is(err, sql.ErrNoRows) {
		return DefaultPointsSettings, nil
	}
	return st, err
}

// PointsSettings returns the shop's points rules.
func (s *Service) PointsSettings(ctx context.Context) (PointsSettings, error) {
	var st PointsSettings
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		var err error
		st, err = s.pointsSettings(ctx, tx)
		return err
	})
	return st, err
}

// UpdatePointsSettings changes the shop's points rules. They apply to
// movements from now on; past ledger rows keep what they were.
func (s *Service) UpdatePointsSettings(ctx context.Context, p PointsSettingsPatch) (PointsSettings, error) {
	var st PointsSettings
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		tid := tenancy.ID(ctx)
		// Serialises concurrent changes of the same shop's settings.
		if _, err := tx.ExecContext(ctx, `INSERT INTO points_settings (tenant_id) VALUES ($1) ON CONFLICT DO NOTHING`, tid); err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &st, `SELECT `+pointsSettingsCols+` FROM points_settings WHERE tenant_id = $1 FOR UPDATE`, tid); err != nil {
			return err
		}
		var err error
		if st, err = p.apply(st); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
UPDATE points_settings SET earn_per_unit = $2, growth_per_unit = $3, redeem_enabled = $4, points_per_unit = $5,
  max_redeem_share = $6, expiry_months = $7, updated_at = now() WHERE tenant_id = $1`,
			tid, st.EarnPerUnit, st.GrowthPerUnit, st.RedeemEnabled, st.PointsPerUnit, st.MaxRedeemShare, st.ExpiryMonths); err != nil {
			return fmt.Errorf("points settings: %w", err)
		}
		return audit.Record(ctx, tx, tid, "points_settings.update", "tenant", string(tid), p)
	})
	return st, err
}

// PointsEntry is one row of a member's points ledger.
type PointsEntry struct {
	ID           int64      `db:"id" json:"id"`
	Delta        int64      `db:"delta" json:"delta"`
	BalanceAfter int64      `db:"balance_after" json:"balance_after"`
	Kind         PointsKind `db:"kind" json:"kind"`
	OrderID      *string    `db:"order_id" json:"order_id"`
	Reason       string     `db:"reason" json:"reason"`
	ExpiresAt    *time.Time `db:"expires_at" json:"expires_at"`
	ActorID      string     `db:"actor_id" json:"-"`
	CreatedAt    time.Time  `db:"created_at" json:"created_at"`
}

// PointsPage is a member's balance with a page of the ledger, newest first.
type PointsPage struct {
	Balance int64 `json:"balance"`
	// ExpiringSoon is how much of the balance expires within 30 days.
	ExpiringSoon int64         `json:"expiring_soon"`
	Items        []PointsEntry `json:"items"`
	NextCursor   string        `json:"next_cursor"`
}

// pointsState is the member's ledger summed. Expiry is first-in-first-out by
// expiry date: debits consume the credits that expire soonest, so what has
// expired unconsumed is (credits expired by now) − (all debits so far).
type pointsState struct {
	Balance      int64 `db:"balance"`
	DueExpiry    int64 `db:"due"`
	ExpiringSoon int64 `db:"soon"`
}

func (s *Service) pointsState(ctx context.Context, tx *db.Tx, id identity.MemberID) (pointsState, error) {
	var st pointsState
	err := tx.GetContext(ctx, &st, `
WITH t AS (
  SELECT COALESCE(sum(delta), 0) AS balance,
         COALESCE(sum(delta) FILTER (WHERE expires_at <= now()), 0) AS expired,
         COALESCE(sum(delta) FILTER (WHERE expires_at <= now() + interval '30 days'), 0) AS expiring,
         COALESCE(-sum(delta) FILTER (WHERE delta < 0), 0) AS debits
  FROM member_points WHERE tenant_id = $1 AND member_id = $2)
SELECT balance, GREATEST(expired - debits, 0) AS due,
       GREATEST(expiring - debits - GREATEST(expired - debits, 0), 0) AS soon FROM t`, tenancy.ID(ctx), id)
	return st, err
}

// AvailablePoints is the member's balance net of expiry that has fallen
// due, read in the caller's transaction (checkout quotes points goods with
// it; SpendPoints is what commits, under the member's lock).
func (s *Service) AvailablePoints(ctx context.Context, tx *db.Tx, id identity.MemberID) (int64, error) {
	if !tenancy.ValidUUID(string(id)) {
		return 0, errs.E(errs.NotFound, "member not found")
	}
	st, err := s.pointsState(ctx, tx, id)
	return st.Balance - st.DueExpiry, err
}

// lockPoints locks the member's points for a change — the member row, FOR NO
// KEY UPDATE so that sessions and other rows referencing the member are not
// blocked — writes any expiry that has fallen due, and returns the state.
// Every change of points goes through it, which is what keeps two concurrent
// spends from taking the balance below zero.
func (s *Service) lockPoints(ctx context.Context, tx *db.Tx, id identity.MemberID) (pointsState, error) {
	if !tenancy.ValidUUID(string(id)) {
		return pointsState{}, errs.E(errs.NotFound, "member not found")
	}
	if err := lockMember(ctx, tx, id); err != nil {
		return pointsState{}, err
	}
	st, err := s.pointsState(ctx, tx, id)
	if err != nil {
		return st, err
	}
	if st.DueExpiry > 0 {
		st.Balance -= st.DueExpiry
		if err := s.insertPoints(ctx, tx, id, pointsRow{delta: -st.DueExpiry, balance: st.Balance, kind: PointsExpire, reason: "points expired"}); err != nil {
			return st, err
		}
		st.DueExpiry = 0
	}
	return st, nil
}

type pointsRow struct {
	delta, balance int64
	kind           PointsKind
	orderID, ref   string
	reason         string
	expiryMonths   int // credits only
}

func (s *Service) insertPoints(ctx context.Context, tx *db.Tx, id identity.MemberID, r pointsRow) error {
	actor := ""
	if a, ok := identity.ActorFrom(ctx); ok && a.Kind == "staff" {
		actor = string(a.UserID)
	}
	months := 0
	if r.delta > 0 {
		months = r.expiryMonths
	}
	_, err := tx.ExecContext(ctx, `
INSERT INTO member_points (tenant_id, member_id, delta, balance_after, kind, order_id, ref, reason, expires_at, actor_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CASE WHEN $9::int > 0 THEN now() + make_interval(months => $9::int) END, $10)`,
		tenancy.ID(ctx), id, r.delta, r.balance, r.kind, nullStr(r.orderID), r.ref, r.reason, months, actor)
	if err != nil {
		return fmt.Errorf("points %s: %w", r.kind, err)
	}
	return nil
}

// orderPoints sums the member's ledger rows of one order by kind.
func (s *Service) orderPoints(ctx context.Context, tx *db.Tx, id identity.MemberID, orderID, ref string) (map[PointsKind]int64, error) {
	var rows []struct {
		Kind PointsKind `db:"kind"`
		Sum  int64      `db:"sum"`
	}
	err := tx.SelectContext(ctx, &rows, `
SELECT kind, sum(delta) AS sum FROM member_points
WHERE tenant_id = $1 AND member_id = $2 AND order_id = $3 AND ($4 = '' OR ref = $4) GROUP BY kind`, tenancy.ID(ctx), id, orderID, ref)
	out := map[PointsKind]int64{}
	for _, r := range rows {
		out[r.Kind] = r.Sum
	}
	return out, err
}

func checkOrderID(orderID string) error {
	if !tenancy.ValidUUID(orderID) {
		return errs.Field("order_id", "invalid", "an order id (UUID)")
	}
	return nil
}

// EarnPoints credits the points a completed order earns: the paid amount ×
// the shop's points per currency unit × the member's level multiplier,
// rounded down. Idempotent per order: a second call returns the points the
// first credited. Call it before RecordCompletedOrder so that the level the
// member held when paying is the one that counts.
func (s *Service) EarnPoints(ctx context.Context, tx *db.Tx, memberID identity.MemberID, orderID string, paid decimal.Decimal) (int64, error) {
	if err := checkOrderID(orderID); err != nil {
		return 0, err
	}
	if paid.IsNegative() {
		return 0, errs.Field("paid_amount", "out_of_range", "must not be negative")
	}
	st, err := s.lockPoints(ctx, tx, memberID)
	if err != nil {
		return 0, err
	}
	done, err := s.orderPoints(ctx, tx, memberID, orderID, "")
	if err != nil {
		return 0, err
	}
	if n, ok := done[PointsEarn]; ok {
		return n, nil
	}
	set, err := s.pointsSettings(ctx, tx)
	if err != nil {
		return 0, err
	}
	lvl, err := s.LevelOf(ctx, tx, memberID)
	if err != nil {
		return 0, err
	}
	pts := paid.Mul(set.EarnPerUnit).Mul(lvl.PointsMultiplier).Floor().IntPart()
	if pts <= 0 {
		return 0, nil
	}
	return pts, s.insertPoints(ctx, tx, memberID, pointsRow{delta: pts, balance: st.Balance + pts, kind: PointsEarn, orderID: orderID,
		reason: "order completed", expiryMonths: set.ExpiryMonths})
}

// SpendPoints debits points for an order: kind PointsSpend when they pay
// part of the order at checkout (quote them with QuotePoints first), or
// PointsExchange when they buy points goods. The balance never goes below
// zero, whatever runs concurrently. Idempotent per (order, kind): repeating
// the same call changes nothing; a different amount for the same order is a
// conflict.
func (s *Service) SpendPoints(ctx context.Context, tx *db.Tx, memberID identity.MemberID, orderID string, points int64, kind PointsKind) error {
	if err := checkOrderID(orderID); err != nil {
		return err
	}
	if kind != PointsSpend && kind != PointsExchange {
		return fmt.Errorf("spend points: kind %q is not spend or exchange", kind)
	}
	if points <= 0 {
		return errs.Field("points", "out_of_range", "a positive number of points")
	}
	st, err := s.lockPoints(ctx, tx, memberID)
	if err != nil {
		return err
	}
	done, err := s.orderPoints(ctx, tx, memberID, orderID, "")
	if err != nil {
		return err
	}
	if n, ok := done[kind]; ok {
		if -n == points {
			return nil
		}
		return errs.E(errs.Conflict, "this order already spent %d points", -n)
	}
	if st.Balance < points {
		return &errs.Error{Code: errs.InvalidState, Message: "not enough points", Fields: []errs.FieldError{{
			Field: "points", Code: "insufficient_points", Message: fmt.Sprintf("the balance is %d points; %d requested", max(st.Balance, 0), points)}}}
	}
	return s.insertPoints(ctx, tx, memberID, pointsRow{delta: -points, balance: st.Balance - points, kind: kind, orderID: orderID, reason: string(kind)})
}

// PointsRefund is what a refund did to a member's points.
type PointsRefund struct {
	Returned int64 `json:"returned"` // spent or exchanged points given back
	Reversed int64 `json:"reversed"` // earned points taken back
}

// PointsBack is what a refund or a cancellation gives back of an order's
// points.
type PointsBack struct {
	// Share is the refunded part of the money paid (0 ≤ Share ≤ 1): spent
	// points come back and earned ones are taken back in that proportion;
	// 1 settles whatever is left (a full refund, a cancellation, or the last
	// partial refund). 0 when no money comes back.
	Share decimal.Decimal
	// Exchange is the points of the points-goods lines coming back (at most
	// what the order exchanged and has not had back). A money refund of the
	// other lines never returns exchanged points: the member keeps the goods
	// those points bought.
	Exchange int64
}

// RefundPoints gives back what back says. Idempotent per (order, refundID).
// Taking earned points back may leave the balance negative when they were
// already spent: that is a debt later earnings pay, never silently dropped.
func (s *Service) RefundPoints(ctx context.Context, tx *db.Tx, memberID identity.MemberID, orderID, refundID string, back PointsBack) (PointsRefund, error) {
	if err := checkOrderID(orderID); err != nil {
		return PointsRefund{}, err
	}
	if refundID == "" || len(refundID) > 64 {
		return PointsRefund{}, errs.Field("refund_id", "invalid", "1–64 characters naming the refund")
	}
	share := back.Share
	if share.IsNegative() || share.GreaterThan(decimal.NewFromInt(1)) || back.Exchange < 0 || (share.IsZero() && back.Exchange == 0) {
		return PointsRefund{}, errs.Field("share", "out_of_range", "the refunded share of the order (0 to 1) or exchanged points to return, not nothing")
	}
	st, err := s.lockPoints(ctx, tx, memberID)
	if err != nil {
		return PointsRefund{}, err
	}
	prev, err := s.orderPoints(ctx, tx, memberID, orderID, refundID)
	if err != nil {
		return PointsRefund{}, err
	}
	if len(prev) > 0 {
		return PointsRefund{Returned: prev[PointsSpendRefund] + prev[PointsExchangeRefund], Reversed: -prev[PointsEarnReversal]}, nil
	}
	set, err := s.pointsSettings(ctx, tx)
	if err != nil {
		return PointsRefund{}, err
	}
	all, err := s.orderPoints(ctx, tx, memberID, orderID, "")
	if err != nil {
		return PointsRefund{}, err
	}
	part := func(total, done int64) int64 {
		left := total - done
		if share.Equal(decimal.NewFromInt(1)) {
			return left
		}
		return min(decimal.NewFromInt(total).Mul(share).Round(0).IntPart(), left)
	}
	var out PointsRefund
	moves := []struct {
		kind   PointsKind
		amount int64
	}{
		{PointsSpendRefund, part(-all[PointsSpend], all[PointsSpendRefund])},
		{PointsExchangeRefund, min(back.Exchange, -all[PointsExchange]-all[PointsExchangeRefund])},
		{PointsEarnReversal, -part(all[PointsEarn], -all[PointsEarnReversal])},
	}
	for _, m := range moves {
		if m.amount == 0 {
			continue
		}
		st.Balance += m.amount
		if err := s.insertPoints(ctx, tx, memberID, pointsRow{delta: m.amount, balance: st.Balance, kind: m.kind, orderID: orderID, ref: refundID,
			reason: "refund " + refundID, expiryMonths: set.ExpiryMonths}); err != nil {
			return PointsRefund{}, err
		}
		if m.kind == PointsEarnReversal {
			out.Reversed = -m.amount
		} else {
			out.Returned += m.amount
		}
	}
	return out, nil
}

// minorUnits is the number of decimals of the shop's currency.
func minorUnits(ctx context.Context) int32 {
	t, _ := tenancy.From(ctx)
	if n, ok := tenants.Currencies[t.Currency]; ok {
		return int32(n)
	}
	return 2
}

// QuotePoints says how many of the requested points the member may redeem on
// an order of orderAmount (after the level price and the coupon, before
// shipping) and what they are worth. It never fails for asking too much: it
// answers the most that can be used — capped by the balance, the shop's
// maximum share of the order, and rounded down so that the amount is whole
// cents. It reads; SpendPoints commits the choice.
func (s *Service) QuotePoints(ctx context.Context, tx *db.Tx, memberID identity.MemberID, orderAmount decimal.Decimal, requested int64) (int64, decimal.Decimal, error) {
	if requested < 0 {
		return 0, decimal.Zero, errs.Field("points", "out_of_range", "must not be negative")
	}
	if orderAmount.IsNegative() {
		return 0, decimal.Zero, errs.Field("order_amount", "out_of_range", "must not be negative")
	}
	if requested == 0 {
		return 0, decimal.Zero, nil
	}
	if !tenancy.ValidUUID(string(memberID)) {
		return 0, decimal.Zero, errs.E(errs.NotFound, "member not found")
	}
	set, err := s.pointsSettings(ctx, tx)
	if err != nil {
		return 0, decimal.Zero, err
	}
	if !set.RedeemEnabled {
		return 0, decimal.Zero, errs.Field("points", "redeem_disabled", "this shop does not take points at checkout")
	}
	st, err := s.pointsState(ctx, tx, memberID)
	if err != nil {
		return 0, decimal.Zero, err
	}
	minor := minorUnits(ctx)
	rate := decimal.NewFromInt(set.PointsPerUnit)
	maxAmount := orderAmount.Mul(set.MaxRedeemShare).RoundDown(minor)
	pts := min(requested, st.Balance-st.DueExpiry, maxAmount.Mul(rate).Floor().IntPart())
	// Only multiples of step are worth whole minor units.
	pow := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(minor)), nil)
	g := new(big.Int).GCD(nil, nil, big.NewInt(set.PointsPerUnit), pow)
	step := set.PointsPerUnit / g.Int64()
	pts -= pts % step
	if pts <= 0 {
		return 0, decimal.Zero, nil
	}
	return pts, decimal.NewFromInt(pts).Div(rate).Round(minor), nil
}

// PointsAdjustment is a manual change by the merchant.
type PointsAdjustment struct {
	Points int64  `json:"points"` // positive adds, negative removes
	Reason string `json:"reason"`
}

// AdjustPoints changes a member's points by hand. Removing more than the
// balance is refused.
func (s *Service) AdjustPoints(ctx context.Context, id identity.MemberID, in PointsAdjustment) (PointsEntry, error) {
	v := errs.Validator{}
	in.Reason = strings.TrimSpace(in.Reason)
	v.Check(in.Points != 0 && in.Points >= -1e9 && in.Points <= 1e9, "points", "out_of_range", "a non-zero number of points, at most 1,000,000,000 either way")
	v.Check(in.Reason != "" && utf8.RuneCountInString(in.Reason) <= 200, "reason", "required", "say why (at most 200 characters); the member sees it")
	if err := v.Err(); err != nil {
		return PointsEntry{}, err
	}
	var e PointsEntry
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		st, err := s.lockPoints(ctx, tx, id)
		if err != nil {
			return err
		}
		if st.Balance+in.Points < 0 {
			return &errs.Error{Code: errs.InvalidState, Message: "not enough points", Fields: []errs.FieldError{{
				Field: "points", Code: "insufficient_points", Message: fmt.Sprintf("the balance is %d points", st.Balance)}}}
		}
		set, err := s.pointsSettings(ctx, tx)
		if err != nil {
			return err
		}
		if err := s.insertPoints(ctx, tx, id, pointsRow{delta: in.Points, balance: st.Balance + in.Points, kind: PointsAdjust, reason: in.Reason,
			expiryMonths: set.ExpiryMonths}); err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &e, `SELECT `+pointsCols+` FROM member_points WHERE tenant_id = $1 AND member_id = $2 ORDER BY id DESC LIMIT 1`,
			tenancy.ID(ctx), id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, tenancy.ID(ctx), "member.points_adjust", "member", string(id), in)
	})
	return e, err
}

const pointsCols = `id, delta, balance_after, kind, order_id, reason, expires_at, actor_id, created_at`

// Points returns the member's balance and a page of their ledger, newest
// first. Expiry that has fallen due is written first, so the ledger shows it.
func (s *Service) Points(ctx context.Context, id identity.MemberID, p page.Request) (PointsPage, error) {
	p = p.Normalize()
	var before int64
	if p.Cursor != "" {
		n, err := strconv.ParseInt(p.Cursor, 10, 64)
		if err != nil || n <= 0 {
			return PointsPage{}, errs.Field("cursor", "invalid", "the cursor is not one this API returned")
		}
		before = n
	}
	out := PointsPage{Items: []PointsEntry{}}
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		st, err := s.lockPoints(ctx, tx, id)
		if err != nil {
			return err
		}
		out.Balance, out.ExpiringSoon = st.Balance, st.ExpiringSoon
		return tx.SelectContext(ctx, &out.Items, `SELECT `+pointsCols+` FROM member_points
WHERE tenant_id = $1 AND member_id = $2 AND ($3 = 0 OR id < $3) ORDER BY id DESC LIMIT $4`, tenancy.ID(ctx), id, before, p.Limit+1)
	})
	if len(out.Items) > p.Limit {
		out.Items = out.Items[:p.Limit]
		out.NextCursor = strconv.FormatInt(out.Items[len(out.Items)-1].ID, 10)
	}
	return out, err
}
