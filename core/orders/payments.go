package orders

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/catalog"
	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/identity"
	"github.com/banyanmall/banyan/core/pluginhost"
	"github.com/banyanmall/banyan/core/tenancy"
	"github.com/banyanmall/banyan/sdk"
)

// HTTPDoer sends the sandbox's webhook to this server.
type HTTPDoer interface {
	Do(*http.Request) (*http.Response, error)
}

// Payment is one attempt to pay an order.
type Payment struct {
	ID          PaymentID        `db:"id" json:"id"`
	OrderID     OrderID          `db:"order_id" json:"order_id"`
	Provider    string           `db:"provider" json:"provider"`
	Amount      decimal.Decimal  `db:"amount" json:"amount"`
	Currency    string           `db:"currency" json:"currency"`
	Status      string           `db:"status" json:"status"`
	ProviderRef string           `db:"provider_ref" json:"provider_ref"`
	PayURL      string           `db:"pay_url" json:"pay_url"`
	QRPayload   string           `db:"qr_payload" json:"qr_payload"`
	Reference   string           `db:"reference" json:"reference,omitempty"`
	Error       string           `db:"error" json:"error,omitempty"`
	Received    *decimal.Decimal `db:"received" json:"received,omitempty"`
	CreatedAt   time.Time        `db:"created_at" json:"created_at"`
	SettledAt   *time.Time       `db:"settled_at" json:"settled_at"`
}

const paymentCols = `id, order_id, provider, amount, currency, status, provider_ref, pay_url, qr_payload, reference, error, received, created_at, settled_at`

// PayInput picks the provider; ReturnURL is where the buyer lands after.
type PayInput struct {
	Provider  string `json:"provider"`
	ReturnURL string `json:"return_url,omitempty"`
}

// pluginContext is field 1 of every plugin request.
func (s *Service) pluginContext(ctx context.Context, config json.RawMessage) sdk.PluginContext {
	return sdk.PluginContext{TenantID: string(tid(ctx)), ConfigJSON: config, Currency: currency(ctx), MinorUnits: minor(ctx),
		Now: s.now().UTC().Truncate(time.Millisecond)}
}

func (s *Service) provider(ctx context.Context, tx *db.Tx, name string) (sdk.PaymentProvider, json.RawMessage, error) {
	if s.Plugins == nil || s.Payments == nil || name == "" {
		return nil, nil, errs.Field("provider", "not_enabled", "this shop takes no payments through that provider")
	}
	cfg, err := s.Plugins.PaymentConfig(ctx, tx, name)
	if errs.Is(err, errs.NotFound) {
		return nil, nil, errs.Field("provider", "not_enabled", fmt.Sprintf("this shop has not enabled %s", name))
	}
	if err != nil {
		return nil, nil, err
	}
	p, err := s.Payments.Payment(name)
	if err != nil {
		return nil, nil, pluginErr(name, err)
	}
	return p, cfg, nil
}

// pluginErr turns a plugin call's failure into the API's error: a typed
// refusal stays the caller's problem, anything else is 503 naming the plugin.
func pluginErr(name string, err error) error {
	if errors.Is(err, pluginhost.ErrRejected) {
		return &errs.Error{Code: errs.Invalid, Message: fmt.Sprintf("%s refused: %v", name, err), Err: err,
			Fields: []errs.FieldError{{Field: "provider", Code: "rejected", Message: err.Error()}}}
	}
	return &errs.Error{Code: errs.PluginUnavailable, Message: fmt.Sprintf("plugin %s is unavailable; try again shortly", name), Err: err}
}

