package api

import (
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/identity"
	"github.com/banyanmall/banyan/core/orders"
	"github.com/banyanmall/banyan/core/tenancy"
)

// Orders: quote, checkout, payments and their webhooks, the sandbox pay
// page, the member's orders and the merchant's order desk.
// Example ids for request examples (never real).
const (
	exampleUUID  = "00000000-0000-4000-8000-000000000001"
	exampleUUID2 = "00000000-0000-4000-8000-000000000002"
	exampleUUID3 = "00000000-0000-4000-8000-000000000003"
)

func init() {
	exampleLine := orders.RefundLine{LineID: "00000000-0000-4000-8000-000000000000", Amount: decimal.NewFromInt(1)}
	register(
		Route{Name: "shopQuote", Method: "POST", Path: "/api/v1/shop/quote", Access: Member,
			Summary: "Price a cart: level price, promotions, coupon, points, shipping, totals; signed for 15 minutes", Body: orders.QuoteInput{},
			// The second line is exchanged for points (points goods): price 0, points_price × qty points.
			Example: orders.QuoteInput{Lines: []orders.LineInput{{SKUID: exampleUUID, Qty: 2}, {SKUID: exampleUUID2, Qty: 1, Exchange: true}}},
			Resp:    orders.Quote{}, H: (*Server).handleQuote},
		Route{Name: "shopCreateOrder", Method: "POST", Path: "/api/v1/shop/orders", Access: Member, Status: 201,
			Summary: "Place an order from a signed quote (Idempotency-Key header required; a replay answers 200 with the original)", Body: orders.CreateInput{},
			Example: orders.CreateInput{Lines: []orders.LineInput{{SKUID: exampleUUID, Qty: 2}, {SKUID: exampleUUID2, Qty: 1, Exchange: true}},
				AddressID: exampleUUID3, Signature: "quote-signature", ExpiresAt: time.Date(2030, 1, 1, 0, 15, 0, 0, time.UTC)},
			Resp: orders.Order{}, H: (*Server).handleCreateOrder},
		Route{Name: "shopListOrders", Method: "GET", Path: "/api/v1/shop/orders", Access: Member,
			Summary: "The member's orders, newest first", Query: []string{"state", "cursor", "limit"}, Resp: List[orders.Order]{}, H: (*Server).handleMyOrders},
		Route{Name: "shopGetOrder", Method: "GET", Path: "/api/v1/shop/orders/{id}", Access: Member, Fixture: "order",
			Summary: "One of the member's orders with its timeline, payments and parcels", Resp: orders.Order{}, H: (*Server).handleMyOrder},
		Route{Name: "shopCancelOrder", Method: "POST", Path: "/api/v1/shop/orders/{id}/cancel", Access: Member, Fixture: "order",
			Summary: "Cancel an unpaid order (stock, coupon and points come back)", Resp: orders.Order{}, H: (*Server).handleCancelOrder},
		Route{Name: "shopConfirmReceipt", Method: "POST", Path: "/api/v1/shop/orders/{id}/confirm-receipt", Access: Member, Fixture: "order",
			Summary: "Confirm receipt of a shipped order", Resp: orders.Order{}, H: (*Server).handleConfirmReceipt},
		Route{Name: "shopPayOrder", Method: "POST", Path: "/api/v1/shop/orders/{id}/pay", Access: Member, Fixture: "order",
			Summary: "Start paying with an enabled provider: a payment intent (pay_url, qr_payload)", Body: orders.PayInput{},
			Example: orders.PayInput{Provider: "payment-sandbox"}, Resp: orders.Payment{}, H: (*Server).handlePayOrder},
		Route{Name: "paymentWebhook", Method: "POST", Path: "/api/v1/webhooks/payments/{provider}/{tenant}", Access: Webhook, MaxBody: 256 << 10,
			Summary: "A payment provider's webhook, verified by its plugin; each event applied once", Resp: orders.WebhookResult{}, H: (*Server).handlePaymentWebhook},
		Route{Name: "sandboxPayPage", Method: "GET", Path: "/sandbox/pay/{ref}", Access: PublicTenant, Raw: true,
			Summary: "The payment sandbox's pay page (shops that enabled payment-sandbox)", Query: []string{"payment_id", "return_url"}, H: (*Server).handleSandboxPage},
		Route{Name: "sandboxPaySubmit", Method: "POST", Path: "/sandbox/pay/{ref}", Access: PublicTenant, Raw: true,
			Summary: "Approve or decline a sandbox payment: the plugin signs the webhook and it is delivered to this server", H: (*Server).handleSandboxSubmit},

		Route{Name: "listOrders", Method: "GET", Path: "/api/v1/admin/orders", Access: TenantStaff, Perm: "orders:read",
			Summary: "Orders, newest first, filtered", Query: []string{"state", "from", "to", "member_id", "distributor_id", "min_amount", "max_amount", "q", "cursor", "limit"},
			Resp: List[orders.Order]{}, H: (*Server).handleListOrders},
		Route{Name: "getOrder", Method: "GET", Path: "/api/v1/admin/orders/{id}", Access: TenantStaff, Perm: "orders:read", Fixture: "order",
			Summary: "An order with its timeline, payments, refunds and parcels", Resp: orders.Order{}, H: (*Server).handleGetOrder},
		Route{Name: "remarkOrder", Method: "PATCH", Path: "/api/v1/admin/orders/{id}", Access: TenantStaff, Perm: "orders:write", Fixture: "order",
			Summary: "Set the merchant's remark", Body: remarkInput{}, Example: remarkInput{MerchantRemark: "gift wrap"}, Resp: orders.Order{}, H: (*Server).handleRemarkOrder},
		Route{Name: "shipOrder", Method: "POST", Path: "/api/v1/admin/orders/{id}/ship", Access: TenantStaff, Perm: "orders:write", Fixture: "order",
			Summary: "Ship a paid order in one or more parcels", Body: orders.ShipInput{},
			Example: orders.ShipInput{Parcels: []orders.ParcelInput{{Carrier: "SF", TrackingNo: "SF1"}}}, Resp: orders.Order{}, H: (*Server).handleShipOrder},
		Route{Name: "markOrderPaid", Method: "POST", Path: "/api/v1/admin/orders/{id}/mark-paid", Access: TenantStaff, Perm: "orders:write", Fixture: "order",
			Summary: "Record an offline payment of the order's total", Body: orders.MarkPaidInput{}, Example: orders.MarkPaidInput{Reference: "bank 1"},
			Resp: orders.Order{}, H: (*Server).handleMarkPaid},
		Route{Name: "refundOrder", Method: "POST", Path: "/api/v1/admin/orders/{id}/refunds", Access: TenantStaff, Perm: "orders:write", Fixture: "order", Status: 201,
			Summary:  "Refund part or all of a paid order through its provider: 201 with the succeeded refund; 502 refund_failed when the provider refuses (recorded failed)",
			Accepted: refundAccepted, Body: orders.RefundInput{},
			Example: orders.RefundInput{Lines: []orders.RefundLine{exampleLine}}, Resp: orders.Refund{}, H: (*Server).handleRefundOrder},
		Route{Name: "listRefunds", Method: "GET", Path: "/api/v1/admin/refunds", Access: TenantStaff, Perm: "orders:read",
			Summary: "Refunds, newest first, with their order number and provider; status=pending|succeeded|failed, overdue=true for the ones pending over an hour (they need a person)",
			Query:   []string{"status", "overdue", "cursor", "limit"}, Resp: List[orders.RefundListItem]{}, H: (*Server).handleListRefunds},
		Route{Name: "settleRefund", Method: "POST", Path: "/api/v1/admin/refunds/{id}/settle", Access: TenantStaff, Perm: "orders:write", Fixture: "refund",
			Summary: "Record by hand the outcome of a pending refund (money given back offline, or a provider's answer that never came); a settled refund is answered as it is",
			Body:    orders.SettleRefundInput{}, Example: orders.SettleRefundInput{Status: "succeeded", Message: "bank transfer 123"}, Resp: orders.Refund{},
			H: (*Server).handleSettleRefund},
	)
}

