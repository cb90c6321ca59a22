package pluginhost

import (
	"context"
	"encoding/json"

	"github.com/banyanmall/banyan/sdk"
)

// The wrappers below are what Host hands out: each call goes through
// call (deadline, metrics, restart, circuit) and each answer through the
// sdk.Check functions, so a plugin that breaks the protocol fails the call
// (Kind Failed) instead of reaching the books.

func validate(ctx context.Context, p *proc, config json.RawMessage) error {
	_, err := call(ctx, p, "ValidateConfig", func(ctx context.Context, impl any) (struct{}, error) {
		return struct{}{}, impl.(sdk.ConfigValidator).ValidateConfig(ctx, config)
	})
	return err
}

type commission struct{ p *proc }

var _ sdk.CommissionScheme = commission{}

func (c commission) ValidateConfig(ctx context.Context, config json.RawMessage) error {
	return validate(ctx, c.p, config)
}

func (c commission) Compute(ctx context.Context, req sdk.CommissionRequest) (sdk.CommissionResult, error) {
	return call(ctx, c.p, "Compute", func(ctx context.Context, impl any) (sdk.CommissionResult, error) {
		res, err := impl.(sdk.CommissionScheme).Compute(ctx, req)
		if err != nil {
			return res, err
		}
		return res, sdk.CheckCommission(req, res)
	})
}

type promotion struct{ p *proc }

var _ sdk.PromotionRule = promotion{}

func (c promotion) ValidateConfig(ctx context.Context, config json.RawMessage) error {
	return validate(ctx, c.p, config)
}

func (c promotion) Apply(ctx context.Context, req sdk.PromotionRequest) (sdk.PromotionResult, error) {
	return call(ctx, c.p, "Apply", func(ctx context.Context, impl any) (sdk.PromotionResult, error) {
		res, err := impl.(sdk.PromotionRule).Apply(ctx, req)
		if err != nil {
			return res, err
		}
		return res, sdk.CheckPromotion(req, res)
	})
}

type payment struct{ p *proc }

var (
	_ sdk.PaymentProvider  = payment{}
	_ sdk.SandboxSimulator = payment{}
)

func (c payment) ValidateConfig(ctx context.Context, config json.RawMessage) error {
	return validate(ctx, c.p, config)
}

func (c payment) CreatePayment(ctx context.Context, req sdk.PaymentRequest) (sdk.PaymentIntent, error) {
	return call(ctx, c.p, "CreatePayment", func(ctx context.Context, impl any) (sdk.PaymentIntent, error) {
		res, err := impl.(sdk.PaymentProvider).CreatePayment(ctx, req)
		if err != nil {
			return res, err
		}
		return res, sdk.CheckPaymentIntent(res)
	})
}

func (c payment) VerifyWebhook(ctx context.Context, req sdk.WebhookRequest) (sdk.WebhookEvent, error) {
	return call(ctx, c.p, "VerifyWebhook", func(ctx context.Context, impl any) (sdk.WebhookEvent, error) {
		res, err := impl.(sdk.PaymentProvider).VerifyWebhook(ctx, req)
		if err != nil {
			return res, err
		}
		return res, sdk.CheckWebhookEvent(res, req.Context.MinorUnits)
	})
}

func (c payment) Refund(ctx context.Context, req sdk.RefundRequest) (sdk.RefundResult, error) {
	return call(ctx, c.p, "Refund", func(ctx context.Context, impl any) (sdk.RefundResult, error) {
		res, err := impl.(sdk.PaymentProvider).Refund(ctx, req)
		if err != nil {
			return res, err
		}
		return res, sdk.CheckOutcome(res.Status)
	})
}

func (c payment) Payout(ctx context.Context, req sdk.PayoutRequest) (sdk.PayoutResult, error) {
	return call(ctx, c.p, "Payout", func(ctx context.Context, impl any) (sdk.PayoutResult, error) {
		res, err := impl.(sdk.PaymentProvider).Payout(ctx, req)
		if err != nil {
			return res, err
		}
		return res, sdk.CheckOutcome(res.Status)
	})
}

func (c payment) SimulatePayment(ctx context.Context, req sdk.SimulateRequest) (sdk.SignedWebhook, error) {
	return call(ctx, c.p, "SimulatePayment", func(ctx context.Context, impl any) (sdk.SignedWebhook, error) {
		return impl.(sdk.SandboxSimulator).SimulatePayment(ctx, req)
	})
}
