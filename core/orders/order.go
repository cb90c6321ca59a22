package orders

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/catalog"
	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/identity"
	"github.com/banyanmall/banyan/core/marketing"
	"github.com/banyanmall/banyan/core/members"
	"github.com/banyanmall/banyan/core/page"
	"github.com/banyanmall/banyan/core/tenancy"
)

// Order is an order with its lines; Detail adds its history.
type Order struct {
	ID                OrderID         `db:"id" json:"id"`
	OrderNo           string          `db:"order_no" json:"order_no"`
	MemberID          string          `db:"member_id" json:"member_id"`
	State             State           `db:"state" json:"state"`
	Currency          string          `db:"currency" json:"currency"`
	GoodsAmount       decimal.Decimal `db:"goods_amount" json:"goods_amount"`
	LevelDiscount     decimal.Decimal `db:"level_discount" json:"level_discount"`
	PromotionDiscount decimal.Decimal `db:"promotion_discount" json:"promotion_discount"`
	CouponDiscount    decimal.Decimal `db:"coupon_discount" json:"coupon_discount"`
	PointsAmount      decimal.Decimal `db:"points_amount" json:"points_amount"`
	ShippingFee       decimal.Decimal `db:"shipping_fee" json:"shipping_fee"`
	Total             decimal.Decimal `db:"total" json:"total"`
	PaidAmount        decimal.Decimal `db:"paid_amount" json:"paid_amount"`
	RefundedAmount    decimal.Decimal `db:"refunded_amount" json:"refunded_amount"`
	CouponID          *string         `db:"coupon_id" json:"coupon_id"`
	PointsUsed        int64           `db:"points_used" json:"points_used"`
	ExchangePoints    int64           `db:"exchange_points" json:"exchange_points"`
	Address           json.RawMessage `db:"address" json:"address"`
	ReferrerID        *string         `db:"referrer_id" json:"referrer_id"`
	Remark            string          `db:"remark" json:"remark"`
	MerchantRemark    string          `db:"merchant_remark" json:"merchant_remark,omitempty"`
	PaymentDeadline   time.Time       `db:"payment_deadline" json:"payment_deadline"`
	CreatedAt         time.Time       `db:"created_at" json:"created_at"`
	PaidAt            *time.Time      `db:"paid_at" json:"paid_at"`
	ShippedAt         *time.Time      `db:"shipped_at" json:"shipped_at"`
	CompletedAt       *time.Time      `db:"completed_at" json:"completed_at"`
	CancelledAt       *time.Time      `db:"cancelled_at" json:"cancelled_at"`
	CancelReason      string          `db:"cancel_reason" json:"cancel_reason,omitempty"`
	Lines             []Line          `db:"-" json:"lines"`
	Events            []Event         `db:"-" json:"events,omitempty"`
	Payments          []Payment       `db:"-" json:"payments,omitempty"`
	Parcels           []Parcel        `db:"-" json:"parcels,omitempty"`
	Refunds           []Refund        `db:"-" json:"refunds,omitempty"`
}

// Line is a snapshot of what was bought and what it cost.
type Line struct {
	ID                string          `db:"id" json:"id"`
	SKUID             string          `db:"sku_id" json:"sku_id"`
	ProductID         string          `db:"product_id" json:"product_id"`
	CategoryID        *string         `db:"category_id" json:"category_id"`
	Title             string          `db:"title" json:"title"`
	SKUCode           string          `db:"sku_code" json:"sku_code"`
	Spec              string          `db:"spec" json:"spec"`
	Image             string          `db:"image" json:"image"`
	Qty               int             `db:"qty" json:"qty"`
	UnitPrice         decimal.Decimal `db:"unit_price" json:"unit_price"`
	Amount            decimal.Decimal `db:"amount" json:"amount"`
	LevelDiscount     decimal.Decimal `db:"level_discount" json:"level_discount"`
	PromotionDiscount decimal.Decimal `db:"promotion_discount" json:"promotion_discount"`
	CouponDiscount    decimal.Decimal `db:"coupon_discount" json:"coupon_discount"`
	PointsDiscount    decimal.Decimal `db:"points_discount" json:"points_discount"`
	PaidAmount        decimal.Decimal `db:"paid_amount" json:"paid_amount"`
	RefundedAmount    decimal.Decimal `db:"refunded_amount" json:"refunded_amount"`
	RefundedQty       int             `db:"refunded_qty" json:"refunded_qty"`
	Kind              LineKind        `db:"kind" json:"kind"`
	Points            int64           `db:"points" json:"points"`
	CampaignID        string          `db:"campaign_id" json:"campaign_id,omitempty"`
}

