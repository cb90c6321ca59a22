package orders

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/catalog"
	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/identity"
	"github.com/banyanmall/banyan/core/marketing"
	"github.com/banyanmall/banyan/core/members"
)

// CreateInput turns a quote into an order: the same inputs as the quote,
// its signature and expiry, and the shipping address.
type CreateInput struct {
	Lines        []LineInput `json:"lines"`
	CouponID     string      `json:"coupon_id,omitempty"`
	Points       int64       `json:"points,omitempty"`
	AddressID    string      `json:"address_id"`
	Remark       string      `json:"remark,omitempty"`
	ReferralCode string      `json:"referral_code,omitempty"`
	Signature    string      `json:"quote_signature"`
	ExpiresAt    time.Time   `json:"quote_expires_at"`
}

func (in CreateInput) quoteInput() QuoteInput {
	return QuoteInput{Lines: in.Lines, CouponID: in.CouponID, Points: in.Points, AddressID: in.AddressID}
}

var keyRe = regexp.MustCompile(`^[\x21-\x7e]{1,128}$`)

// errKeyTaken reports that a concurrent request with the same key won.
var errKeyTaken = errors.New("idempotency key taken")

// CreateOrder places an order from a signed quote, once per idempotency
// key: the same key and body answer the original order (created false), the
// same key with another body is 409 idempotency_key_reused.
func (s *Service) CreateOrder(ctx context.Context, memberID identity.MemberID, key string, in CreateInput) (Order, bool, error) {
	if !keyRe.MatchString(key) {
		return Order{}, false, errs.Field("Idempotency-Key", "required", "an Idempotency-Key header of 1 to 128 visible ASCII characters is required")
	}
	qin := in.quoteInput()
	v := errs.Validator{}
	v.Merge("lines", qin.validate())
	v.Check(in.AddressID != "", "address_id", "required", "a shipping address is required")
	v.Check(in.Signature != "", "quote_signature", "required", "the signature of the quote")
	v.Check(!in.ExpiresAt.IsZero(), "quote_expires_at", "required", "the expiry of the quote")
	v.Check(len([]rune(in.Remark)) <= 200, "remark", "too_long", "at most 200 characters")
	if err := v.Err(); err != nil {
		return Order{}, false, err
	}
	canon, _ := json.Marshal(in)
	h := sha256.Sum256(canon)
	hash := h[:]

	// A new key is the common case: one transaction creates the order (a
	// checkout's order step used to take three, and nine more round trips),
	// and the answer comes back from the inserts (RETURNING), not from
	// reading the order again. The key is not looked up first: the order's
	// unique (member, key) index is the guard. Only when creation fails —
	// the key taken, by a concurrent request or long ago (whose quote may
	// have expired, whose stock or coupon is gone), or any other error — is
	// the key looked up: an order it has is the answer (or, for another
	// body, idempotency_key_reused); otherwise the error stands.
	var o Order
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		var stock []catalog.Line
		var err error
		if o, stock, err = s.create(ctx, tx, memberID, key, hash, in); err != nil {
			return err
		}
		// Stock last: its row lock (the same SKU row for every buyer of a
		// best seller) is held until commit, so nothing else waits behind it.
		return giftRanOut(o, s.Catalog.Reserve(ctx, tx, stock))
	})
	if err == nil {
		return o, true, nil
	}
	var known bool
	lerr := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		id, k, err := s.byKey(ctx, tx, memberID, key, hash)
		known = k
		if err == nil && k {
			o, err = s.getTx(ctx, tx, id, "")
		}
		return err
	})
	if known {
		return o, false, lerr
	}
	if errors.Is(err, errKeyTaken) {
		if lerr != nil {
			return Order{}, false, lerr
		}
		// The winner committed before this insert failed: cannot happen.
		return Order{}, false, errors.New("create order: idempotency key taken but its order not found")
	}
	if lerr != nil {
		s.Log.WarnContext(ctx, "idempotency lookup after a failed order", "err", lerr)
	}
	return Order{}, false, err
}

// giftRanOut turns a shortage of a gift into quote_changed. The re-run
// quote leaves out a gift that has run out, but a concurrent order can take
// the last one between that re-run and this order's reservation: the
// customer did not ask for that line, so the answer is to quote again (the
// new quote says the gift is gone), not insufficient_stock on a line they
// never added. Reserve names the first line of the short SKU: a SKU also
// bought as an item is the customer's own line and stays a shortage.
func giftRanOut(o Order, err error) error {
	var e *errs.Error
	if !errors.As(err, &e) || e.Code != errs.InsufficientStock || len(e.Fields) != 1 {
		return err
	}
	var i int
	if _, serr := fmt.Sscanf(e.Fields[0].Field, "lines[%d]", &i); serr != nil || i < 0 || i >= len(o.Lines) || o.Lines[i].Kind != LineGift {
		return err
	}
	return &errs.Error{Code: errs.QuoteChanged, Err: err,
		Message: fmt.Sprintf("the gift %s has just run out; quote again (the new quote leaves it out)", o.Lines[i].Title)}
}

