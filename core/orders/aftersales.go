package orders

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"time"

	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/identity"
	"github.com/banyanmall/banyan/core/page"
	"github.com/banyanmall/banyan/core/tenancy"
)

// AfterSale is a member's request for money back.
type AfterSale struct {
	ID             string          `db:"id" json:"id"`
	OrderID        OrderID         `db:"order_id" json:"order_id"`
	MemberID       string          `db:"member_id" json:"member_id"`
	Kind           string          `db:"kind" json:"kind"`
	State          string          `db:"state" json:"state"`
	Reason         string          `db:"reason" json:"reason"`
	Photos         pq.StringArray  `db:"photos" json:"photos"`
	Lines          json.RawMessage `db:"lines" json:"lines"`
	Amount         decimal.Decimal `db:"amount" json:"amount"`
	RejectReason   string          `db:"reject_reason" json:"reject_reason,omitempty"`
	ReturnCarrier  string          `db:"return_carrier" json:"return_carrier,omitempty"`
	ReturnTracking string          `db:"return_tracking" json:"return_tracking,omitempty"`
	RefundID       *string         `db:"refund_id" json:"refund_id"`
	CreatedAt      time.Time       `db:"created_at" json:"created_at"`
	UpdatedAt      time.Time       `db:"updated_at" json:"updated_at"`
}

const afterSaleCols = `id, order_id, member_id, kind, state, reason, photos, lines, amount, reject_reason, return_carrier, return_tracking, refund_id, created_at, updated_at`

// AfterSaleInput is a member's request: some lines (quantities, and an
// amount each — by default the line's paid amount for that quantity).
type AfterSaleInput struct {
	Kind   string          `json:"kind"`
	Lines  []AfterSaleLine `json:"lines"`
	Reason string          `json:"reason"`
	Photos []string        `json:"photos,omitempty"`
}

// AfterSaleLine is one line of a request.
type AfterSaleLine struct {
	LineID string           `json:"line_id"`
	Qty    int              `json:"qty"`
	Amount *decimal.Decimal `json:"amount,omitempty"`
}

