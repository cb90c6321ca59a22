package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/sdk"
)

const (
	headerSignature = "X-Sandbox-Signature"
	headerTimestamp = "X-Sandbox-Timestamp"
	tolerance       = 5 * time.Minute
)

type config struct {
	WebhookSecret string `json:"webhook_secret"`
}

func parseConfig(raw json.RawMessage) (config, error) {
	var c config
	if err := json.Unmarshal(raw, &c); err != nil {
		return c, sdk.InvalidConfig(sdk.FieldError{Path: "", Message: "must be an object with a webhook_secret"})
	}
	if len(c.WebhookSecret) < 16 {
		return c, sdk.InvalidConfig(sdk.FieldError{Path: "/webhook_secret", Message: "must be at least 16 characters"})
	}
	return c, nil
}

// configs holds the tenant configs the calls have parsed, by their bytes:
// the host sends the config with every call (see sdk.ConfigCache for why a
// cache keyed by the bytes alone is safe across tenants, and why a changed
// secret is seen by the very next call). ValidateConfig parses afresh.
var configs = sdk.NewConfigCache(0, parseConfig)

// event is the webhook body the sandbox signs.
type event struct {
	EventID     string `json:"event_id"`
	Type        string `json:"type"`
	PaymentID   string `json:"payment_id"`
	ProviderRef string `json:"provider_ref"`
	Amount      string `json:"amount"`
	Currency    string `json:"currency"`
}

type sandbox struct{}

var (
	_ sdk.PaymentProvider  = sandbox{}
	_ sdk.SandboxSimulator = sandbox{}
)

func (sandbox) ValidateConfig(_ context.Context, raw json.RawMessage) error {
	_, err := parseConfig(raw)
	return err
}

// ref derives a stable provider reference from the parts that identify a thing.
func ref(prefix string, parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return prefix + hex.EncodeToString(sum[:10])
}

func checkAmount(pc sdk.PluginContext, amount decimal.Decimal) error {
	if !amount.IsPositive() || !sdk.IsMoney(amount, pc.MinorUnits) {
		return sdk.Errorf(sdk.CodeInvalidRequest, "amount %s must be positive with at most %d decimals", amount, pc.MinorUnits)
	}
	return nil
}

func (sandbox) CreatePayment(_ context.Context, req sdk.PaymentRequest) (sdk.PaymentIntent, error) {
	if _, err := configs.Get(req.Context.ConfigJSON); err != nil {
		return sdk.PaymentIntent{}, err
	}
	if err := checkAmount(req.Context, req.Amount); err != nil {
		return sdk.PaymentIntent{}, err
	}
	if req.PaymentID == "" {
		return sdk.PaymentIntent{}, sdk.Errorf(sdk.CodeInvalidRequest, "payment_id is required")
	}
	providerRef := ref("sbx_", req.Context.TenantID, req.PaymentID)
	base := ""
	if u, err := url.Parse(req.ReturnURL); err == nil && u.Scheme != "" && u.Host != "" {
		base = u.Scheme + "://" + u.Host
	}
	q := url.Values{"payment_id": {req.PaymentID}, "return_url": {req.ReturnURL}}
	payURL := base + "/sandbox/pay/" + providerRef + "?" + q.Encode()
	return sdk.PaymentIntent{
		ProviderRef: providerRef,
		PayURL:      payURL,
		QRPayload:   payURL,
		Status:      sdk.StatusPending,
	}, nil
}

func sign(secret string, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp))
	mac.Write([]byte("."))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

func (sandbox) SimulatePayment(_ context.Context, req sdk.SimulateRequest) (sdk.SignedWebhook, error) {
	cfg, err := configs.Get(req.Context.ConfigJSON)
	if err != nil {
		return sdk.SignedWebhook{}, err
	}
	if err := checkAmount(req.Context, req.Amount); err != nil {
		return sdk.SignedWebhook{}, err
	}
	typ := sdk.EventPaymentSucceeded
	if !req.Approve {
		typ = sdk.EventPaymentFailed
	}
	body, err := json.Marshal(event{
		EventID:     ref("evt_", req.Context.TenantID, req.PaymentID, string(typ)),
		Type:        string(typ),
		PaymentID:   req.PaymentID,
		ProviderRef: req.ProviderRef,
		Amount:      req.Amount.StringFixed(req.Context.MinorUnits),
		Currency:    req.Currency,
	})
	if err != nil {
		return sdk.SignedWebhook{}, err
	}
	ts := strconv.FormatInt(req.Context.Now.Unix(), 10)
	return sdk.SignedWebhook{
		Headers: map[string]string{
			"Content-Type":  "application/json",
			headerTimestamp: ts,
			headerSignature: sign(cfg.WebhookSecret, ts, body),
		},
		Body: body,
	}, nil
}