// byKey finds the order of an idempotency key (known false when there is
// none); the same key with a different body is an error.
func (s *Service) byKey(ctx context.Context, tx *db.Tx, memberID identity.MemberID, key string, hash []byte) (id OrderID, known bool, err error) {
	var row struct {
		ID   OrderID `db:"id"`
		Hash []byte  `db:"request_hash"`
	}
	err = tx.GetContext(ctx, &row, `SELECT id, request_hash FROM orders WHERE tenant_id = $1 AND member_id = $2 AND idempotency_key = $3`, tid(ctx), memberID, key)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	if string(row.Hash) != string(hash) {
		return "", true, errs.E(errs.IdempotencyReused, "this Idempotency-Key was used for another request")
	}
	return row.ID, true, nil
}

var orderNoEnc = base32.NewEncoding("0123456789ABCDEFGHJKMNPQRSTVWXYZ").WithPadding(base32.NoPadding)

// newOrderNo is yyyymmdd (the shop's time zone) and 8 random Crockford
// base32 characters: readable, unique per tenant (a constraint backs it)
// and without a per-tenant counter row every order would lock.
func newOrderNo(t time.Time) string {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	return t.Format("20060102") + orderNoEnc.EncodeToString(b)
}

// create inserts the order and answers it as stored (lines and its one
// event, without payments, refunds or parcels, which a new order has none
// of), with the stock its caller reserves last.
func (s *Service) create(ctx context.Context, tx *db.Tx, memberID identity.MemberID, key string, hash []byte, in CreateInput) (Order, []catalog.Line, error) {
	now := s.now()
	if now.After(in.ExpiresAt) {
		return Order{}, nil, &errs.Error{Code: errs.QuoteChanged, Message: "the quote expired; ask for a new one",
			Fields: []errs.FieldError{{Field: "quote_expires_at", Code: "expired", Message: "the quote expired"}}}
	}
	if in.ExpiresAt.After(now.Add(QuoteTTL + time.Minute)) {
		return Order{}, nil, errs.Field("quote_expires_at", "invalid", "not the expiry of a quote")
	}
	q, addr, err := s.quote(ctx, tx, memberID, in.quoteInput(), in.ExpiresAt)
	if err != nil {
		return Order{}, nil, err
	}
	if q.Signature != in.Signature {
		return Order{}, nil, &errs.Error{Code: errs.QuoteChanged, Message: "the price changed since the quote; ask for a new one",
			Fields: []errs.FieldError{{Field: "quote_signature", Code: "changed", Message: fmt.Sprintf("the total is now %s", q.Total)}}}
	}
	set := q.settings // read by the pipeline in this transaction
	id := OrderID(uuid.NewString())
	var referrer *string
	if s.Distribution != nil {
		r, err := s.Distribution.BindForOrder(ctx, tx, memberID, in.ReferralCode)
		if err != nil {
			return Order{}, nil, err
		}
		if r != "" {
			referrer = &r
		}
	}
	addrJSON, _ := json.Marshal(addr)
	quoteJSON, _ := json.Marshal(q)
	var coupon *string
	if in.CouponID != "" {
		coupon = &in.CouponID
	}
	deadline := now.Add(time.Duration(set.PaymentTimeout) * time.Minute)
	lines, _ := json.Marshal(q.Lines)
	skus := make([]string, len(in.Lines))
	for i, l := range in.Lines {
		skus[i] = l.SKUID
	}
	who, whoID := actor(ctx)
	// One statement writes the order, its lines and its first event, takes
	// the ordered SKUs out of the cart, and answers the order as stored.
	var row struct {
		Order
		Lines []byte `db:"lines_json"`
		Event Event  `db:"ev"`
	}
	err = tx.GetContext(ctx, &row, `
WITH o AS (
  INSERT INTO orders (tenant_id, id, order_no, member_id, state, idempotency_key, request_hash, currency, goods_amount, level_discount,
    promotion_discount, coupon_discount, points_amount, shipping_fee, total, coupon_id, points_used, address, quote, referrer_id, remark, payment_deadline, created_at,
    exchange_points)
  VALUES ($1, $2, $3, $4, 'pending_payment', $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)
  RETURNING `+orderCols+`
), l AS (
  INSERT INTO order_lines (tenant_id, order_id, position, sku_id, product_id, category_id, title, sku_code, spec, image, qty, unit_price, amount,
    level_discount, promotion_discount, coupon_discount, points_discount, paid_amount, kind, points, campaign_id)
  SELECT $1, o.id, substr(l.line_id, 2)::int, l.sku_id, l.product_id, nullif(l.category_id, '')::uuid, l.title, l.sku_code, l.spec, l.image, l.qty, l.unit_price, l.amount,
    l.level_discount, l.promotion_discount, l.coupon_discount, l.points_discount, l.paid, l.kind, l.points, coalesce(l.campaign_id, '')
  FROM o, jsonb_to_recordset($24::jsonb) AS l(line_id text, sku_id uuid, product_id uuid, category_id text, title text, sku_code text, spec text, image text,
    qty int, unit_price numeric, amount numeric, level_discount numeric, promotion_discount numeric, coupon_discount numeric, points_discount numeric, paid numeric,
    kind text, points bigint, campaign_id text)
  RETURNING position, `+lineCols+`
), e AS (
  INSERT INTO order_events (tenant_id, order_id, kind, from_state, to_state, actor, actor_id, note, at)
  SELECT $1, o.id, 'created', '', 'pending_payment', $25, $26, '', $22 FROM o
  RETURNING kind, from_state, to_state, actor, actor_id, note, at
), cart AS (
  DELETE FROM cart_lines WHERE tenant_id = $1 AND owner = $27 AND sku_id = ANY($28::uuid[])
)
SELECT o.*, (SELECT json_agg(l ORDER BY l.position) FROM l) AS lines_json,
  e.kind AS "ev.kind", e.from_state AS "ev.from_state", e.to_state AS "ev.to_state", e.actor AS "ev.actor", e.actor_id AS "ev.actor_id",
  e.note AS "ev.note", e.at AS "ev.at"
FROM o, e`,
		tid(ctx), id, newOrderNo(now.In(location(ctx))), memberID, key, hash, q.Currency, q.GoodsAmount, q.LevelDiscount,
		q.PromotionDiscount, q.CouponDiscount, q.PointsAmount, q.Shipping.Fee, q.Total, coupon, q.PointsUsed, string(addrJSON), string(quoteJSON),
		referrer, in.Remark, deadline, now, q.ExchangePoints,
		string(lines), who, whoID, MemberCart(memberID), pq.Array(skus))
	if db.IsUnique(err, "orders_idempotency_key") {
		return Order{}, nil, errKeyTaken
	}
	if err != nil {
		return Order{}, nil, fmt.Errorf("insert order: %w", err)
	}
	o := row.Order
	if err := json.Unmarshal(row.Lines, &o.Lines); err != nil {
		return Order{}, nil, fmt.Errorf("order lines: %w", err)
	}
	o.Events = []Event{row.Event}
	if coupon != nil {
		if err := s.Marketing.LockCoupon(ctx, tx, memberID, marketing.CouponID(*coupon), string(id)); err != nil {
			return Order{}, nil, err
		}
	}
	if q.PointsUsed > 0 {
		if err := s.Members.SpendPoints(ctx, tx, memberID, string(id), q.PointsUsed, members.PointsSpend); err != nil {
			return Order{}, nil, err
		}
	}
	if q.ExchangePoints > 0 {
		// Under the member's lock: of concurrent exchanges that together
		// exceed the balance, the ones that no longer fit fail here, whole.
		if err := s.Members.SpendPoints(ctx, tx, memberID, string(id), q.ExchangePoints, members.PointsExchange); err != nil {
			if errs.Is(err, errs.InvalidState) {
				have, _ := s.Members.AvailablePoints(ctx, tx, memberID)
				return Order{}, nil, insufficientPoints(have, q.ExchangePoints)
			}
			return Order{}, nil, err
		}
	}
	// Every line takes stock, gifts and exchanges included; the caller
	// reserves it as the transaction's last statement.
	stock := make([]catalog.Line, len(q.Lines))
	for i, l := range q.Lines {
		stock[i] = catalog.Line{SKU: catalog.SKUID(l.SKUID), Qty: l.Qty}
	}
	if q.ExchangePoints > 0 && q.Total.IsZero() {
		// Points goods with nothing to pay in money (no shipping fee, no
		// priced line): the points are the payment, so the order is paid now
		// (and read again, paid).
		if err := s.markPaid(ctx, tx, payableOf(o), Payment{ID: PaymentID(uuid.NewString()), OrderID: id, Provider: "points", Amount: decimal.Zero, Currency: q.Currency}); err != nil {
			return Order{}, nil, err
		}
		if err := s.recordPurchase(ctx, tx, payableOf(o)); err != nil {
			return Order{}, nil, err
		}
		if o, err = s.load(ctx, tx, id, false); err != nil {
			return Order{}, nil, err
		}
		return o, stock, s.fillEvents(ctx, tx, &o)
	}
	// No job of its own for the payment deadline: the periodic sweep
	// (sweep.go) cancels it if it is still unpaid then, which saves a River
	// insert here (and its fetch and completion later) for every order that
	// gets paid.
	return o, stock, nil
}

// event records a transition of an order.
func (s *Service) event(ctx context.Context, tx *db.Tx, id OrderID, kind string, from, to State, note string) error {
	who, whoID := actor(ctx)
	_, err := tx.ExecContext(ctx, `INSERT INTO order_events (tenant_id, order_id, kind, from_state, to_state, actor, actor_id, note, at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, tid(ctx), id, kind, from, to, who, whoID, note, s.now())
	if err != nil {
		return fmt.Errorf("order event: %w", err)
	}
	return nil
}