// Pay starts paying an order with a provider the shop enabled: a pending
// payment is recorded first, then the plugin asked for a payment intent.
// When the plugin fails the attempt stays pending with the error and the
// answer is 503 plugin_unavailable.
func (s *Service) Pay(ctx context.Context, id OrderID, memberID identity.MemberID, in PayInput, origin string) (Payment, error) {
	if !tenancy.ValidUUID(string(id)) {
		return Payment{}, errs.E(errs.NotFound, "order not found")
	}
	var (
		p    Payment
		prov sdk.PaymentProvider
		cfg  json.RawMessage
		o    Order
	)
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		var perr error
		prov, cfg, perr = s.provider(ctx, tx, in.Provider)
		// One statement locks the order and, when it can be paid (and the
		// provider is enabled), records the pending payment; the checks
		// below then answer in the order they always did.
		p = Payment{ID: PaymentID(uuid.NewString()), OrderID: id, Provider: in.Provider, Status: "pending", CreatedAt: s.now()}
		var row struct {
			Order
			Inserted bool `db:"inserted"`
		}
		err := tx.GetContext(ctx, &row, `
WITH o AS (
  SELECT id, order_no, member_id, state, total, currency FROM orders WHERE tenant_id = $1 AND id = $2 FOR UPDATE
), ins AS (
  INSERT INTO payments (tenant_id, id, order_id, provider, amount, currency, status, created_at)
  SELECT $1, $3, o.id, $4, o.total, o.currency, 'pending', $5 FROM o
  WHERE $6 AND o.member_id::text = $7 AND o.state = 'pending_payment' AND o.total > 0
  RETURNING id
)
SELECT o.id, o.order_no, o.member_id, o.state, o.total, o.currency, EXISTS (SELECT 1 FROM ins) AS inserted FROM o`,
			tid(ctx), id, p.ID, p.Provider, p.CreatedAt, perr == nil, string(memberID))
		if err != nil {
			return db.NotFound(err, "order")
		}
		o = row.Order
		switch {
		case o.MemberID != string(memberID):
			return errs.E(errs.NotFound, "order not found")
		case o.State != PendingPayment:
			return invalidState(o, "pay")
		case !o.Total.IsPositive():
			return errs.E(errs.InvalidState, "the order has nothing to pay")
		case perr != nil:
			return perr
		case !row.Inserted:
			return fmt.Errorf("pay order %s: the payment was not recorded", id)
		}
		p.Amount, p.Currency = o.Total, o.Currency
		return nil
	})
	if err != nil {
		return Payment{}, err
	}
	returnURL := in.ReturnURL
	if returnURL == "" {
		returnURL = origin + "/orders/" + string(id)
	}
	t, _ := tenancy.From(ctx)
	intent, perr := prov.CreatePayment(ctx, sdk.PaymentRequest{Context: s.pluginContext(ctx, cfg), PaymentID: string(p.ID), OrderNo: o.OrderNo,
		Amount: p.Amount, Currency: p.Currency, Description: "Order " + o.OrderNo, ReturnURL: returnURL,
		NotifyURL: origin + "/api/v1/webhooks/payments/" + in.Provider + "/" + t.Slug})
	err = s.DB.InTenant(ctx, func(tx *db.Tx) error {
		if perr != nil {
			_, err := tx.ExecContext(ctx, `UPDATE payments SET error = $3 WHERE tenant_id = $1 AND id = $2`, tid(ctx), p.ID, perr.Error())
			return err
		}
		p.ProviderRef, p.PayURL, p.QRPayload = intent.ProviderRef, intent.PayURL, intent.QRPayload
		_, err := tx.ExecContext(ctx, `UPDATE payments SET provider_ref = $3, pay_url = $4, qr_payload = $5 WHERE tenant_id = $1 AND id = $2`,
			tid(ctx), p.ID, p.ProviderRef, p.PayURL, p.QRPayload)
		return err
	})
	if perr != nil {
		return Payment{}, pluginErr(in.Provider, perr)
	}
	return p, err
}

// WebhookResult says what a webhook did.
type WebhookResult struct {
	Outcome string `json:"outcome"` // paid | duplicate | failed | mismatch | orphan | refunded | ignored | unknown_payment | refund_succeeded | refund_failed | unknown_refund
}