// Event is one step of an order's timeline.
type Event struct {
	Kind      string    `db:"kind" json:"kind"`
	FromState string    `db:"from_state" json:"from_state"`
	ToState   string    `db:"to_state" json:"to_state"`
	Actor     string    `db:"actor" json:"actor"`
	ActorID   string    `db:"actor_id" json:"actor_id"`
	Note      string    `db:"note" json:"note"`
	At        time.Time `db:"at" json:"at"`
}

// Parcel is one shipment of an order, with its tracking.
// CarrierName is the shop's name of the carrier (its code when the carrier
// was deleted since); TrackingURL links to the carrier's tracking page when
// the carrier has a template.
type Parcel struct {
	ID          string          `db:"id" json:"id"`
	Carrier     string          `db:"carrier" json:"carrier"`
	CarrierName string          `db:"carrier_name" json:"carrier_name"`
	TrackingNo  string          `db:"tracking_no" json:"tracking_no"`
	TrackingURL string          `db:"tracking_url" json:"tracking_url,omitempty"`
	LineIDs     pq.StringArray  `db:"line_ids" json:"line_ids"`
	ShippedAt   time.Time       `db:"shipped_at" json:"shipped_at"`
	Tracking    []TrackingEvent `db:"-" json:"tracking"`
}

// TrackingEvent is one carrier scan of a parcel.
type TrackingEvent struct {
	At          time.Time `db:"at" json:"at"`
	Status      string    `db:"status" json:"status"`
	Description string    `db:"description" json:"description"`
	Location    string    `db:"location" json:"location,omitempty"`
}

const orderCols = `id, order_no, member_id, state, currency, goods_amount, level_discount, promotion_discount, coupon_discount, points_amount,
shipping_fee, total, paid_amount, refunded_amount, coupon_id, points_used, exchange_points, address, referrer_id, remark, merchant_remark, payment_deadline,
created_at, paid_at, shipped_at, completed_at, cancelled_at, cancel_reason`

const lineCols = `id, sku_id, product_id, category_id, title, sku_code, spec, image, qty, unit_price, amount,
level_discount, promotion_discount, coupon_discount, points_discount, paid_amount, refunded_amount, refunded_qty, kind, points, campaign_id`

// Get answers an order with its lines, timeline, payments and parcels;
// with memberID set, only that member's order (another's is 404).
func (s *Service) Get(ctx context.Context, id OrderID, memberID identity.MemberID) (Order, error) {
	if !tenancy.ValidUUID(string(id)) {
		return Order{}, errs.E(errs.NotFound, "order not found")
	}
	var o Order
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		var err error
		o, err = s.getTx(ctx, tx, id, memberID)
		return err
	})
	return o, err
}

// loadHead reads the order row without its lines.
func (s *Service) loadHead(ctx context.Context, tx *db.Tx, id OrderID, lock bool) (Order, error) {
	q := `SELECT ` + orderCols + ` FROM orders WHERE tenant_id = $1 AND id = $2`
	if lock {
		q += ` FOR UPDATE`
	}
	var o Order
	if err := tx.GetContext(ctx, &o, q, tid(ctx), id); err != nil {
		return o, db.NotFound(err, "order")
	}
	return o, nil
}

// getTx is Get in the caller's transaction.
func (s *Service) getTx(ctx context.Context, tx *db.Tx, id OrderID, memberID identity.MemberID) (Order, error) {
	o, err := s.load(ctx, tx, id, false)
	if err != nil {
		return o, err
	}
	if memberID != "" && o.MemberID != string(memberID) {
		return Order{}, errs.E(errs.NotFound, "order not found")
	}
	return o, s.fill(ctx, tx, &o)
}