// RequestAfterSale opens a request on a paid order: before completion, or
// within the shop's after-sales window after it. One open request per order.
func (s *Service) RequestAfterSale(ctx context.Context, id OrderID, memberID identity.MemberID, in AfterSaleInput) (AfterSale, error) {
	mu := minor(ctx)
	v := errs.Validator{}
	v.Check(in.Kind == "refund_only" || in.Kind == "return_and_refund", "kind", "invalid", "refund_only or return_and_refund")
	v.Check(len(in.Lines) > 0 && len(in.Lines) <= MaxLines, "lines", "out_of_range", "at least one line")
	n := len([]rune(in.Reason))
	v.Check(n >= 1 && n <= 200, "reason", "required", "a reason (at most 200 characters)")
	v.Check(len(in.Photos) <= 9, "photos", "too_many", "at most 9 photos")
	for i, p := range in.Photos {
		u, err := url.Parse(p)
		v.Check(err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && len(p) <= 500, fmt.Sprintf("photos[%d]", i), "invalid", "an http(s) URL")
	}
	for i, l := range in.Lines {
		v.Check(l.Qty >= 0, fmt.Sprintf("lines[%d].qty", i), "out_of_range", "must not be negative")
		v.Check(l.Amount == nil || (l.Amount.IsPositive() && l.Amount.Equal(l.Amount.Round(mu))), fmt.Sprintf("lines[%d].amount", i), "out_of_range",
			fmt.Sprintf("a positive amount with at most %d decimals", mu))
	}
	if err := v.Err(); err != nil {
		return AfterSale{}, err
	}
	if !tenancy.ValidUUID(string(id)) {
		return AfterSale{}, errs.E(errs.NotFound, "order not found")
	}
	var a AfterSale
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		o, err := s.load(ctx, tx, id, true)
		if err != nil {
			return err
		}
		if o.MemberID != string(memberID) {
			return errs.E(errs.NotFound, "order not found")
		}
		if o.State != Paid && o.State != Shipped && o.State != Completed {
			return invalidState(o, "request after-sales on")
		}
		set, err := s.settings(ctx, tx)
		if err != nil {
			return err
		}
		if o.CompletedAt != nil && s.now().After(o.CompletedAt.AddDate(0, 0, set.AfterSalesDays)) {
			return errs.E(errs.InvalidState, "the after-sales window of this order closed")
		}
		lines := map[string]Line{}
		for _, l := range o.Lines {
			lines[l.ID] = l
		}
		out := make([]RefundLine, len(in.Lines))
		total := decimal.Zero
		for i, l := range in.Lines {
			ol, ok := lines[l.LineID]
			if !ok {
				return errs.Field(fmt.Sprintf("lines[%d].line_id", i), "not_found", "not a line of this order")
			}
			left := ol.PaidAmount.Sub(ol.RefundedAmount)
			if l.Qty > ol.Qty-ol.RefundedQty {
				return errs.Field(fmt.Sprintf("lines[%d].qty", i), "out_of_range", fmt.Sprintf("at most %d", ol.Qty-ol.RefundedQty))
			}
			amt := left
			if l.Amount != nil {
				amt = *l.Amount
			} else if l.Qty > 0 && l.Qty < ol.Qty-ol.RefundedQty {
				amt = ol.PaidAmount.Mul(decimal.NewFromInt(int64(l.Qty))).Div(decimal.NewFromInt(int64(ol.Qty))).RoundBank(mu)
				amt = decimal.Min(amt, left)
			}
			if ol.Kind == LineExchange && l.Amount == nil {
				// Points goods were paid in points: they come back for 0
				// money and give their points back.
				if l.Qty == 0 {
					return errs.Field(fmt.Sprintf("lines[%d].qty", i), "out_of_range", "how many of these points goods come back")
				}
			} else if !amt.IsPositive() || amt.GreaterThan(left) {
				return errs.Field(fmt.Sprintf("lines[%d].amount", i), "above_paid", fmt.Sprintf("at most %s can still be refunded on this line", left))
			}
			out[i] = RefundLine{LineID: l.LineID, Qty: l.Qty, Amount: amt}
			total = total.Add(amt)
		}
		lj, _ := json.Marshal(out)
		err = tx.GetContext(ctx, &a, `INSERT INTO after_sales (tenant_id, order_id, member_id, kind, state, reason, photos, lines, amount, created_at, updated_at)
VALUES ($1, $2, $3, $4, 'requested', $5, $6, $7, $8, $9, $9) RETURNING `+afterSaleCols,
			tid(ctx), id, memberID, in.Kind, in.Reason, pq.Array(append([]string{}, in.Photos...)), string(lj), total, s.now())
		if db.IsUnique(err, "after_sales_open") {
			return errs.E(errs.InvalidState, "this order already has an open after-sales request")
		}
		if err != nil {
			return err
		}
		return s.event(ctx, tx, id, "after_sales_requested", "", "", in.Kind+": "+in.Reason)
	})
	return a, err
}

// AfterSaleAction is what staff (or the member, for the return parcel) does
// to a request.
type AfterSaleAction struct {
	Reason     string `json:"reason,omitempty"`
	Carrier    string `json:"carrier,omitempty"`
	TrackingNo string `json:"tracking_no,omitempty"`
	Restock    bool   `json:"restock,omitempty"`
}

// after-sales transitions: action → states it may start from.
var afterSaleFrom = map[string][]string{
	"approve": {"requested"},
	"reject":  {"requested", "returning", "received"},
	"return":  {"approved"},
	"receive": {"approved", "returning"},
	"refund":  {"received"},
}

