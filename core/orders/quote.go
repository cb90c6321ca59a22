package orders

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/catalog"
	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/identity"
	"github.com/banyanmall/banyan/core/marketing"
	"github.com/banyanmall/banyan/core/members"
	"github.com/banyanmall/banyan/core/tenancy"
)

// QuoteTTL is how long a quote may be turned into an order.
const QuoteTTL = 15 * time.Minute

// MaxLines bounds a cart.
const MaxLines = 200

// LineInput is one SKU and quantity of a cart. Exchange asks to pay for
// the line with points instead of money: the product must be points goods
// (catalog points_price); the line then costs 0 and points_price × qty
// points, taken from the member's balance when the order is placed.
type LineInput struct {
	SKUID    string `json:"sku_id"`
	Qty      int    `json:"qty"`
	Exchange bool   `json:"exchange,omitempty"`
}

// LineKind says how a line is paid for.
type LineKind string

// Line kinds: sold for money; given by a promotion campaign (price 0); or
// exchanged for points (price 0, Points points).
const (
	LineSale     LineKind = "sale"
	LineGift     LineKind = "gift"
	LineExchange LineKind = "exchange"
)

// QuoteInput is what the buyer asks a price for.
type QuoteInput struct {
	Lines     []LineInput `json:"lines"`
	CouponID  string      `json:"coupon_id,omitempty"`
	Points    int64       `json:"points,omitempty"`
	AddressID string      `json:"address_id,omitempty"`
}

// QuoteLine is one line with every step of its price. Amounts are rounded
// half-even to the currency's minor unit.
type QuoteLine struct {
	LineID            string          `json:"line_id"`
	SKUID             string          `json:"sku_id"`
	ProductID         string          `json:"product_id"`
	CategoryID        string          `json:"category_id"`
	Title             string          `json:"title"`
	SKUCode           string          `json:"sku_code"`
	Spec              string          `json:"spec"`
	Image             string          `json:"image"`
	Qty               int             `json:"qty"`
	UnitPrice         decimal.Decimal `json:"unit_price"`
	Amount            decimal.Decimal `json:"amount"`
	LevelDiscount     decimal.Decimal `json:"level_discount"`
	PromotionDiscount decimal.Decimal `json:"promotion_discount"`
	CouponDiscount    decimal.Decimal `json:"coupon_discount"`
	PointsDiscount    decimal.Decimal `json:"points_discount"`
	Paid              decimal.Decimal `json:"paid"`
	Kind              LineKind        `json:"kind"`
	// Points is what an exchange line costs in points (points_price × qty).
	Points int64 `json:"points"`
	// CampaignID is the campaign that gave a gift line.
	CampaignID string `json:"campaign_id,omitempty"`
}

// Shipping is the shipping step.
type Shipping struct {
	Fee  decimal.Decimal `json:"fee"`
	Rule string          `json:"rule"` // flat | region | free_over | level_free | none
}

// Quote is the price of a cart, every step shown, signed so that an order
// can prove it charges what the buyer saw.
type Quote struct {
	Currency    string          `json:"currency"`
	MemberID    string          `json:"member_id"`
	Lines       []QuoteLine     `json:"lines"`
	LevelID     string          `json:"level_id"`
	LevelName   string          `json:"level_name"`
	PriceFactor decimal.Decimal `json:"price_factor"`
	Promotions  []Adjustment    `json:"promotions"`
	CouponID    string          `json:"coupon_id"`
	PointsUsed  int64           `json:"points_used"`
	// ExchangePoints is the sum of the exchange lines' points, taken from
	// the balance when the order is placed (apart from PointsUsed).
	ExchangePoints    int64           `json:"exchange_points"`
	AddressID         string          `json:"address_id"`
	GoodsAmount       decimal.Decimal `json:"goods_amount"`
	LevelDiscount     decimal.Decimal `json:"level_discount"`
	PromotionDiscount decimal.Decimal `json:"promotion_discount"`
	CouponDiscount    decimal.Decimal `json:"coupon_discount"`
	PointsAmount      decimal.Decimal `json:"points_amount"`
	Shipping          Shipping        `json:"shipping"`
	Total             decimal.Decimal `json:"total"`
	ExpiresAt         time.Time       `json:"expires_at"`
	Signature         string          `json:"signature"`

	// settings are the order settings the pipeline read (not part of the
	// quote's JSON or signature); order creation reuses them.
	settings settingsRow
}