func header(h map[string]string, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

func (sandbox) VerifyWebhook(_ context.Context, req sdk.WebhookRequest) (sdk.WebhookEvent, error) {
	cfg, err := configs.Get(req.Context.ConfigJSON)
	if err != nil {
		return sdk.WebhookEvent{}, err
	}
	sig, ts := header(req.Headers, headerSignature), header(req.Headers, headerTimestamp)
	if sig == "" || ts == "" {
		return sdk.WebhookEvent{}, sdk.Errorf(sdk.CodeBadSignature, "missing %s or %s", headerSignature, headerTimestamp)
	}
	if !hmac.Equal([]byte(sig), []byte(sign(cfg.WebhookSecret, ts, req.Body))) {
		return sdk.WebhookEvent{}, sdk.Errorf(sdk.CodeBadSignature, "signature does not match")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return sdk.WebhookEvent{}, sdk.Errorf(sdk.CodeBadSignature, "timestamp %q is not unix seconds", ts)
	}
	if age := req.Context.Now.Sub(time.Unix(sec, 0)); age > tolerance || age < -tolerance {
		return sdk.WebhookEvent{}, sdk.Errorf(sdk.CodeStaleWebhook, "timestamp is %s away from now, more than %s", age.Round(time.Second), tolerance)
	}
	var ev event
	if err := json.Unmarshal(req.Body, &ev); err != nil {
		return sdk.WebhookEvent{}, sdk.Errorf(sdk.CodeInvalidRequest, "body: %v", err)
	}
	amount, err := decimal.NewFromString(ev.Amount)
	if err != nil {
		return sdk.WebhookEvent{}, sdk.Errorf(sdk.CodeInvalidRequest, "amount %q", ev.Amount)
	}
	typ := sdk.EventType(ev.Type)
	if typ != sdk.EventPaymentSucceeded && typ != sdk.EventPaymentFailed {
		return sdk.WebhookEvent{}, sdk.Errorf(sdk.CodeInvalidRequest, "event type %q", ev.Type)
	}
	return sdk.WebhookEvent{
		EventID:     ev.EventID,
		Type:        typ,
		PaymentID:   ev.PaymentID,
		ProviderRef: ev.ProviderRef,
		Amount:      amount,
		Currency:    ev.Currency,
	}, nil
}

// refunds remembers every refund by its idempotency key (tenant, refund
// id), as a real gateway does: the host may ask twice (a retried request,
// its finishing job), and the money must go back once.
var refunds = struct {
	sync.Mutex
	m map[string]refundEntry
}{m: map[string]refundEntry{}}

type refundEntry struct {
	payment  string
	amount   decimal.Decimal
	currency string
	res      sdk.RefundResult
}

func (sandbox) Refund(_ context.Context, req sdk.RefundRequest) (sdk.RefundResult, error) {
	if _, err := configs.Get(req.Context.ConfigJSON); err != nil {
		return sdk.RefundResult{}, err
	}
	if err := checkAmount(req.Context, req.Amount); err != nil {
		return sdk.RefundResult{}, err
	}
	if req.RefundID == "" {
		return sdk.RefundResult{}, sdk.Errorf(sdk.CodeInvalidRequest, "refund_id (the idempotency key) is required")
	}
	key := req.Context.TenantID + "\x00" + req.RefundID
	refunds.Lock()
	defer refunds.Unlock()
	if e, ok := refunds.m[key]; ok {
		if e.payment != req.PaymentID || !e.amount.Equal(req.Amount) || e.currency != req.Currency {
			return sdk.RefundResult{}, sdk.Errorf(sdk.CodeInvalidRequest, "refund id %s was already used for %s %s of payment %s", req.RefundID, e.amount, e.currency, e.payment)
		}
		return e.res, nil
	}
	res := sdk.RefundResult{
		Status:      sdk.StatusSucceeded,
		ProviderRef: ref("sbr_", req.Context.TenantID, req.RefundID),
		Message:     fmt.Sprintf("sandbox refunded %s %s", req.Amount.StringFixed(req.Context.MinorUnits), req.Currency),
	}
	if strings.Contains(req.Reason, "sandbox-fail") {
		res.Status, res.Message = sdk.StatusFailed, "sandbox: simulated refusal for reason "+strconv.Quote(req.Reason)
	}
	refunds.m[key] = refundEntry{payment: req.PaymentID, amount: req.Amount, currency: req.Currency, res: res}
	return res, nil
}

func (sandbox) Payout(_ context.Context, req sdk.PayoutRequest) (sdk.PayoutResult, error) {
	if _, err := configs.Get(req.Context.ConfigJSON); err != nil {
		return sdk.PayoutResult{}, err
	}
	if err := checkAmount(req.Context, req.Amount); err != nil {
		return sdk.PayoutResult{}, err
	}
	res := sdk.PayoutResult{
		Status:      sdk.StatusSucceeded,
		ProviderRef: ref("sbp_", req.Context.TenantID, req.PayoutID),
		Message:     fmt.Sprintf("sandbox paid %s %s to %s", req.Amount.StringFixed(req.Context.MinorUnits), req.Currency, req.Account.Channel),
	}
	if strings.HasPrefix(req.Account.Account, "fail") {
		res.Status, res.Message = sdk.StatusFailed, "sandbox: simulated payout failure for account "+req.Account.Account
	}
	return res, nil
}
