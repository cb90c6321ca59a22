package plugintest

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/banyanmall/banyan/sdk"
)

// PaymentCase is one payment, and optionally a refund of it and a payout.
type PaymentCase struct {
	Name    string
	Payment sdk.PaymentRequest
	Refund  *sdk.RefundRequest
	Payout  *sdk.PayoutRequest
}

// RunPayment launches the payment plugin at binary and checks each case:
// the intent, refund and payout answers are valid and deterministic, a forged
// webhook is refused with a typed error and, for a sandbox, a simulated
// webhook verifies and a tampered one does not.
func RunPayment(t *testing.T, binary string, cases ...PaymentCase) {
	t.Helper()
	p := Payment(t, binary)
	checkRejectsBadConfig(t, p)
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			checkConfigAccepted(t, p, c.Payment.Context.ConfigJSON)
			intent, err := twice(t, "CreatePayment", func(ctx context.Context) (sdk.PaymentIntent, error) {
				return p.CreatePayment(ctx, c.Payment)
			})
			if err != nil {
				t.Fatalf("CreatePayment: %v", err)
			}
			if err := sdk.CheckPaymentIntent(intent); err != nil {
				t.Error(err)
			}
			checkForgedWebhook(t, p, c.Payment.Context)
			if sim, ok := p.(sdk.SandboxSimulator); ok {
				checkSimulation(t, p, sim, c.Payment, intent)
			}
			if c.Refund != nil {
				res, err := twice(t, "Refund", func(ctx context.Context) (sdk.RefundResult, error) {
					return p.Refund(ctx, *c.Refund)
				})
				if err != nil {
					t.Fatalf("Refund: %v", err)
				}
				if err := sdk.CheckOutcome(res.Status); err != nil {
					t.Error("Refund:", err)
				}
			}
			if c.Payout != nil {
				res, err := twice(t, "Payout", func(ctx context.Context) (sdk.PayoutResult, error) {
					return p.Payout(ctx, *c.Payout)
				})
				if err != nil {
					t.Fatalf("Payout: %v", err)
				}
				if err := sdk.CheckOutcome(res.Status); err != nil {
					t.Error("Payout:", err)
				}
			}
		})
	}
}

// checkForgedWebhook: an unsigned webhook must be refused with an *sdk.Error
// (bad signature, stale, unsupported...), never accepted, never a crash.
func checkForgedWebhook(t *testing.T, p sdk.PaymentProvider, pc sdk.PluginContext) {
	t.Helper()
	forged := sdk.WebhookRequest{
		Context: pc,
		Headers: map[string]string{"Content-Type": "application/json"},
		Body:    []byte(`{"type":"payment.succeeded","payment_id":"forged","amount":"1.00"}`),
	}
	_, err := call(t, "VerifyWebhook", func(ctx context.Context) (sdk.WebhookEvent, error) {
		return p.VerifyWebhook(ctx, forged)
	})
	if _, ok := sdk.AsError(err); !ok {
		t.Errorf("VerifyWebhook(forged) = %v, want a typed *sdk.Error", err)
	}
}

// checkSimulation: a sandbox's signed webhook verifies to the payment it
// simulates, and one changed byte makes it fail with ErrBadSignature.
func checkSimulation(t *testing.T, p sdk.PaymentProvider, sim sdk.SandboxSimulator, pay sdk.PaymentRequest, intent sdk.PaymentIntent) {
	t.Helper()
	req := sdk.SimulateRequest{
		Context:     pay.Context,
		PaymentID:   pay.PaymentID,
		ProviderRef: intent.ProviderRef,
		Amount:      pay.Amount,
		Currency:    pay.Currency,
		Approve:     true,
	}
	hook, err := twice(t, "SimulatePayment", func(ctx context.Context) (sdk.SignedWebhook, error) {
		return sim.SimulatePayment(ctx, req)
	})
	if errors.Is(err, sdk.ErrUnimplemented) {
		return
	}
	if err != nil {
		t.Fatalf("SimulatePayment: %v", err)
	}
	ev, err := call(t, "VerifyWebhook", func(ctx context.Context) (sdk.WebhookEvent, error) {
		return p.VerifyWebhook(ctx, sdk.WebhookRequest{Context: pay.Context, Headers: hook.Headers, Body: hook.Body})
	})
	if err != nil {
		t.Fatalf("VerifyWebhook(simulated) = %v", err)
	}
	if err := sdk.CheckWebhookEvent(ev, pay.Context.MinorUnits); err != nil {
		t.Error(err)
	}
	if ev.Type != sdk.EventPaymentSucceeded || ev.PaymentID != pay.PaymentID || !ev.Amount.Equal(pay.Amount) {
		t.Errorf("simulated event = %+v, want payment.succeeded of %s for %s", ev, pay.Amount, pay.PaymentID)
	}
	tampered := bytes.Replace(hook.Body, []byte(pay.PaymentID), []byte(pay.PaymentID+"x"), 1)
	_, err = call(t, "VerifyWebhook", func(ctx context.Context) (sdk.WebhookEvent, error) {
		return p.VerifyWebhook(ctx, sdk.WebhookRequest{Context: pay.Context, Headers: hook.Headers, Body: tampered})
	})
	if !errors.Is(err, sdk.ErrBadSignature) {
		t.Errorf("VerifyWebhook(tampered) = %v, want sdk.ErrBadSignature", err)
	}
}