func (in *QuoteInput) validate() error {
	v := errs.Validator{}
	v.Check(len(in.Lines) > 0 && len(in.Lines) <= MaxLines, "lines", "out_of_range", fmt.Sprintf("1 to %d lines", MaxLines))
	for i, l := range in.Lines {
		v.Check(l.Qty > 0 && l.Qty <= 9999, fmt.Sprintf("lines[%d].qty", i), "out_of_range", "a quantity from 1 to 9999")
		v.Check(tenancy.ValidUUID(l.SKUID), fmt.Sprintf("lines[%d].sku_id", i), "not_found", "no such SKU")
	}
	v.Check(in.CouponID == "" || tenancy.ValidUUID(in.CouponID), "coupon_id", "not_found", "no such coupon")
	v.Check(in.Points >= 0, "points", "out_of_range", "must not be negative")
	v.Check(in.AddressID == "" || tenancy.ValidUUID(in.AddressID), "address_id", "not_found", "no such address")
	return v.Err()
}

// Quote prices a cart for the member.
func (s *Service) Quote(ctx context.Context, memberID identity.MemberID, in QuoteInput) (Quote, error) {
	if err := in.validate(); err != nil {
		return Quote{}, err
	}
	var q Quote
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		var err error
		q, _, err = s.quote(ctx, tx, memberID, in, s.now().Add(QuoteTTL))
		return err
	})
	return q, err
}

