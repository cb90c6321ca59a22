package main

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/sdk"
	"github.com/banyanmall/banyan/sdk/plugintest"
)

var (
	now = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	pc  = sdk.PluginContext{TenantID: "t1", ConfigJSON: json.RawMessage(`{"webhook_secret":"0123456789abcdef"}`), Currency: "CNY", MinorUnits: 2, Now: now}
	pay = sdk.PaymentRequest{
		Context: pc, PaymentID: "pay-1", OrderNo: "N0001", Amount: decimal.RequireFromString("88.80"), Currency: "CNY",
		ReturnURL: "https://shop.example.test/orders/N0001", NotifyURL: "https://shop.example.test/api/v1/webhooks/payments/payment-sandbox/shop",
	}
)

func TestPayAndVerify(t *testing.T) {
	ctx := context.Background()
	s := sandbox{}
	intent, err := s.CreatePayment(ctx, pay)
	if err != nil {
		t.Fatal(err)
	}
	if want := "https://shop.example.test/sandbox/pay/" + intent.ProviderRef + "?"; intent.PayURL[:len(want)] != want {
		t.Errorf("pay url %s, want prefix %s", intent.PayURL, want)
	}
	hook, err := s.SimulatePayment(ctx, sdk.SimulateRequest{Context: pc, PaymentID: pay.PaymentID, ProviderRef: intent.ProviderRef, Amount: pay.Amount, Currency: "CNY", Approve: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		at   time.Time
		edit func(h map[string]string, body []byte) []byte
		want error
	}{
		{"valid", now.Add(time.Minute), nil, nil},
		{"lower-case headers", now, func(h map[string]string, b []byte) []byte {
			h["x-sandbox-signature"], h["x-sandbox-timestamp"] = h[headerSignature], h[headerTimestamp]
			delete(h, headerSignature)
			delete(h, headerTimestamp)
			return b
		}, nil},
		{"stale", now.Add(6 * time.Minute), nil, sdk.ErrStaleWebhook},
		{"tampered body", now, func(_ map[string]string, b []byte) []byte { return append(b, ' ') }, sdk.ErrBadSignature},
		{"wrong secret", now, func(h map[string]string, b []byte) []byte {
			h[headerSignature] = sign("another-secret-0000", h[headerTimestamp], b)
			return b
		}, sdk.ErrBadSignature},
		{"unsigned", now, func(h map[string]string, b []byte) []byte { delete(h, headerSignature); return b }, sdk.ErrBadSignature},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := map[string]string{}
			for k, v := range hook.Headers {
				h[k] = v
			}
			body := append([]byte(nil), hook.Body...)
			if c.edit != nil {
				body = c.edit(h, body)
			}
			at := pc
			at.Now = c.at
			ev, err := s.VerifyWebhook(ctx, sdk.WebhookRequest{Context: at, Headers: h, Body: body})
			if c.want != nil {
				if !errors.Is(err, c.want) {
					t.Fatalf("err = %v, want %v", err, c.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ev.Type != sdk.EventPaymentSucceeded || ev.PaymentID != "pay-1" || !ev.Amount.Equal(pay.Amount) || ev.EventID == "" {
				t.Errorf("event %+v", ev)
			}
		})
	}
}

func TestRefundAndPayout(t *testing.T) {
	ctx := context.Background()
	s := sandbox{}
	partial, err := s.Refund(ctx, sdk.RefundRequest{Context: pc, PaymentID: "pay-1", RefundID: "r1", Amount: decimal.RequireFromString("10.00"), Currency: "CNY"})
	if err != nil || partial.Status != sdk.StatusSucceeded {
		t.Errorf("partial refund = %+v, %v", partial, err)
	}
	if _, err := s.Refund(ctx, sdk.RefundRequest{Context: pc, RefundID: "r2", Amount: decimal.RequireFromString("0.001")}); !errors.Is(err, sdk.ErrInvalidRequest) {
		t.Errorf("refund of 0.001: %v", err)
	}
	again, err := s.Refund(ctx, sdk.RefundRequest{Context: pc, PaymentID: "pay-1", RefundID: "r1", Amount: decimal.RequireFromString("10.00"), Currency: "CNY"})
	if err != nil || again != partial {
		t.Errorf("the same refund id again = %+v, %v; want the first answer %+v", again, err, partial)
	}
	if _, err := s.Refund(ctx, sdk.RefundRequest{Context: pc, PaymentID: "pay-1", RefundID: "r1", Amount: decimal.RequireFromString("9.00"), Currency: "CNY"}); !errors.Is(err, sdk.ErrInvalidRequest) {
		t.Errorf("the same refund id with another amount: %v; want invalid_request", err)
	}
	refused, err := s.Refund(ctx, sdk.RefundRequest{Context: pc, PaymentID: "pay-1", RefundID: "r3", Amount: decimal.NewFromInt(1), Currency: "CNY", Reason: "sandbox-fail please"})
	if err != nil || refused.Status != sdk.StatusFailed || refused.Message == "" {
		t.Errorf("refund with a failing reason = %+v, %v; want failed with a message", refused, err)
	}
	for account, want := range map[string]sdk.Status{"alice@example.test": sdk.StatusSucceeded, "fail-me": sdk.StatusFailed} {
		res, err := s.Payout(ctx, sdk.PayoutRequest{Context: pc, PayoutID: "po-1", MemberID: "m1", Amount: decimal.NewFromInt(5), Currency: "CNY", Account: sdk.PayoutAccount{Channel: "alipay", Account: account}})
		if err != nil || res.Status != want {
			t.Errorf("payout to %s = %+v, %v; want %s", account, res, err, want)
		}
	}
}

func TestConformance(t *testing.T) {
	bin := plugintest.Build(t, ".")
	plugintest.RunPayment(t, bin, plugintest.PaymentCase{
		Name:    "pay, refund part, pay out",
		Payment: pay,
		Refund:  &sdk.RefundRequest{Context: pc, PaymentID: "pay-1", RefundID: "r1", Amount: decimal.RequireFromString("8.80"), Currency: "CNY", Reason: "size"},
		Payout:  &sdk.PayoutRequest{Context: pc, PayoutID: "po-1", MemberID: "m1", Amount: decimal.NewFromInt(20), Currency: "CNY", Account: sdk.PayoutAccount{Channel: "alipay", Account: "a@example.test"}},
	})
	plugintest.RunConfig(t, bin, sdk.KindPayment,
		plugintest.ConfigCase{Name: "short secret", Config: `{"webhook_secret":"short"}`, WantField: "/webhook_secret"},
	)
	t.Run("tenant secrets through the process", func(t *testing.T) {
		checkTenantSecrets(t, plugintest.Payment(t, bin))
	})
}

// The calls keep parsed configs (configs); under -race here, and through
// the real process in TestConformance.
func TestTenantSecrets(t *testing.T) { checkTenantSecrets(t, sandbox{}) }

// checkTenantSecrets: two tenants verifying webhooks at once each verify
// with their own secret only, and a changed secret is the one the very next
// call verifies with.
func checkTenantSecrets(t *testing.T, p sdk.PaymentProvider) {
	ctx := context.Background()
	tenant := func(id, secret string) sdk.PluginContext {
		c := pc
		c.TenantID, c.ConfigJSON = id, json.RawMessage(`{"webhook_secret":"`+secret+`"}`)
		return c
	}
	hook := func(c sdk.PluginContext) sdk.SignedWebhook {
		h, err := p.(sdk.SandboxSimulator).SimulatePayment(ctx, sdk.SimulateRequest{Context: c, PaymentID: "pay-" + c.TenantID,
			ProviderRef: "ref", Amount: pay.Amount, Currency: "CNY", Approve: true})
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	verify := func(c sdk.PluginContext, h sdk.SignedWebhook) error {
		_, err := p.VerifyWebhook(ctx, sdk.WebhookRequest{Context: c, Headers: h.Headers, Body: h.Body})
		return err
	}
	one, two := tenant("t1", "tenant-one-secret-0001"), tenant("t2", "tenant-two-secret-0002")
	hooks := map[string]sdk.SignedWebhook{"t1": hook(one), "t2": hook(two)}
	var wg sync.WaitGroup
	for _, c := range []struct{ own, other sdk.PluginContext }{{one, two}, {two, one}} {
		wg.Go(func() {
			for range 25 {
				if err := verify(c.own, hooks[c.own.TenantID]); err != nil {
					t.Errorf("%s's own webhook: %v", c.own.TenantID, err)
					return
				}
				if err := verify(c.own, hooks[c.other.TenantID]); !errors.Is(err, sdk.ErrBadSignature) {
					t.Errorf("%s verified %s's webhook: %v", c.own.TenantID, c.other.TenantID, err)
					return
				}
			}
		})
	}
	wg.Wait()
	// t1 rotates its secret: a webhook signed with the old one no longer
	// verifies, from the very next call on.
	rotated := tenant("t1", "tenant-one-rotated-0003")
	if err := verify(rotated, hooks["t1"]); !errors.Is(err, sdk.ErrBadSignature) {
		t.Fatalf("old secret's webhook after the rotation: %v, want bad signature", err)
	}
	if err := verify(rotated, hook(rotated)); err != nil {
		t.Fatalf("new secret's webhook: %v", err)
	}
}