type remarkInput struct {
	MerchantRemark string `json:"merchant_remark"`
}

func pathOrderID(r *http.Request) orders.OrderID { return orders.OrderID(pathVar(r, "id")) }

func (s *Server) handleQuote(w http.ResponseWriter, r *http.Request) error {
	var in orders.QuoteInput
	if err := decode(r, &in); err != nil {
		return err
	}
	q, err := s.Orders.Quote(r.Context(), actingMember(r), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, q)
}

func (s *Server) handleCreateOrder(w http.ResponseWriter, r *http.Request) error {
	var in orders.CreateInput
	if err := decode(r, &in); err != nil {
		return err
	}
	o, created, err := s.Orders.CreateOrder(r.Context(), actingMember(r), r.Header.Get("Idempotency-Key"), in)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return writeJSON(w, status, o)
}

func (s *Server) handleMyOrders(w http.ResponseWriter, r *http.Request) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	items, next, err := s.Orders.List(r.Context(), orders.ListFilter{State: r.URL.Query().Get("state"), MemberID: string(actingMember(r))}, p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list(items, next))
}

func (s *Server) handleMyOrder(w http.ResponseWriter, r *http.Request) error {
	o, err := s.Orders.Get(r.Context(), pathOrderID(r), actingMember(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, o)
}

func (s *Server) handleCancelOrder(w http.ResponseWriter, r *http.Request) error {
	o, err := s.Orders.Cancel(r.Context(), pathOrderID(r), actingMember(r), "cancelled by the member")
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, o)
}