// Webhook applies a provider's webhook for the tenant in ctx: verified by
// the plugin with the tenant's config, applied once per provider event id.
func (s *Service) Webhook(ctx context.Context, provider string, headers map[string]string, body []byte) (WebhookResult, error) {
	// No transaction: the shop's plugin config is cached on the replica
	// (core/plugins), and a miss reads it in one of its own.
	prov, cfg, err := s.provider(ctx, nil, provider)
	if errs.Is(err, errs.Invalid) {
		return WebhookResult{}, errs.E(errs.NotFound, "no such payment provider for this shop")
	}
	if err != nil {
		return WebhookResult{}, err
	}
	ev, err := prov.VerifyWebhook(ctx, sdk.WebhookRequest{Context: s.pluginContext(ctx, cfg), Headers: headers, Body: body})
	if errors.Is(err, pluginhost.ErrRejected) {
		return WebhookResult{}, &errs.Error{Code: errs.Unauthenticated, Message: "the webhook did not verify", Err: err}
	}
	if err != nil {
		return WebhookResult{}, pluginErr(provider, err)
	}
	var res WebhookResult
	var orphan string // a refund of a payment no order could take, begun in the transaction
	err = s.DB.InTenant(ctx, func(tx *db.Tx) error {
		a, err := s.applyEvent(ctx, tx, provider, ev)
		if err != nil {
			return err
		}
		recorded, err := s.recordEvent(ctx, tx, provider, ev, a)
		if err != nil {
			return err
		}
		if !recorded {
			return errDuplicateEvent // and what the event did is rolled back
		}
		res.Outcome, orphan = a.outcome, a.orphan
		if a.paid != nil {
			// The transaction's last statement (see recordPurchase).
			return s.recordPurchase(ctx, tx, *a.paid)
		}
		return nil
	})
	if errors.Is(err, errDuplicateEvent) {
		return WebhookResult{Outcome: "duplicate"}, nil
	}
	if err != nil {
		return WebhookResult{}, err
	}
	if orphan != "" {
		// Its job finishes it if this fails or the process dies here.
		if r, err := s.finishRefund(ctx, orphan); err != nil || r.Status != RefundSucceeded {
			s.Log.WarnContext(ctx, "automatic refund of a late payment not done yet", "refund", orphan, "status", r.Status, "err", err)
		} else {
			res.Outcome = "refunded"
		}
	}
	return res, nil
}

// errDuplicateEvent rolls back a webhook's transaction whose event was
// recorded before.
var errDuplicateEvent = errors.New("payment event already recorded")

// applied is what a new verified event did, for the last statements of its
// transaction.
type applied struct {
	outcome string
	orphan  string   // a refund begun for a payment no order could take, finished after commit
	payment *settled // the payment's final status, written with the event; nil: unchanged
	paid    *payable // the order it paid, whose purchase is recorded last
}

// settled is a payment's final status and what the event said of it; the
// empty strings and a nil Received keep what the payment has.
type settled struct {
	ID               PaymentID
	Status           string
	ProviderRef      string
	Received         *decimal.Decimal
	ReceivedCurrency string
	Error            string
}

// payable is what paying an order needs of it.
type payable struct {
	ID          OrderID
	OrderNo     string
	MemberID    string
	State       State
	ShippingFee decimal.Decimal
	Products    []string // of its lines, for recordPurchase
}

func payableOf(o Order) payable {
	p := payable{ID: o.ID, OrderNo: o.OrderNo, MemberID: o.MemberID, State: o.State, ShippingFee: o.ShippingFee}
	for _, l := range o.Lines {
		p.Products = append(p.Products, l.ProductID)
	}
	return p
}

// paymentForEvent locks a payment's order and then the payment (the order
// first, as every other path that takes both: refund settlement, paying)
// and reads what applying an event needs, in one statement. The lines'
// products are read in it too: they never change, so the snapshot the
// statement began with (older than the locks when it waited) is as good.
var paymentForEvent = `SELECT p.` + strings.ReplaceAll(paymentCols, ", ", ", p.") + `,
  o.order_no, o.member_id, o.state AS order_state, o.shipping_fee,
  (SELECT array_agg(l.product_id ORDER BY l.position) FROM order_lines l WHERE l.tenant_id = o.tenant_id AND l.order_id = o.id) AS products
FROM payments p JOIN orders o ON o.tenant_id = p.tenant_id AND o.id = p.order_id
WHERE p.tenant_id = $1 AND p.id = $2 AND p.provider = $3
FOR UPDATE OF o, p`