// load reads the order with its lines. Unlocked, one statement reads both
// (the lines as JSON), one snapshot. Locked, the lines are read by a second
// statement once the row lock is granted: a statement that waited for the
// lock still reads other tables as they were when it began, so lines read
// in it could predate the refund that held the lock.
func (s *Service) load(ctx context.Context, tx *db.Tx, id OrderID, lock bool) (Order, error) {
	if !lock {
		var row struct {
			Order
			Lines []byte `db:"lines_json"`
		}
		if err := tx.GetContext(ctx, &row, orderWithLines, tid(ctx), id); err != nil {
			return Order{}, db.NotFound(err, "order")
		}
		o := row.Order
		if err := json.Unmarshal(row.Lines, &o.Lines); err != nil {
			return Order{}, fmt.Errorf("order lines: %w", err)
		}
		return o, nil
	}
	o, err := s.loadHead(ctx, tx, id, lock)
	if err != nil {
		return o, err
	}
	return o, s.loadLines(ctx, tx, &o)
}

// loadLines reads the lines of an order read by its head.
func (s *Service) loadLines(ctx context.Context, tx *db.Tx, o *Order) error {
	if err := tx.SelectContext(ctx, &o.Lines, `SELECT `+lineCols+` FROM order_lines WHERE tenant_id = $1 AND order_id = $2 ORDER BY position`, tid(ctx), o.ID); err != nil {
		return fmt.Errorf("order lines: %w", err)
	}
	return nil
}

// orderWithLines reads an order and its lines in one statement; the lines'
// JSON keys are their columns, which are Line's JSON names.
const orderWithLines = `SELECT ` + orderCols + `,
  coalesce((SELECT json_agg(l ORDER BY l.position) FROM (SELECT position, ` + lineCols + ` FROM order_lines
    WHERE tenant_id = $1 AND order_id = $2) l), '[]') AS lines_json
FROM orders WHERE tenant_id = $1 AND id = $2`

func (s *Service) fill(ctx context.Context, tx *db.Tx, o *Order) error {
	if err := s.fillEvents(ctx, tx, o); err != nil {
		return err
	}
	if err := tx.SelectContext(ctx, &o.Payments, `SELECT `+paymentCols+` FROM payments WHERE tenant_id = $1 AND order_id = $2 ORDER BY created_at`, tid(ctx), o.ID); err != nil {
		return fmt.Errorf("order payments: %w", err)
	}
	if err := tx.SelectContext(ctx, &o.Refunds, `SELECT `+refundCols+` FROM refunds WHERE tenant_id = $1 AND order_id = $2 ORDER BY created_at`, tid(ctx), o.ID); err != nil {
		return fmt.Errorf("order refunds: %w", err)
	}
	if err := tx.SelectContext(ctx, &o.Parcels, `SELECT p.id, p.carrier, coalesce(c.name, p.carrier) AS carrier_name, p.tracking_no,
coalesce(c.tracking_url, '') AS tracking_url, p.line_ids, p.shipped_at
FROM parcels p LEFT JOIN carriers c ON c.tenant_id = p.tenant_id AND c.code = p.carrier
WHERE p.tenant_id = $1 AND p.order_id = $2 ORDER BY p.shipped_at, p.id`, tid(ctx), o.ID); err != nil {
		return fmt.Errorf("order parcels: %w", err)
	}
	for i := range o.Parcels {
		p := &o.Parcels[i]
		p.TrackingURL = TrackingLink(p.TrackingURL, p.TrackingNo)
		if err := tx.SelectContext(ctx, &p.Tracking, `SELECT at, status, description, location FROM tracking_events WHERE tenant_id = $1 AND parcel_id = $2 ORDER BY at, id`, tid(ctx), p.ID); err != nil {
			return fmt.Errorf("tracking: %w", err)
		}
	}
	return nil
}

// fillEvents reads the order's timeline.
func (s *Service) fillEvents(ctx context.Context, tx *db.Tx, o *Order) error {
	if err := tx.SelectContext(ctx, &o.Events, `SELECT kind, from_state, to_state, actor, actor_id, note, at FROM order_events
WHERE tenant_id = $1 AND order_id = $2 ORDER BY id`, tid(ctx), o.ID); err != nil {
		return fmt.Errorf("order events: %w", err)
	}
	return nil
}