// ActOnAfterSale moves a request on. approve: refund_only is refunded at
// once, return_and_refund waits for the goods; return (the member): the
// return parcel; receive: the goods are back; refund: the money goes back
// (restocking the returned quantities when asked).
func (s *Service) ActOnAfterSale(ctx context.Context, id string, memberID identity.MemberID, action string, in AfterSaleAction) (AfterSale, error) {
	if !tenancy.ValidUUID(id) {
		return AfterSale{}, errs.E(errs.NotFound, "after-sales request not found")
	}
	switch action {
	case "reject":
		if n := len([]rune(in.Reason)); n < 1 || n > 200 {
			return AfterSale{}, errs.Field("reason", "required", "a reason the member will see (at most 200 characters)")
		}
	case "return":
		if in.Carrier == "" || in.TrackingNo == "" || len(in.Carrier) > 64 || len(in.TrackingNo) > 64 {
			return AfterSale{}, errs.Field("tracking_no", "required", "the return parcel's carrier and tracking number")
		}
	}
	var a AfterSale
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		if err := tx.GetContext(ctx, &a, `SELECT `+afterSaleCols+` FROM after_sales WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, tid(ctx), id); err != nil {
			return db.NotFound(err, "after-sales request")
		}
		if memberID != "" && a.MemberID != string(memberID) {
			return errs.E(errs.NotFound, "after-sales request not found")
		}
		ok := false
		for _, st := range afterSaleFrom[action] {
			ok = ok || st == a.State
		}
		if !ok || (action == "refund" && a.Kind == "refund_only") {
			return errs.E(errs.InvalidState, "cannot %s an after-sales request that is %s", action, a.State)
		}
		next := map[string]string{"approve": "approved", "reject": "rejected", "return": "returning", "receive": "received", "refund": "refunding"}[action]
		if action == "approve" && a.Kind == "refund_only" {
			next = "refunding"
		}
		var refundID *string
		if next == "refunding" {
			// Phase 1 of the refund (see RefundOrder); the request becomes
			// refunded when the refund succeeds, and goes back to where it
			// was if the provider refuses.
			var lines []RefundLine
			if err := json.Unmarshal(a.Lines, &lines); err != nil {
				return err
			}
			r, err := s.beginRefund(ctx, tx, a.OrderID, RefundInput{Lines: lines, Reason: "after-sales: " + a.Reason, Restock: in.Restock && a.Kind == "return_and_refund"},
				a.Amount, &a.ID, s.now().Add(refundRetryAfter))
			if err != nil {
				return err
			}
			refundID = &r.ID
		}
		err := tx.GetContext(ctx, &a, `UPDATE after_sales SET state = $3, reject_reason = CASE WHEN $3 = 'rejected' THEN $4 ELSE reject_reason END,
return_carrier = coalesce(nullif($5, ''), return_carrier), return_tracking = coalesce(nullif($6, ''), return_tracking),
refund_id = coalesce($7, refund_id), updated_at = $8 WHERE tenant_id = $1 AND id = $2 RETURNING `+afterSaleCols,
			tid(ctx), id, next, in.Reason, in.Carrier, in.TrackingNo, refundID, s.now())
		if err != nil {
			return err
		}
		return s.event(ctx, tx, a.OrderID, "after_sales_"+next, "", "", in.Reason)
	})
	if err != nil || a.State != "refunding" || a.RefundID == nil {
		return a, err
	}
	r, err := s.finishInline(ctx, Refund{ID: *a.RefundID, Status: RefundPending})
	if r.Status == RefundPending {
		return a, nil // still refunding: the job finishes it (202)
	}
	if gerr := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		return tx.GetContext(ctx, &a, `SELECT `+afterSaleCols+` FROM after_sales WHERE tenant_id = $1 AND id = $2`, tid(ctx), id)
	}); gerr != nil {
		return a, gerr
	}
	return a, err
}

// AfterSales lists requests newest first (staff: all, with state; member: theirs).
func (s *Service) AfterSales(ctx context.Context, state string, memberID identity.MemberID, p page.Request) ([]AfterSale, string, error) {
	p = p.Normalize()
	k, err := decodeListKey(p.Cursor)
	if err != nil {
		return nil, "", err
	}
	var out []AfterSale
	err = s.DB.InTenant(ctx, func(tx *db.Tx) error {
		return tx.SelectContext(ctx, &out, `SELECT `+afterSaleCols+` FROM after_sales WHERE tenant_id = $1 AND ($2 = '' OR state = $2)
AND ($3 = '' OR member_id::text = $3) AND (created_at, id) < ($4, $5) ORDER BY created_at DESC, id DESC LIMIT $6`,
			tid(ctx), state, string(memberID), k.At, k.ID, p.Limit+1)
	})
	if err != nil {
		return nil, "", err
	}
	items, next := page.Cut(out, p.Limit, func(a AfterSale) any { return listKey{a.CreatedAt, a.ID} })
	return items, next, nil
}

// AfterSaleByID answers one request.
func (s *Service) AfterSaleByID(ctx context.Context, id string) (AfterSale, error) {
	if !tenancy.ValidUUID(id) {
		return AfterSale{}, errs.E(errs.NotFound, "after-sales request not found")
	}
	var a AfterSale
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		return db.NotFound(tx.GetContext(ctx, &a, `SELECT `+afterSaleCols+` FROM after_sales WHERE tenant_id = $1 AND id = $2`, tid(ctx), id), "after-sales request")
	})
	return a, err
}