// applyEvent applies a new verified event. A payment that arrives for an
// order that can no longer take it gets a pending refund, whose id is
// returned for the caller to finish after commit. A refund event settles a
// refund the provider had left pending. The event itself, and the
// payment's new status, are the caller's to record (recordEvent).
func (s *Service) applyEvent(ctx context.Context, tx *db.Tx, provider string, ev sdk.WebhookEvent) (applied, error) {
	if ev.Type == sdk.EventRefundSucceeded || ev.Type == sdk.EventRefundFailed {
		outcome, err := s.applyRefundEvent(ctx, tx, provider, ev)
		return applied{outcome: outcome}, err
	}
	if ev.Type != sdk.EventPaymentSucceeded && ev.Type != sdk.EventPaymentFailed {
		return applied{outcome: "ignored"}, nil
	}
	if !tenancy.ValidUUID(ev.PaymentID) {
		return applied{outcome: "unknown_payment"}, nil
	}
	var row struct {
		Payment
		OrderNo     string          `db:"order_no"`
		MemberID    string          `db:"member_id"`
		OrderState  State           `db:"order_state"`
		ShippingFee decimal.Decimal `db:"shipping_fee"`
		Products    pq.StringArray  `db:"products"`
	}
	err := tx.GetContext(ctx, &row, paymentForEvent, tid(ctx), ev.PaymentID, provider)
	if isNoRows(err) {
		return applied{outcome: "unknown_payment"}, nil
	}
	if err != nil {
		return applied{}, err
	}
	p := row.Payment
	o := payable{ID: p.OrderID, OrderNo: row.OrderNo, MemberID: row.MemberID, State: row.OrderState, ShippingFee: row.ShippingFee, Products: row.Products}
	if p.Status != "pending" {
		return applied{outcome: "ignored"}, nil
	}
	if ev.Type == sdk.EventPaymentFailed {
		return applied{outcome: "failed", payment: &settled{ID: p.ID, Status: "failed", Error: "declined by the provider"}}, nil
	}
	if !ev.Amount.Equal(p.Amount) || ev.Currency != p.Currency {
		// Money arrived but not what was asked: keep it in suspense for a
		// person to resolve; the order stays unpaid.
		if err := s.post(ctx, tx, LedgerEntry{Kind: "payment_mismatch", Ref: string(p.ID), OrderID: string(o.ID), MemberID: o.MemberID,
			Memo:  fmt.Sprintf("%s %s received for a payment of %s %s", ev.Amount, ev.Currency, p.Amount, p.Currency),
			Lines: []LedgerLine{{Account: AcctCustomerClearing, Debit: ev.Amount}, {Account: AcctPaymentSuspense, Credit: ev.Amount}}}); err != nil {
			return applied{}, err
		}
		received := ev.Amount
		return applied{outcome: "mismatch", payment: &settled{ID: p.ID, Status: "mismatch", Received: &received, ReceivedCurrency: ev.Currency,
			Error: "amount or currency differs from the payment"}}, s.event(ctx, tx, o.ID, "payment_mismatch", "", "", string(p.ID))
	}
	succeeded := &settled{ID: p.ID, Status: "succeeded", ProviderRef: ev.ProviderRef}
	if o.State != PendingPayment {
		// Cancelled meanwhile, or paid by another attempt: hold it in
		// suspense and give it back.
		if err := s.post(ctx, tx, LedgerEntry{Kind: "payment_orphan", Ref: string(p.ID), OrderID: string(o.ID), MemberID: o.MemberID,
			Memo:  "payment for an order that is " + string(o.State),
			Lines: []LedgerLine{{Account: AcctCustomerClearing, Debit: p.Amount}, {Account: AcctPaymentSuspense, Credit: p.Amount}}}); err != nil {
			return applied{}, err
		}
		if err := s.event(ctx, tx, o.ID, "payment_after_"+string(o.State), "", "", string(p.ID)); err != nil {
			return applied{}, err
		}
		// Recorded pending with its finishing job, so a crash between the
		// provider's refund and our record cannot lose it.
		refundID := uuid.NewString()
		if _, err := tx.ExecContext(ctx, `INSERT INTO refunds (tenant_id, id, order_id, payment_id, amount, status, reason, orphan, created_at)
VALUES ($1, $2, $3, $4, $5, 'pending', 'order no longer payable', true, $6)`, tid(ctx), refundID, p.OrderID, p.ID, p.Amount, s.now()); err != nil {
			return applied{}, err
		}
		if err := enqueueAt(ctx, tx, FinishRefundArgs{Tenant: tenantArg(ctx), RefundID: refundID}, s.now().Add(refundRetryAfter)); err != nil {
			return applied{}, err
		}
		return applied{outcome: "orphan", orphan: refundID, payment: succeeded}, nil
	}
	return applied{outcome: "paid", payment: succeeded, paid: &o}, s.markPaid(ctx, tx, o, p)
}