// ListFilter narrows an order list.
type ListFilter struct {
	State     string
	MemberID  string
	Referrer  string
	From, To  *time.Time
	MinAmount *decimal.Decimal
	MaxAmount *decimal.Decimal
	Keyword   string // order number, or a line's title
}

// List answers orders newest first.
func (s *Service) List(ctx context.Context, f ListFilter, p page.Request) ([]Order, string, error) {
	p = p.Normalize()
	type key struct {
		At time.Time `json:"t"`
		ID string    `json:"i"`
	}
	var after *key
	if p.Cursor != "" {
		var k key
		if err := page.Decode(p.Cursor, &k); err != nil {
			return nil, "", err
		}
		after = &k
	}
	if f.State != "" && !validState(State(f.State)) {
		return nil, "", errs.Field("state", "invalid", "one of pending_payment, paid, shipped, completed, cancelled")
	}
	if (f.MemberID != "" && !tenancy.ValidUUID(f.MemberID)) || (f.Referrer != "" && !tenancy.ValidUUID(f.Referrer)) {
		return nil, "", nil
	}
	args := []any{tid(ctx)}
	where := `tenant_id = $1`
	add := func(cond string, v any) {
		args = append(args, v)
		where += fmt.Sprintf(" AND "+cond, len(args))
	}
	if f.State != "" {
		add("state = $%d", f.State)
	}
	if f.MemberID != "" {
		add("member_id = $%d", f.MemberID)
	}
	if f.Referrer != "" {
		add("referrer_id = $%d", f.Referrer)
	}
	if f.From != nil {
		add("created_at >= $%d", *f.From)
	}
	if f.To != nil {
		add("created_at < $%d", *f.To)
	}
	if f.MinAmount != nil {
		add("total >= $%d", *f.MinAmount)
	}
	if f.MaxAmount != nil {
		add("total <= $%d", *f.MaxAmount)
	}
	if f.Keyword != "" {
		args = append(args, f.Keyword, "%"+f.Keyword+"%")
		where += fmt.Sprintf(` AND (order_no = $%d OR EXISTS (SELECT 1 FROM order_lines l WHERE l.tenant_id = orders.tenant_id AND l.order_id = orders.id AND l.title ILIKE $%d))`, len(args)-1, len(args))
	}
	if after != nil {
		args = append(args, after.At, after.ID)
		where += fmt.Sprintf(" AND (created_at, id) < ($%d, $%d)", len(args)-1, len(args))
	}
	args = append(args, p.Limit+1)
	var out []Order
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		if err := tx.SelectContext(ctx, &out, `SELECT `+orderCols+` FROM orders WHERE `+where+fmt.Sprintf(` ORDER BY created_at DESC, id DESC LIMIT $%d`, len(args)), args...); err != nil {
			return fmt.Errorf("list orders: %w", err)
		}
		if len(out) == 0 {
			return nil
		}
		ids := make([]string, len(out))
		for i, o := range out {
			ids[i] = string(o.ID)
		}
		var lines []struct {
			OrderID string `db:"order_id"`
			Line
		}
		if err := tx.SelectContext(ctx, &lines, `SELECT order_id, `+lineCols+` FROM order_lines WHERE tenant_id = $1 AND order_id = ANY($2::uuid[]) ORDER BY position`, tid(ctx), pq.Array(ids)); err != nil {
			return fmt.Errorf("list order lines: %w", err)
		}
		at := map[string]int{}
		for i, o := range out {
			at[string(o.ID)] = i
		}
		for _, l := range lines {
			out[at[l.OrderID]].Lines = append(out[at[l.OrderID]].Lines, l.Line)
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	items, next := page.Cut(out, p.Limit, func(o Order) any { return key{o.CreatedAt, string(o.ID)} })
	return items, next, nil
}

func validState(s State) bool {
	switch s {
	case PendingPayment, Paid, Shipped, Completed, Cancelled:
		return true
	}
	return false
}

func invalidState(o Order, action string) error {
	return errs.E(errs.InvalidState, "cannot %s an order that is %s", action, o.State)
}

// Cancel cancels an unpaid order (the member, staff, or the payment
// timeout): stock, coupon and points come back in the same transaction.
func (s *Service) Cancel(ctx context.Context, id OrderID, memberID identity.MemberID, reason string) (Order, error) {
	if !tenancy.ValidUUID(string(id)) {
		return Order{}, errs.E(errs.NotFound, "order not found")
	}
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		o, err := s.load(ctx, tx, id, true)
		if err != nil {
			return err
		}
		if memberID != "" && o.MemberID != string(memberID) {
			return errs.E(errs.NotFound, "order not found")
		}
		if o.State != PendingPayment {
			return invalidState(o, "cancel")
		}
		return s.cancel(ctx, tx, o, reason)
	})
	if err != nil {
		return Order{}, err
	}
	return s.Get(ctx, id, "")
}