// quote runs the pipeline (DESIGN.md §4) and signs the result with expires.
func (s *Service) quote(ctx context.Context, tx *db.Tx, memberID identity.MemberID, in QuoteInput, expires time.Time) (Quote, *members.Address, error) {
	mu := minor(ctx)
	ids := make([]catalog.SKUID, len(in.Lines))
	for i, l := range in.Lines {
		ids[i] = catalog.SKUID(l.SKUID)
	}
	views, err := s.Catalog.SKUsForQuote(ctx, tx, ids)
	if err != nil {
		return Quote{}, nil, err
	}
	byID := make(map[string]catalog.SKUView, len(views))
	for _, v := range views {
		byID[string(v.SKUID)] = v
	}
	level, err := s.Members.LevelOf(ctx, tx, memberID)
	if err != nil {
		return Quote{}, nil, err
	}
	factor := level.PriceFactor
	if !factor.IsPositive() {
		factor = decimal.NewFromInt(1)
	}
	q := Quote{Currency: currency(ctx), MemberID: string(memberID), LevelID: string(level.ID), LevelName: level.Name,
		PriceFactor: factor, CouponID: in.CouponID, AddressID: in.AddressID, Promotions: []Adjustment{}}
	v := errs.Validator{}
	var short []errs.FieldError
	wanted := map[string]int{}
	for _, l := range in.Lines {
		wanted[l.SKUID] += l.Qty
	}
	for i, l := range in.Lines {
		sku, ok := byID[l.SKUID]
		field := fmt.Sprintf("lines[%d].sku_id", i)
		switch {
		case !ok:
			v.Add(field, "not_found", "no such SKU")
			continue
		case sku.Status != catalog.OnSale:
			v.Add(field, "unavailable", fmt.Sprintf("%s is not on sale", sku.Title))
			continue
		case sku.Stock < wanted[l.SKUID]:
			short = append(short, errs.FieldError{Field: fmt.Sprintf("lines[%d]", i), Code: "insufficient_stock", Message: fmt.Sprintf("%s: %d left", sku.Title, sku.Stock)})
			continue
		}
		if l.Exchange {
			if sku.PointsPrice == nil || *sku.PointsPrice <= 0 {
				v.Add(fmt.Sprintf("lines[%d].exchange", i), "not_points_goods", fmt.Sprintf("%s cannot be exchanged for points", sku.Title))
				continue
			}
			pts := int64(*sku.PointsPrice) * int64(l.Qty)
			q.ExchangePoints += pts
			q.Lines = append(q.Lines, newLine(fmt.Sprintf("L%d", i+1), sku, l.Qty, LineExchange, pts))
			continue
		}
		amount := sku.Price.Mul(decimal.NewFromInt(int64(l.Qty))).RoundBank(mu)
		levelAmount := amount.Mul(factor).RoundBank(mu)
		line := newLine(fmt.Sprintf("L%d", i+1), sku, l.Qty, LineSale, 0)
		line.UnitPrice, line.Amount, line.LevelDiscount, line.Paid = sku.Price, amount, amount.Sub(levelAmount), levelAmount
		q.Lines = append(q.Lines, line)
	}
	if err := v.Err(); err != nil {
		return Quote{}, nil, err
	}
	if len(short) > 0 {
		return Quote{}, nil, &errs.Error{Code: errs.InsufficientStock, Message: "not enough stock", Fields: short}
	}
	// Points goods and points redeemed as money draw on one balance: the
	// goods come first, redemption gets what is left.
	redeem := in.Points
	if q.ExchangePoints > 0 {
		have, err := s.Members.AvailablePoints(ctx, tx, memberID)
		if err != nil {
			return Quote{}, nil, err
		}
		if have < q.ExchangePoints {
			return Quote{}, nil, insufficientPoints(have, q.ExchangePoints)
		}
		redeem = min(redeem, have-q.ExchangePoints)
	}

	// Promotions, by priority inside the promotions capability.
	if s.Promotions != nil {
		// Exchange lines are paid in points: promotions do not see them.
		pl := make([]PromotionLine, 0, len(q.Lines))
		for _, l := range q.Lines {
			if l.Kind == LineSale {
				pl = append(pl, PromotionLine{LineID: l.LineID, ProductID: l.ProductID, SKUID: l.SKUID, CategoryID: l.CategoryID,
					Quantity: int64(l.Qty), UnitPrice: l.UnitPrice, Amount: l.Paid})
			}
		}
		var res PromotionResult
		if len(pl) > 0 {
			res, err = s.Promotions.Apply(ctx, tx, memberID, string(level.ID), pl, s.now())
			if err != nil {
				return Quote{}, nil, err
			}
		}
		for i := range q.Lines {
			d, ok := res.PerLine[q.Lines[i].LineID]
			if !ok || !d.IsPositive() {
				continue
			}
			d = decimal.Min(d.RoundBank(mu), q.Lines[i].Paid)
			q.Lines[i].PromotionDiscount = d
			q.Lines[i].Paid = q.Lines[i].Paid.Sub(d)
		}
		q.Promotions = append(q.Promotions, res.Adjustments...)
		if err := s.addGifts(ctx, tx, &q, res.Gifts, wanted); err != nil {
			return Quote{}, nil, err
		}
	}

	// Coupon: on the lines after promotions, spread over the lines in its
	// scope only (a line outside it keeps its whole price, so refunding it
	// gives none of the coupon back).
	if in.CouponID != "" {
		cl := make([]marketing.Line, len(q.Lines))
		for i, l := range q.Lines {
			cl[i] = marketing.Line{ProductID: l.ProductID, CategoryID: l.CategoryID, Amount: l.Paid}
		}
		cq, err := s.Marketing.QuoteCoupon(ctx, tx, memberID, marketing.CouponID(in.CouponID), cl)
		if err != nil {
			return Quote{}, nil, err
		}
		weights := paidOf(q.Lines)
		for i := range weights {
			if !cq.Covered[i] {
				weights[i] = decimal.Zero
			}
		}
		for i, part := range allocate(cq.Discount, weights, mu) {
			q.Lines[i].CouponDiscount = part
			q.Lines[i].Paid = q.Lines[i].Paid.Sub(part)
		}
	}

	// Points: on the amount after the coupon, before shipping.
	if redeem > 0 {
		pts, amt, err := s.Members.QuotePoints(ctx, tx, memberID, sum(paidOf(q.Lines)), redeem)
		if err != nil {
			return Quote{}, nil, err
		}
		q.PointsUsed = pts
		for i, part := range allocate(amt, paidOf(q.Lines), mu) {
			q.Lines[i].PointsDiscount = part
			q.Lines[i].Paid = q.Lines[i].Paid.Sub(part)
		}
	}

	var addr *members.Address
	if in.AddressID != "" {
		a, err := s.Members.Address(ctx, tx, memberID, members.AddressID(in.AddressID))
		if err != nil {
			if errs.Is(err, errs.NotFound) {
				return Quote{}, nil, errs.Field("address_id", "not_found", "no such address")
			}
			return Quote{}, nil, err
		}
		addr = &a
	}
	set, err := s.cachedSettings(ctx, tx)
	if err != nil {
		return Quote{}, nil, err
	}
	for _, l := range q.Lines {
		q.GoodsAmount = q.GoodsAmount.Add(l.Amount)
		q.LevelDiscount = q.LevelDiscount.Add(l.LevelDiscount)
		q.PromotionDiscount = q.PromotionDiscount.Add(l.PromotionDiscount)
		q.CouponDiscount = q.CouponDiscount.Add(l.CouponDiscount)
		q.PointsAmount = q.PointsAmount.Add(l.PointsDiscount)
	}
	merchandise := q.GoodsAmount.Sub(q.LevelDiscount).Sub(q.PromotionDiscount).Sub(q.CouponDiscount)
	q.Shipping = set.shippingFee(merchandise, addr, level.FreeShipping)
	q.Total = sum(paidOf(q.Lines)).Add(q.Shipping.Fee)
	q.ExpiresAt = expires.UTC().Truncate(time.Second)
	q.Signature = sign(set.QuoteKey, q)
	q.settings = set
	return q, addr, nil
}