// recordEvent records a verified event with its outcome and, in the same
// statement, the payment's final status. The event's primary key (tenant,
// provider, event id) is what applies an event once: recordEvent answers
// false when the event is already recorded — a replay, or the loser of
// concurrent deliveries (which queue on the order and payment locks of
// applyEvent and find the payment settled, or on the event's key) — and
// the caller rolls back what it did.
func (s *Service) recordEvent(ctx context.Context, tx *db.Tx, provider string, ev sdk.WebhookEvent, a applied) (bool, error) {
	var payment any // NULL: no payment changes
	var set settled
	if a.payment != nil {
		payment, set = string(a.payment.ID), *a.payment
	}
	var n int
	err := tx.GetContext(ctx, &n, `
WITH ev AS (
  INSERT INTO payment_events (tenant_id, provider, event_id, payment_id, type, amount, currency, received_at, outcome)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING RETURNING 1
), pay AS (
  UPDATE payments SET status = $11, provider_ref = coalesce(nullif($12, ''), provider_ref), received = coalesce($13, received),
    received_currency = coalesce(nullif($14, ''), received_currency), error = coalesce(nullif($15, ''), error), settled_at = $8
  WHERE tenant_id = $1 AND id = $10::uuid AND EXISTS (SELECT 1 FROM ev)
)
SELECT count(*) FROM ev`, tid(ctx), provider, ev.EventID, ev.PaymentID, string(ev.Type), ev.Amount, ev.Currency, s.now(), a.outcome,
		payment, set.Status, set.ProviderRef, set.Received, set.ReceivedCurrency, set.Error)
	if err != nil {
		return false, fmt.Errorf("payment event: %w", err)
	}
	return n == 1, nil
}

// settleOrphan records the succeeded refund of a payment no order could
// take (in settleRefund's transaction): the money leaves suspense.
func (s *Service) settleOrphan(ctx context.Context, tx *db.Tx, r refundRow) error {
	if _, err := tx.ExecContext(ctx, `UPDATE payments SET status = 'refunded' WHERE tenant_id = $1 AND id = $2`, tid(ctx), r.PaymentID); err != nil {
		return err
	}
	return s.post(ctx, tx, LedgerEntry{Kind: "payment_orphan_refund", Ref: r.ID, OrderID: string(r.OrderID),
		Memo:  "automatic refund of a payment for an order no longer payable",
		Lines: []LedgerLine{{Account: AcctPaymentSuspense, Debit: r.Amount}, {Account: AcctCustomerClearing, Credit: r.Amount}}})
}

// applyRefundEvent settles a refund of this provider that was pending at
// it (the provider answered pending and reports the outcome later).
func (s *Service) applyRefundEvent(ctx context.Context, tx *db.Tx, provider string, ev sdk.WebhookEvent) (string, error) {
	if !tenancy.ValidUUID(ev.RefundID) {
		return "unknown_refund", nil
	}
	r, err := s.refundRow(ctx, tx, ev.RefundID, false)
	if errs.Is(err, errs.NotFound) || (err == nil && r.Provider != provider) {
		return "unknown_refund", nil
	}
	if err != nil {
		return "", err
	}
	out := refundOutcome{Status: RefundSucceeded, ProviderRef: ev.ProviderRef, Message: "confirmed by the provider"}
	if ev.Type == sdk.EventRefundFailed {
		out.Status, out.Message = RefundFailed, "refused by the provider"
	}
	if out.ProviderRef == "" {
		out.ProviderRef = r.ProviderRef
	}
	done, err := s.settleRefund(ctx, tx, ev.RefundID, out)
	if err != nil {
		return "", err
	}
	return "refund_" + done.Status, nil
}