func (s *Server) handleConfirmReceipt(w http.ResponseWriter, r *http.Request) error {
	o, err := s.Orders.ConfirmReceipt(r.Context(), pathOrderID(r), actingMember(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, o)
}

// origin is this server as the caller reached it.
func origin(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (s *Server) handlePayOrder(w http.ResponseWriter, r *http.Request) error {
	var in orders.PayInput
	if err := decode(r, &in); err != nil {
		return err
	}
	p, err := s.Orders.Pay(r.Context(), pathOrderID(r), actingMember(r), in, origin(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) handlePaymentWebhook(w http.ResponseWriter, r *http.Request) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return errs.E(errs.BodyTooLarge, "the webhook body is too large")
	}
	headers := make(map[string]string, len(r.Header))
	for k, v := range r.Header {
		headers[k] = strings.Join(v, ",")
	}
	res, err := s.Orders.Webhook(r.Context(), pathVar(r, "provider"), headers, body)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

var sandboxPage = template.Must(template.New("pay").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>Sandbox payment</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}button{font-size:1rem;padding:.6rem 1.2rem;margin-right:.5rem}</style></head>
<body><h1>Sandbox payment</h1>
<p>Order <b>{{.OrderNo}}</b>: <b>{{.Amount}} {{.Currency}}</b> (status: {{.Status}})</p>
<p>No money moves: this page stands in for a payment provider.</p>
<form method="post"><input type="hidden" name="payment_id" value="{{.PaymentID}}"><input type="hidden" name="return_url" value="{{.ReturnURL}}">
<button name="decision" value="approve">Approve</button><button name="decision" value="decline">Decline</button></form>
{{if .Done}}<p><b>{{.Done}}</b></p>{{end}}
</body></html>`))

type sandboxView struct {
	OrderNo, Amount, Currency, Status, PaymentID, ReturnURL, Done string
}

func (s *Server) sandboxView(r *http.Request, id, returnURL string) (sandboxView, error) {
	p, o, err := s.Orders.SandboxPayment(r.Context(), orders.PaymentID(id))
	if err != nil {
		return sandboxView{}, err
	}
	if p.ProviderRef != pathVar(r, "ref") {
		return sandboxView{}, errs.E(errs.NotFound, "payment not found")
	}
	return sandboxView{OrderNo: o.OrderNo, Amount: p.Amount.StringFixed(2), Currency: p.Currency, Status: p.Status, PaymentID: string(p.ID), ReturnURL: returnURL}, nil
}

func (s *Server) handleSandboxPage(w http.ResponseWriter, r *http.Request) error {
	v, err := s.sandboxView(r, r.URL.Query().Get("payment_id"), r.URL.Query().Get("return_url"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
	return sandboxPage.Execute(w, v)
}

func (s *Server) handleSandboxSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return errs.Field("decision", "invalid", "a form with payment_id and decision")
	}
	v, err := s.sandboxView(r, r.PostForm.Get("payment_id"), r.PostForm.Get("return_url"))
	if err != nil {
		return err
	}
	approve := r.PostForm.Get("decision") == "approve"
	if !approve && r.PostForm.Get("decision") != "decline" {
		return errs.Field("decision", "invalid", "approve or decline")
	}
	t, _ := tenancy.From(r.Context())
	hook := origin(r) + "/api/v1/webhooks/payments/payment-sandbox/" + url.PathEscape(t.Slug)
	if err := s.Orders.SandboxSimulate(r.Context(), orders.PaymentID(v.PaymentID), approve, hook); err != nil {
		return err
	}
	if u, err := url.Parse(v.ReturnURL); err == nil && v.ReturnURL != "" && (u.Host == "" || u.Host == r.Host) && strings.HasPrefix(u.Path, "/") {
		http.Redirect(w, r, u.String(), http.StatusSeeOther)
		return nil
	}
	v.Done = map[bool]string{true: "Approved: the shop has been notified.", false: "Declined."}[approve]
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	return sandboxPage.Execute(w, v)
}

// orderFilter reads the order list's filters from the query.
func orderFilter(r *http.Request) (orders.ListFilter, error) {
	q := r.URL.Query()
	f := orders.ListFilter{State: q.Get("state"), MemberID: q.Get("member_id"), Referrer: q.Get("distributor_id"), Keyword: q.Get("q")}
	v := errs.Validator{}
	for _, d := range []struct {
		name string
		dst  **time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if x := q.Get(d.name); x != "" {
			t, err := time.Parse(time.RFC3339, x)
			v.Check(err == nil, d.name, "invalid", "an RFC 3339 time")
			*d.dst = &t
		}
	}
	for _, d := range []struct {
		name string
		dst  **decimal.Decimal
	}{{"min_amount", &f.MinAmount}, {"max_amount", &f.MaxAmount}} {
		if x := q.Get(d.name); x != "" {
			a, err := decimal.NewFromString(x)
			v.Check(err == nil, d.name, "invalid", "a decimal amount")
			*d.dst = &a
		}
	}
	return f, v.Err()
}

func (s *Server) handleListOrders(w http.ResponseWriter, r *http.Request) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	f, err := orderFilter(r)
	if err != nil {
		return err
	}
	items, next, err := s.Orders.List(r.Context(), f, p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list(items, next))
}

func (s *Server) handleGetOrder(w http.ResponseWriter, r *http.Request) error {
	o, err := s.Orders.Get(r.Context(), pathOrderID(r), "")
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, o)
}

func (s *Server) handleRemarkOrder(w http.ResponseWriter, r *http.Request) error {
	var in remarkInput
	if err := decode(r, &in); err != nil {
		return err
	}
	o, err := s.Orders.SetRemark(r.Context(), pathOrderID(r), in.MerchantRemark)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, o)
}

func (s *Server) handleShipOrder(w http.ResponseWriter, r *http.Request) error {
	var in orders.ShipInput
	if err := decode(r, &in); err != nil {
		return err
	}
	o, err := s.Orders.Ship(r.Context(), pathOrderID(r), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, o)
}

func (s *Server) handleMarkPaid(w http.ResponseWriter, r *http.Request) error {
	var in orders.MarkPaidInput
	if err := decode(r, &in); err != nil {
		return err
	}
	o, err := s.Orders.MarkPaid(r.Context(), pathOrderID(r), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, o)
}

func (s *Server) handleRefundOrder(w http.ResponseWriter, r *http.Request) error {
	var in orders.RefundInput
	if err := decode(r, &in); err != nil {
		return err
	}
	ref, err := s.Orders.RefundOrder(r.Context(), pathOrderID(r), in)
	if err != nil {
		return err
	}
	if ref.Status == orders.RefundPending {
		return writeJSON(w, http.StatusAccepted, ref)
	}
	return writeJSON(w, http.StatusCreated, ref)
}

// refundAccepted documents the 202 of the routes that refund.
const refundAccepted = "the refund is recorded and counts against what can be refunded, but the provider has not answered yet " +
	"(unreachable, or it finishes later — offline refunds wait for /admin/refunds/{id}/settle): the state is pending (refunding for an after-sales request) " +
	"and a job finishes it"

func (s *Server) handleSettleRefund(w http.ResponseWriter, r *http.Request) error {
	var in orders.SettleRefundInput
	if err := decode(r, &in); err != nil {
		return err
	}
	ref, err := s.Orders.SettleRefund(r.Context(), pathVar(r, "id"), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ref)
}

// After-sales, carts, order settings, statistics, export and tracking.
func init() {
	sku := "00000000-0000-4000-8000-000000000000"
	register(
		Route{Name: "shopRequestAfterSale", Method: "POST", Path: "/api/v1/shop/orders/{id}/after-sales", Access: Member, Fixture: "order", Status: 201,
			Summary: "Ask for a refund (refund_only or return_and_refund) of some lines, with a reason and photos", Body: orders.AfterSaleInput{},
			Example: orders.AfterSaleInput{Kind: "refund_only", Reason: "broken", Lines: []orders.AfterSaleLine{{LineID: sku, Qty: 1}}},
			Resp:    orders.AfterSale{}, H: (*Server).handleRequestAfterSale},
		Route{Name: "shopListAfterSales", Method: "GET", Path: "/api/v1/shop/after-sales", Access: Member,
			Summary: "The member's after-sales requests", Query: []string{"state", "cursor", "limit"}, Resp: List[orders.AfterSale]{}, H: (*Server).handleMyAfterSales},
		Route{Name: "shopReturnAfterSale", Method: "POST", Path: "/api/v1/shop/after-sales/{id}/return", Access: Member, Fixture: "after_sale",
			Summary: "Give the return parcel's carrier and tracking number", Body: orders.AfterSaleAction{},
			Example: orders.AfterSaleAction{Carrier: "SF", TrackingNo: "SF2"}, Resp: orders.AfterSale{}, H: afterSaleAction("return", true)},
		Route{Name: "listAfterSales", Method: "GET", Path: "/api/v1/admin/after-sales", Access: TenantStaff, Perm: "orders:read",
			Summary: "After-sales requests, newest first", Query: []string{"state", "cursor", "limit"}, Resp: List[orders.AfterSale]{}, H: (*Server).handleListAfterSales},
		Route{Name: "getAfterSale", Method: "GET", Path: "/api/v1/admin/after-sales/{id}", Access: TenantStaff, Perm: "orders:read", Fixture: "after_sale",
			Summary: "An after-sales request", Resp: orders.AfterSale{}, H: (*Server).handleGetAfterSale},
		Route{Name: "approveAfterSale", Method: "POST", Path: "/api/v1/admin/after-sales/{id}/approve", Access: TenantStaff, Perm: "orders:write", Fixture: "after_sale",
			Summary: "Approve: refund_only is refunded at once (202 while the refund is pending); return_and_refund waits for the goods", Accepted: refundAccepted,
			Body: orders.AfterSaleAction{}, Example: orders.AfterSaleAction{},
			Resp: orders.AfterSale{}, H: afterSaleAction("approve", false)},
		Route{Name: "rejectAfterSale", Method: "POST", Path: "/api/v1/admin/after-sales/{id}/reject", Access: TenantStaff, Perm: "orders:write", Fixture: "after_sale",
			Summary: "Reject with a reason the member sees", Body: orders.AfterSaleAction{}, Example: orders.AfterSaleAction{Reason: "used"},
			Resp: orders.AfterSale{}, H: afterSaleAction("reject", false)},
		Route{Name: "receiveAfterSale", Method: "POST", Path: "/api/v1/admin/after-sales/{id}/receive-return", Access: TenantStaff, Perm: "orders:write", Fixture: "after_sale",
			Summary: "The returned goods arrived", Body: orders.AfterSaleAction{}, Example: orders.AfterSaleAction{},
			Resp: orders.AfterSale{}, H: afterSaleAction("receive", false)},
		Route{Name: "refundAfterSale", Method: "POST", Path: "/api/v1/admin/after-sales/{id}/refund", Access: TenantStaff, Perm: "orders:write", Fixture: "after_sale",
			Summary:  "Refund a received return through the provider (restock: true puts the goods back on sale); 202 while the refund is pending",
			Accepted: refundAccepted, Body: orders.AfterSaleAction{},
			Example: orders.AfterSaleAction{Restock: true}, Resp: orders.AfterSale{}, H: afterSaleAction("refund", false)},

		Route{Name: "shopCart", Method: "GET", Path: "/api/v1/shop/cart", Access: Member,
			Summary: "The member's cart; lines off shelf or short of stock show valid: false", Resp: orders.Cart{}, H: cartAction(memberCart, cartGet)},
		Route{Name: "shopCartAdd", Method: "POST", Path: "/api/v1/shop/cart", Access: Member,
			Summary: "Add a quantity of a SKU to the cart", Body: orders.CartLineInput{}, Resp: orders.Cart{}, H: cartAction(memberCart, cartAdd)},
		Route{Name: "shopCartSet", Method: "PATCH", Path: "/api/v1/shop/cart/{sku_id}", Access: Member, Fixture: "sku",
			Summary: "Set a cart line's quantity", Body: cartQty{}, Example: cartQty{Qty: 1}, Resp: orders.Cart{}, H: cartAction(memberCart, cartSet)},
		Route{Name: "shopCartRemove", Method: "DELETE", Path: "/api/v1/shop/cart/{sku_id}", Access: Member, Fixture: "sku",
			Summary: "Remove a cart line", Resp: orders.Cart{}, H: cartAction(memberCart, cartRemove)},
		Route{Name: "shopCartMerge", Method: "POST", Path: "/api/v1/shop/cart/merge", Access: Member,
			Summary: "Move a visitor's cart into the member's (after logging in)", Body: cartMerge{}, Resp: orders.Cart{}, H: (*Server).handleCartMerge},
		Route{Name: "shopGuestCart", Method: "GET", Path: "/api/v1/shop/guest-cart", Access: PublicTenant,
			Summary: "A visitor's cart (X-Visitor-Id header: the visitor's random id)", Resp: orders.Cart{}, H: cartAction(guestCart, cartGet)},
		Route{Name: "shopGuestCartAdd", Method: "POST", Path: "/api/v1/shop/guest-cart", Access: PublicTenant,
			Summary: "Add to a visitor's cart (X-Visitor-Id header)", Body: orders.CartLineInput{}, Resp: orders.Cart{}, H: cartAction(guestCart, cartAdd)},
		Route{Name: "shopGuestCartSet", Method: "PATCH", Path: "/api/v1/shop/guest-cart/{sku_id}", Access: PublicTenant, Fixture: "sku",
			Summary: "Set a line's quantity in a visitor's cart (X-Visitor-Id header)", Body: cartQty{}, Example: cartQty{Qty: 1}, Resp: orders.Cart{}, H: cartAction(guestCart, cartSet)},
		Route{Name: "shopGuestCartRemove", Method: "DELETE", Path: "/api/v1/shop/guest-cart/{sku_id}", Access: PublicTenant, Fixture: "sku",
			Summary: "Remove a line from a visitor's cart (X-Visitor-Id header)", Resp: orders.Cart{}, H: cartAction(guestCart, cartRemove)},

		Route{Name: "getOrderSettings", Method: "GET", Path: "/api/v1/admin/settings/orders", Access: TenantStaff, Perm: "settings:read",
			Summary: "Order settings: payment timeout, auto-confirm, after-sales window, shipping (flat, free over, by province)", Resp: orders.Settings{}, H: (*Server).handleOrderSettings},
		Route{Name: "updateOrderSettings", Method: "PATCH", Path: "/api/v1/admin/settings/orders", Access: TenantStaff, Perm: "settings:write",
			Summary: "Change order settings", Body: orders.SettingsPatch{}, Resp: orders.Settings{}, H: (*Server).handleUpdateOrderSettings},
		Route{Name: "orderStats", Method: "GET", Path: "/api/v1/admin/stats", Access: TenantStaff, Perm: "stats:read",
			Summary: "Order counts and amounts by state and day, GMV, average order value, paid conversion, refund rate (shop's time zone)",
			Query:   []string{"from", "to"}, Resp: orders.Stats{}, H: (*Server).handleOrderStats},
		Route{Name: "exportOrders", Method: "GET", Path: "/api/v1/admin/orders/export", Access: TenantStaff, Perm: "orders:read", Raw: true,
			Summary: "Download orders as CSV or XLSX (format=csv|xlsx; one row per line, shop's time zone), with the list's filters",
			Query:   []string{"format", "state", "from", "to", "member_id", "distributor_id", "min_amount", "max_amount", "q"},
			H:       (*Server).handleExportOrders},
		Route{Name: "addTracking", Method: "POST", Path: "/api/v1/admin/orders/{id}/parcels/{parcel}/tracking", Access: TenantStaff, Perm: "orders:write", Fixture: "order",
			Summary: "Add carrier scans to a parcel; the member sees them in the order", Body: trackingInput{},
			Example: trackingInput{Events: []orders.TrackingInput{{At: time.Unix(1700000000, 0).UTC(), Status: "in_transit"}}}, Resp: orders.Order{}, H: (*Server).handleAddTracking},
	)
}

type cartQty struct {
	Qty int `json:"qty"`
}

type cartMerge struct {
	VisitorID string `json:"visitor_id"`
}

type trackingInput struct {
	Events []orders.TrackingInput `json:"events"`
}

func (s *Server) handleRequestAfterSale(w http.ResponseWriter, r *http.Request) error {
	var in orders.AfterSaleInput
	if err := decode(r, &in); err != nil {
		return err
	}
	a, err := s.Orders.RequestAfterSale(r.Context(), pathOrderID(r), actingMember(r), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, a)
}

func (s *Server) handleMyAfterSales(w http.ResponseWriter, r *http.Request) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	items, next, err := s.Orders.AfterSales(r.Context(), r.URL.Query().Get("state"), actingMember(r), p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list(items, next))
}

func (s *Server) handleListAfterSales(w http.ResponseWriter, r *http.Request) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	items, next, err := s.Orders.AfterSales(r.Context(), r.URL.Query().Get("state"), "", p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list(items, next))
}

func (s *Server) handleListRefunds(w http.ResponseWriter, r *http.Request) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := orders.RefundFilter{Status: q.Get("status")}
	switch q.Get("overdue") {
	case "", "false":
	case "true":
		f.Overdue = true
	default:
		return errs.Field("overdue", "invalid", "true or false")
	}
	items, next, err := s.Orders.Refunds(r.Context(), f, p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list(items, next))
}

func (s *Server) handleGetAfterSale(w http.ResponseWriter, r *http.Request) error {
	a, err := s.Orders.AfterSaleByID(r.Context(), pathVar(r, "id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, a)
}

func afterSaleAction(action string, member bool) func(*Server, http.ResponseWriter, *http.Request) error {
	return func(s *Server, w http.ResponseWriter, r *http.Request) error {
		var in orders.AfterSaleAction
		if err := decode(r, &in); err != nil {
			return err
		}
		var m identity.MemberID
		if member {
			m = actingMember(r)
		}
		a, err := s.Orders.ActOnAfterSale(r.Context(), pathVar(r, "id"), m, action, in)
		if err != nil {
			return err
		}
		if a.State == "refunding" {
			return writeJSON(w, http.StatusAccepted, a)
		}
		return writeJSON(w, http.StatusOK, a)
	}
}

// A cart's owner: the member of the token, or the visitor of the
// X-Visitor-Id header (the guest cart).
type cartOwner func(*http.Request) (orders.CartOwner, error)

func memberCart(r *http.Request) (orders.CartOwner, error) {
	return orders.MemberCart(actingMember(r)), nil
}

func guestCart(r *http.Request) (orders.CartOwner, error) {
	return orders.VisitorCart(r.Header.Get("X-Visitor-Id"))
}

// cartAction is a cart handler for either owner: op gets the owner and the
// request and answers the cart.
func cartAction(owner cartOwner, op func(*Server, *http.Request, orders.CartOwner) (orders.Cart, error)) func(*Server, http.ResponseWriter, *http.Request) error {
	return func(s *Server, w http.ResponseWriter, r *http.Request) error {
		o, err := owner(r)
		if err != nil {
			return err
		}
		c, err := op(s, r, o)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, c)
	}
}

func cartGet(s *Server, r *http.Request, o orders.CartOwner) (orders.Cart, error) {
	return s.Orders.Cart(r.Context(), o)
}

func cartAdd(s *Server, r *http.Request, o orders.CartOwner) (orders.Cart, error) {
	var in orders.CartLineInput
	if err := decode(r, &in); err != nil {
		return orders.Cart{}, err
	}
	return s.Orders.AddToCart(r.Context(), o, in)
}

func cartSet(s *Server, r *http.Request, o orders.CartOwner) (orders.Cart, error) {
	var in cartQty
	if err := decode(r, &in); err != nil {
		return orders.Cart{}, err
	}
	return s.Orders.SetCartLine(r.Context(), o, orders.CartLineInput{SKUID: pathVar(r, "sku_id"), Qty: in.Qty})
}

func cartRemove(s *Server, r *http.Request, o orders.CartOwner) (orders.Cart, error) {
	return s.Orders.RemoveCartLine(r.Context(), o, pathVar(r, "sku_id"))
}

func (s *Server) handleCartMerge(w http.ResponseWriter, r *http.Request) error {
	var in cartMerge
	if err := decode(r, &in); err != nil {
		return err
	}
	c, err := s.Orders.MergeCart(r.Context(), actingMember(r), in.VisitorID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

func (s *Server) handleOrderSettings(w http.ResponseWriter, r *http.Request) error {
	st, err := s.Orders.Settings(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, st)
}

func (s *Server) handleUpdateOrderSettings(w http.ResponseWriter, r *http.Request) error {
	var in orders.SettingsPatch
	if err := decode(r, &in); err != nil {
		return err
	}
	st, err := s.Orders.UpdateSettings(r.Context(), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, st)
}

func (s *Server) handleOrderStats(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	from, err1 := time.Parse(time.RFC3339, q.Get("from"))
	to, err2 := time.Parse(time.RFC3339, q.Get("to"))
	v := errs.Validator{}
	v.Check(err1 == nil, "from", "invalid", "an RFC 3339 time")
	v.Check(err2 == nil, "to", "invalid", "an RFC 3339 time")
	if err := v.Err(); err != nil {
		return err
	}
	st, err := s.Orders.Stats(r.Context(), from, to)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, st)
}

// exportTypes are the order export's media types by format.
var exportTypes = map[string]string{
	orders.ExportCSV:  "text/csv; charset=utf-8",
	orders.ExportXLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

func (s *Server) handleExportOrders(w http.ResponseWriter, r *http.Request) error {
	format := r.URL.Query().Get("format")
	if format == "" {
		format = orders.ExportCSV
	}
	ct := exportTypes[format]
	v := errs.Validator{}
	v.Check(ct != "", "format", "invalid", "csv or xlsx")
	f, err := orderFilter(r)
	v.Merge("", err)
	if err := v.Err(); err != nil {
		return err
	}
	t, _ := tenancy.From(r.Context())
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="orders-%s-%s.%s"`, t.Slug, time.Now().In(orders.Location(r.Context())).Format("20060102-150405"), format))
	return s.Orders.Export(r.Context(), format, f, w)
}

func (s *Server) handleAddTracking(w http.ResponseWriter, r *http.Request) error {
	var in trackingInput
	if err := decode(r, &in); err != nil {
		return err
	}
	o, err := s.Orders.AddTracking(r.Context(), pathOrderID(r), pathVar(r, "parcel"), in.Events)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, o)
}