// newLine is a line of sku at price 0; the caller prices a sale.
func newLine(id string, sku catalog.SKUView, qty int, kind LineKind, points int64) QuoteLine {
	cat := ""
	if sku.CategoryID != nil {
		cat = string(*sku.CategoryID)
	}
	return QuoteLine{LineID: id, SKUID: string(sku.SKUID), ProductID: string(sku.ProductID), CategoryID: cat,
		Title: sku.Title, SKUCode: sku.Code, Spec: sku.Spec, Image: sku.Image, Qty: qty, Kind: kind, Points: points,
		UnitPrice: decimal.Zero, Amount: decimal.Zero, LevelDiscount: decimal.Zero, Paid: decimal.Zero}
}

func insufficientPoints(have, need int64) error {
	return &errs.Error{Code: errs.InvalidState, Message: "not enough points", Fields: []errs.FieldError{{
		Field: "points", Code: "insufficient_points", Message: fmt.Sprintf("the exchange needs %d points; the balance is %d", need, max(have, 0))}}}
}

// addGifts adds the promotions' gifts as lines at price 0, each shown as an
// adjustment of its campaign. A gift whose SKU is gone, off sale or short of
// stock (counting what the cart itself takes) is left out, and its
// adjustment says so: a missing gift never fails the order.
func (s *Service) addGifts(ctx context.Context, tx *db.Tx, q *Quote, gifts []Gift, wanted map[string]int) error {
	if len(gifts) == 0 {
		return nil
	}
	ids := make([]catalog.SKUID, len(gifts))
	for i, g := range gifts {
		ids[i] = catalog.SKUID(g.SKUID)
	}
	views, err := s.Catalog.SKUsForQuote(ctx, tx, ids)
	if err != nil {
		return err
	}
	byID := make(map[string]catalog.SKUView, len(views))
	for _, v := range views {
		byID[string(v.SKUID)] = v
	}
	for _, g := range gifts {
		adj := Adjustment{CampaignID: g.CampaignID, Name: g.CampaignName, Plugin: g.Plugin, LineIDs: []string{}, Amount: decimal.Zero, Reason: g.Reason, Gift: true}
		sku, ok := byID[g.SKUID]
		switch {
		case !ok || sku.Status != catalog.OnSale:
			adj.Note = "the gift is no longer available"
		case int64(sku.Stock) < int64(wanted[g.SKUID])+g.Quantity:
			adj.Note = fmt.Sprintf("the gift %s is out of stock", sku.Title)
		default:
			wanted[g.SKUID] += int(g.Quantity)
			line := newLine(fmt.Sprintf("L%d", len(q.Lines)+1), sku, int(g.Quantity), LineGift, 0)
			line.CampaignID = g.CampaignID
			q.Lines = append(q.Lines, line)
			adj.LineIDs = []string{line.LineID}
		}
		q.Promotions = append(q.Promotions, adj)
	}
	return nil
}

func paidOf(lines []QuoteLine) []decimal.Decimal {
	out := make([]decimal.Decimal, len(lines))
	for i, l := range lines {
		out[i] = l.Paid
	}
	return out
}