// markPaid moves a pending order to paid with payment p, and does what a
// payment causes, all in tx, except recording the purchase: the caller
// does that last (recordPurchase).
func (s *Service) markPaid(ctx context.Context, tx *db.Tx, o payable, p Payment) error {
	now := s.now()
	who, whoID := actor(ctx)
	// One statement updates the order, returning the quote's promotions (the
	// campaigns whose use is recorded below), and appends its event.
	var used []Adjustment
	if err := tx.GetContext(ctx, &jsonScan{&used}, `
WITH ev AS (
  INSERT INTO order_events (tenant_id, order_id, kind, from_state, to_state, actor, actor_id, note, at)
  VALUES ($1, $2, 'paid', 'pending_payment', 'paid', $5, $6, $7, $3)
)
UPDATE orders SET state = 'paid', paid_at = $3, paid_amount = $4 WHERE tenant_id = $1 AND id = $2
RETURNING coalesce(quote->'promotions', '[]')`, tid(ctx), o.ID, now, p.Amount, who, whoID, p.Provider+" "+string(p.ID)); err != nil {
		return fmt.Errorf("mark paid: %w", err)
	}
	// Exchange lines cost no money: only what was paid in money (priced
	// lines and shipping) is revenue. An order paid wholly in points moves
	// no money and posts nothing.
	if p.Amount.IsPositive() {
		lines := []LedgerLine{{Account: AcctCustomerClearing, Debit: p.Amount}}
		if goods := p.Amount.Sub(o.ShippingFee); goods.IsPositive() {
			lines = append(lines, LedgerLine{Account: AcctSalesRevenue, Credit: goods})
		}
		if o.ShippingFee.IsPositive() {
			lines = append(lines, LedgerLine{Account: AcctShippingRevenue, Credit: o.ShippingFee})
		}
		if err := s.post(ctx, tx, LedgerEntry{Kind: "order_payment", Ref: string(p.ID), OrderID: string(o.ID), MemberID: o.MemberID,
			Memo: "order " + o.OrderNo + " paid via " + p.Provider, Lines: lines}); err != nil {
			return err
		}
	}
	member := identity.MemberID(o.MemberID)
	if s.Promotions != nil {
		// Every campaign the order used, gift campaigns included
		// (promotions.Result.CampaignIDs); a gift left out gave nothing.
		var ids []string
		for _, a := range used {
			if (!a.Gift || len(a.LineIDs) > 0) && !slices.Contains(ids, a.CampaignID) {
				ids = append(ids, a.CampaignID)
			}
		}
		if len(ids) > 0 {
			if err := s.Promotions.RecordUsage(ctx, tx, member, string(o.ID), ids); err != nil {
				return err
			}
		}
	}
	if s.Distribution != nil {
		if err := s.Distribution.EnqueueCommission(ctx, tx, string(o.ID)); err != nil {
			return err
		}
	}
	return nil
}

// recordPurchase records the products of an order just paid
// (catalog.RecordPurchase). Callers make it the last statement of the
// transaction that marked the order paid: the sales recount's job row it
// may lock is shared by every payment of the same products until commit.
func (s *Service) recordPurchase(ctx context.Context, tx *db.Tx, o payable) error {
	products := make([]catalog.ProductID, len(o.Products))
	for i, p := range o.Products {
		products[i] = catalog.ProductID(p)
	}
	return s.Catalog.RecordPurchase(ctx, tx, identity.MemberID(o.MemberID), string(o.ID), products)
}

// jsonScan scans a jsonb column into v.
type jsonScan struct{ v any }

func (j *jsonScan) Scan(src any) error {
	switch b := src.(type) {
	case []byte:
		return json.Unmarshal(b, j.v)
	case string:
		return json.Unmarshal([]byte(b), j.v)
	}
	return fmt.Errorf("jsonScan: %T", src)
}

func (s *Service) post(ctx context.Context, tx *db.Tx, e LedgerEntry) error {
	if s.Ledger == nil {
		return nil
	}
	_, _, err := s.Ledger.Post(ctx, tx, e)
	return err
}

// MarkPaidInput records an offline payment.
type MarkPaidInput struct {
	Reference string `json:"reference"`
}