func (s *Service) cancel(ctx context.Context, tx *db.Tx, o Order, reason string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE orders SET state = 'cancelled', cancelled_at = $3, cancel_reason = $4 WHERE tenant_id = $1 AND id = $2`,
		tid(ctx), o.ID, s.now(), reason); err != nil {
		return fmt.Errorf("cancel order: %w", err)
	}
	member := identity.MemberID(o.MemberID)
	if o.CouponID != nil {
		if err := s.Marketing.ReleaseCoupon(ctx, tx, member, marketing.CouponID(*o.CouponID), string(o.ID)); err != nil {
			return err
		}
	}
	// Points redeemed at checkout and points exchanged for goods come back.
	if o.PointsUsed > 0 || o.ExchangePoints > 0 {
		if _, err := s.Members.RefundPoints(ctx, tx, member, string(o.ID), "cancel", members.PointsBack{Share: decimal.NewFromInt(1), Exchange: o.ExchangePoints}); err != nil {
			return err
		}
	}
	if err := s.event(ctx, tx, o.ID, "cancelled", o.State, Cancelled, reason); err != nil {
		return err
	}
	// Stock last, as order creation takes it: the SKU row lock is held
	// until commit, and every path takes coupon and member locks before it.
	lines := make([]catalog.Line, len(o.Lines))
	for i, l := range o.Lines {
		lines[i] = catalog.Line{SKU: catalog.SKUID(l.SKUID), Qty: l.Qty}
	}
	return s.Catalog.Release(ctx, tx, lines)
}

// ShipInput ships an order in one or more parcels.
type ShipInput struct {
	Parcels []ParcelInput `json:"parcels"`
}

// ParcelInput is one parcel: carrier, tracking number and, when the order
// ships in several, the lines it holds.
type ParcelInput struct {
	Carrier    string   `json:"carrier"`
	TrackingNo string   `json:"tracking_no"`
	LineIDs    []string `json:"line_ids,omitempty"`
}

// Ship records the parcels of a paid order and moves it to shipped; the
// receipt is confirmed automatically after the shop's auto_confirm_days.
func (s *Service) Ship(ctx context.Context, id OrderID, in ShipInput) (Order, error) {
	v := errs.Validator{}
	v.Check(len(in.Parcels) >= 1 && len(in.Parcels) <= 20, "parcels", "out_of_range", "1 to 20 parcels")
	for i, p := range in.Parcels {
		v.Check(p.Carrier != "" && len(p.Carrier) <= 64, fmt.Sprintf("parcels[%d].carrier", i), "required", "a carrier (at most 64 characters)")
		v.Check(p.TrackingNo != "" && len(p.TrackingNo) <= 64, fmt.Sprintf("parcels[%d].tracking_no", i), "required", "a tracking number (at most 64 characters)")
	}
	if err := v.Err(); err != nil {
		return Order{}, err
	}
	if !tenancy.ValidUUID(string(id)) {
		return Order{}, errs.E(errs.NotFound, "order not found")
	}
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		o, err := s.load(ctx, tx, id, true)
		if err != nil {
			return err
		}
		if o.State != Paid {
			return invalidState(o, "ship")
		}
		if err := checkShipCarriers(ctx, tx, in.Parcels); err != nil {
			return err
		}
		known := map[string]bool{}
		for _, l := range o.Lines {
			known[l.ID] = true
		}
		for i, p := range in.Parcels {
			for _, l := range p.LineIDs {
				if !known[l] {
					return errs.Field(fmt.Sprintf("parcels[%d].line_ids", i), "not_found", "not a line of this order")
				}
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO parcels (tenant_id, order_id, carrier, tracking_no, line_ids, shipped_at) VALUES ($1, $2, $3, $4, $5, $6)`,
				tid(ctx), id, p.Carrier, p.TrackingNo, pq.Array(append([]string{}, p.LineIDs...)), s.now()); err != nil {
				return fmt.Errorf("insert parcel: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE orders SET state = 'shipped', shipped_at = $3 WHERE tenant_id = $1 AND id = $2`, tid(ctx), id, s.now()); err != nil {
			return fmt.Errorf("ship: %w", err)
		}
		set, err := s.settings(ctx, tx)
		if err != nil {
			return err
		}
		if err := enqueueAt(ctx, tx, AutoConfirmArgs{Tenant: tenantArg(ctx), OrderID: id}, s.now().AddDate(0, 0, set.AutoConfirmDays)); err != nil {
			return err
		}
		return s.event(ctx, tx, id, "shipped", Paid, Shipped, fmt.Sprintf("%d parcel(s)", len(in.Parcels)))
	})
	if err != nil {
		return Order{}, err
	}
	return s.Get(ctx, id, "")
}