func sum(ds []decimal.Decimal) decimal.Decimal {
	t := decimal.Zero
	for _, d := range ds {
		t = t.Add(d)
	}
	return t
}

// allocate spreads an order-level amount over lines in proportion to
// weights: each share is rounded half-even to the minor unit, and the
// remainder (a few minor units at most) goes to the line with the largest
// weight (the first of equals), never taking a line below zero.
func allocate(total decimal.Decimal, weights []decimal.Decimal, mu int32) []decimal.Decimal {
	out := make([]decimal.Decimal, len(weights))
	for i := range out {
		out[i] = decimal.Zero
	}
	w := sum(weights)
	if !total.IsPositive() || !w.IsPositive() {
		return out
	}
	total = decimal.Min(total, w)
	given := decimal.Zero
	for i, x := range weights {
		out[i] = decimal.Min(total.Mul(x).Div(w).RoundBank(mu), x)
		given = given.Add(out[i])
	}
	order := make([]int, len(weights))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return weights[order[a]].GreaterThan(weights[order[b]]) })
	rest := total.Sub(given)
	for _, i := range order {
		if rest.IsZero() {
			break
		}
		// Positive rest: add up to the line's headroom; negative: take back
		// at most what the line got.
		d := rest
		if d.IsPositive() {
			d = decimal.Min(d, weights[i].Sub(out[i]))
		} else {
			d = decimal.Max(d, out[i].Neg())
		}
		out[i] = out[i].Add(d)
		rest = rest.Sub(d)
	}
	return out
}

// sign is the HMAC-SHA256 of the quote's canonical JSON (signature empty).
func sign(key []byte, q Quote) string {
	q.Signature = ""
	b, _ := json.Marshal(q)
	m := hmac.New(sha256.New, key)
	m.Write(b)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// settingsRow is order_settings.
type settingsRow struct {
	QuoteKey         []byte           `db:"quote_key"`
	PaymentTimeout   int              `db:"payment_timeout_minutes"`
	AutoConfirmDays  int              `db:"auto_confirm_days"`
	AfterSalesDays   int              `db:"after_sales_days"`
	ShippingFlat     decimal.Decimal  `db:"shipping_flat"`
	ShippingFreeOver *decimal.Decimal `db:"shipping_free_over"`
	ShippingRegions  string           `db:"shipping_regions"`
}

func (r settingsRow) shippingFee(merchandise decimal.Decimal, addr *members.Address, levelFree bool) Shipping {
	switch {
	case levelFree:
		return Shipping{Fee: decimal.Zero, Rule: "level_free"}
	case r.ShippingFreeOver != nil && merchandise.GreaterThanOrEqual(*r.ShippingFreeOver):
		return Shipping{Fee: decimal.Zero, Rule: "free_over"}
	}
	if addr != nil {
		var regions map[string]decimal.Decimal
		_ = json.Unmarshal([]byte(r.ShippingRegions), &regions)
		if fee, ok := regions[addr.Province]; ok {
			return Shipping{Fee: fee, Rule: "region"}
		}
	}
	if r.ShippingFlat.IsZero() {
		return Shipping{Fee: decimal.Zero, Rule: "none"}
	}
	return Shipping{Fee: r.ShippingFlat, Rule: "flat"}
}

const settingsCols = `quote_key, payment_timeout_minutes, auto_confirm_days, after_sales_days, shipping_flat, shipping_free_over, shipping_regions::text AS shipping_regions`

// settings reads the tenant's order settings, creating them (with a fresh
// quote key) on first use.
func (s *Service) settings(ctx context.Context, tx *db.Tx) (settingsRow, error) {
	var r settingsRow
	err := tx.GetContext(ctx, &r, `SELECT `+settingsCols+` FROM order_settings WHERE tenant_id = $1`, tid(ctx))
	if err == nil {
		return r, nil
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return r, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO order_settings (tenant_id, quote_key) VALUES ($1, $2) ON CONFLICT DO NOTHING`, tid(ctx), key); err != nil {
		return r, fmt.Errorf("order settings: %w", err)
	}
	if err := tx.GetContext(ctx, &r, `SELECT `+settingsCols+` FROM order_settings WHERE tenant_id = $1`, tid(ctx)); err != nil {
		return r, fmt.Errorf("order settings: %w", err)
	}
	return r, nil
}