// MarkPaid records that staff received the order's total offline.
func (s *Service) MarkPaid(ctx context.Context, id OrderID, in MarkPaidInput) (Order, error) {
	if in.Reference == "" || len(in.Reference) > 128 {
		return Order{}, errs.Field("reference", "required", "the payment's reference (at most 128 characters)")
	}
	if !tenancy.ValidUUID(string(id)) {
		return Order{}, errs.E(errs.NotFound, "order not found")
	}
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		o, err := s.load(ctx, tx, id, true)
		if err != nil {
			return err
		}
		if o.State != PendingPayment || !o.Total.IsPositive() {
			return invalidState(o, "mark paid")
		}
		p := Payment{ID: PaymentID(uuid.NewString()), OrderID: id, Provider: "offline", Amount: o.Total, Currency: o.Currency}
		if _, err := tx.ExecContext(ctx, `INSERT INTO payments (tenant_id, id, order_id, provider, amount, currency, status, reference, created_at, settled_at)
VALUES ($1, $2, $3, 'offline', $4, $5, 'succeeded', $6, $7, $7)`, tid(ctx), p.ID, id, p.Amount, p.Currency, in.Reference, s.now()); err != nil {
			return err
		}
		if err := s.markPaid(ctx, tx, payableOf(o), p); err != nil {
			return err
		}
		return s.recordPurchase(ctx, tx, payableOf(o))
	})
	if err != nil {
		return Order{}, err
	}
	return s.Get(ctx, id, "")
}

// SandboxPayment is what the sandbox pay page shows.
func (s *Service) SandboxPayment(ctx context.Context, id PaymentID) (Payment, Order, error) {
	if !tenancy.ValidUUID(string(id)) {
		return Payment{}, Order{}, errs.E(errs.NotFound, "payment not found")
	}
	var p Payment
	var o Order
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		if err := tx.GetContext(ctx, &p, `SELECT `+paymentCols+` FROM payments WHERE tenant_id = $1 AND id = $2 AND provider = 'payment-sandbox'`, tid(ctx), id); err != nil {
			return db.NotFound(err, "payment")
		}
		if _, _, err := s.provider(ctx, tx, "payment-sandbox"); err != nil {
			return errs.E(errs.NotFound, "payment not found")
		}
		var err error
		o, err = s.load(ctx, tx, p.OrderID, false)
		return err
	})
	return p, o, err
}

// SandboxSimulate acts as the buyer on the sandbox: the plugin signs the
// webhook it would send, and it is delivered over HTTP to webhookURL (this
// server's own endpoint), exactly as a provider would.
func (s *Service) SandboxSimulate(ctx context.Context, id PaymentID, approve bool, webhookURL string) error {
	p, _, err := s.SandboxPayment(ctx, id)
	if err != nil {
		return err
	}
	var prov sdk.PaymentProvider
	var cfg json.RawMessage
	if err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		var err error
		prov, cfg, err = s.provider(ctx, tx, p.Provider)
		return err
	}); err != nil {
		return err
	}
	sim, ok := prov.(sdk.SandboxSimulator)
	if !ok {
		return errs.E(errs.NotFound, "this provider has no sandbox")
	}
	hook, err := sim.SimulatePayment(ctx, sdk.SimulateRequest{Context: s.pluginContext(ctx, cfg), PaymentID: string(p.ID), ProviderRef: p.ProviderRef,
		Amount: p.Amount, Currency: p.Currency, Approve: approve})
	if err != nil {
		return pluginErr(p.Provider, err)
	}
	req, err := http.NewRequestWithContext(ctx, "POST", webhookURL, bytes.NewReader(hook.Body))
	if err != nil {
		return err
	}
	for k, v := range hook.Headers {
		req.Header.Set(k, v)
	}
	c := s.HTTPClient
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second, Transport: LoopbackLocalhost()}
	}
	res, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("deliver sandbox webhook: %w", err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("sandbox webhook answered %d: %s", res.StatusCode, b)
	}
	return nil
}

// LoopbackLocalhost is an HTTP transport that sends names under .localhost
// to the loopback address (RFC 6761 §6.3), as browsers do, where the system
// resolver knows only "localhost": a shop served at {slug}.localhost in
// development delivers its sandbox webhook to itself.
func LoopbackLocalhost() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	d := &net.Dialer{Timeout: 5 * time.Second}
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if h, p, err := net.SplitHostPort(addr); err == nil && strings.HasSuffix(strings.ToLower(h), ".localhost") {
			addr = net.JoinHostPort("localhost", p)
		}
		return d.DialContext(ctx, network, addr)
	}
	return t
}