// ConfirmReceipt completes a shipped order (the member, or the auto-confirm
// job): points are earned and the member's spend recorded, and the lines'
// after-sales window starts.
func (s *Service) ConfirmReceipt(ctx context.Context, id OrderID, memberID identity.MemberID) (Order, error) {
	if !tenancy.ValidUUID(string(id)) {
		return Order{}, errs.E(errs.NotFound, "order not found")
	}
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		o, err := s.load(ctx, tx, id, true)
		if err != nil {
			return err
		}
		if memberID != "" && o.MemberID != string(memberID) {
			return errs.E(errs.NotFound, "order not found")
		}
		if o.State != Shipped {
			return invalidState(o, "confirm receipt of")
		}
		return s.complete(ctx, tx, o)
	})
	if err != nil {
		return Order{}, err
	}
	return s.Get(ctx, id, "")
}

func (s *Service) complete(ctx context.Context, tx *db.Tx, o Order) error {
	now := s.now()
	if _, err := tx.ExecContext(ctx, `UPDATE orders SET state = 'completed', completed_at = $3 WHERE tenant_id = $1 AND id = $2`, tid(ctx), o.ID, now); err != nil {
		return fmt.Errorf("complete: %w", err)
	}
	member := identity.MemberID(o.MemberID)
	net := o.PaidAmount.Sub(o.RefundedAmount).Sub(o.ShippingFee)
	if net.IsNegative() {
		net = decimal.Zero
	}
	if _, err := s.Members.EarnPoints(ctx, tx, member, string(o.ID), net); err != nil {
		return err
	}
	if _, err := s.Members.RecordCompletedOrder(ctx, tx, member, string(o.ID), net); err != nil {
		return err
	}
	set, err := s.settings(ctx, tx)
	if err != nil {
		return err
	}
	if err := enqueueAt(ctx, tx, AfterSalesClosedArgs{Tenant: tenantArg(ctx), OrderID: o.ID}, now.AddDate(0, 0, set.AfterSalesDays)); err != nil {
		return err
	}
	return s.event(ctx, tx, o.ID, "completed", o.State, Completed, "")
}

// SetRemark sets the merchant's remark on an order.
func (s *Service) SetRemark(ctx context.Context, id OrderID, remark string) (Order, error) {
	if len([]rune(remark)) > 500 {
		return Order{}, errs.Field("remark", "too_long", "at most 500 characters")
	}
	if !tenancy.ValidUUID(string(id)) {
		return Order{}, errs.E(errs.NotFound, "order not found")
	}
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE orders SET merchant_remark = $3 WHERE tenant_id = $1 AND id = $2`, tid(ctx), id, remark)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.E(errs.NotFound, "order not found")
		}
		return s.event(ctx, tx, id, "remark", "", "", remark)
	})
	if err != nil {
		return Order{}, err
	}
	return s.Get(ctx, id, "")
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
