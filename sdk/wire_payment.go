package sdk

import (
	"context"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	banyanv1 "github.com/banyanmall/banyan/sdk/proto/banyan/v1"
)

type paymentServer struct {
	banyanv1.UnimplementedPaymentProviderServer
	impl PaymentProvider
}

func (s *paymentServer) ValidateConfig(ctx context.Context, req *banyanv1.ValidateConfigRequest) (*banyanv1.ValidateConfigResponse, error) {
	return validateConfig(ctx, s.impl, req)
}

func (s *paymentServer) CreatePayment(ctx context.Context, in *banyanv1.PaymentRequest) (*banyanv1.PaymentIntent, error) {
	d := decoder{wrap: ErrInvalidRequest}
	req := PaymentRequest{
		Context:     fromContext(in.Context),
		PaymentID:   in.PaymentId,
		OrderNo:     in.OrderNo,
		Amount:      d.dec(in.Amount, "amount"),
		Currency:    in.Currency,
		Description: in.Description,
		ReturnURL:   in.ReturnUrl,
		NotifyURL:   in.NotifyUrl,
	}
	if d.err != nil {
		return nil, toStatus(d.err)
	}
	res, err := s.impl.CreatePayment(ctx, req)
	if err != nil {
		return nil, toStatus(err)
	}
	return &banyanv1.PaymentIntent{
		ProviderRef:  res.ProviderRef,
		PayUrl:       res.PayURL,
		QrPayload:    res.QRPayload,
		Status:       string(res.Status),
		Instructions: res.Instructions,
	}, nil
}

func (s *paymentServer) VerifyWebhook(ctx context.Context, in *banyanv1.WebhookRequest) (*banyanv1.WebhookEvent, error) {
	ev, err := s.impl.VerifyWebhook(ctx, WebhookRequest{Context: fromContext(in.Context), Headers: in.Headers, Body: in.Body})
	if err != nil {
		return nil, toStatus(err)
	}
	return &banyanv1.WebhookEvent{
		EventId:     ev.EventID,
		Type:        string(ev.Type),
		PaymentId:   ev.PaymentID,
		ProviderRef: ev.ProviderRef,
		Amount:      ev.Amount.String(),
		Currency:    ev.Currency,
		RefundId:    ev.RefundID,
		PayoutId:    ev.PayoutID,
	}, nil
}

func (s *paymentServer) Refund(ctx context.Context, in *banyanv1.RefundRequest) (*banyanv1.RefundResult, error) {
	d := decoder{wrap: ErrInvalidRequest}
	req := RefundRequest{
		Context:     fromContext(in.Context),
		PaymentID:   in.PaymentId,
		ProviderRef: in.ProviderRef,
		RefundID:    in.RefundId,
		Amount:      d.dec(in.Amount, "amount"),
		Currency:    in.Currency,
		Reason:      in.Reason,
	}
	if d.err != nil {
		return nil, toStatus(d.err)
	}
	res, err := s.impl.Refund(ctx, req)
	if err != nil {
		return nil, toStatus(err)
	}
	return &banyanv1.RefundResult{Status: string(res.Status), ProviderRef: res.ProviderRef, Message: res.Message}, nil
}

func (s *paymentServer) Payout(ctx context.Context, in *banyanv1.PayoutRequest) (*banyanv1.PayoutResult, error) {
	d := decoder{wrap: ErrInvalidRequest}
	req := PayoutRequest{
		Context:  fromContext(in.Context),
		PayoutID: in.PayoutId,
		MemberID: in.MemberId,
		Amount:   d.dec(in.Amount, "amount"),
		Currency: in.Currency,
	}
	if a := in.Account; a != nil {
		req.Account = PayoutAccount{Channel: a.Channel, Account: a.Account, Name: a.Name}
	}
	if d.err != nil {
		return nil, toStatus(d.err)
	}
	res, err := s.impl.Payout(ctx, req)
	if err != nil {
		return nil, toStatus(err)
	}
	return &banyanv1.PayoutResult{Status: string(res.Status), ProviderRef: res.ProviderRef, Message: res.Message}, nil
}

// SimulatePayment answers Unimplemented unless the provider is a SandboxSimulator.
func (s *paymentServer) SimulatePayment(ctx context.Context, in *banyanv1.SimulateRequest) (*banyanv1.SignedWebhook, error) {
	sim, ok := s.impl.(SandboxSimulator)
	if !ok {
		return nil, status.Error(codes.Unimplemented, "provider has no sandbox simulator")
	}
	d := decoder{wrap: ErrInvalidRequest}
	req := SimulateRequest{
		Context:     fromContext(in.Context),
		PaymentID:   in.PaymentId,
		ProviderRef: in.ProviderRef,
		Amount:      d.dec(in.Amount, "amount"),
		Currency:    in.Currency,
		Approve:     in.Approve,
	}
	if d.err != nil {
		return nil, toStatus(d.err)
	}
	res, err := sim.SimulatePayment(ctx, req)
	if err != nil {
		return nil, toStatus(err)
	}
	return &banyanv1.SignedWebhook{Headers: res.Headers, Body: res.Body}, nil
}

// paymentClient always offers SimulatePayment; a provider without the
// capability answers ErrUnimplemented.
type paymentClient struct {
	validateConfigClient
	c banyanv1.PaymentProviderClient
}

var _ SandboxSimulator = (*paymentClient)(nil)

func (c *paymentClient) CreatePayment(ctx context.Context, r PaymentRequest) (PaymentIntent, error) {
	out, err := c.c.CreatePayment(ctx, &banyanv1.PaymentRequest{
		Context:     toContext(r.Context),
		PaymentId:   r.PaymentID,
		OrderNo:     r.OrderNo,
		Amount:      r.Amount.String(),
		Currency:    r.Currency,
		Description: r.Description,
		ReturnUrl:   r.ReturnURL,
		NotifyUrl:   r.NotifyURL,
	})
	if err != nil {
		return PaymentIntent{}, fromStatus(err)
	}
	return PaymentIntent{
		ProviderRef:  out.ProviderRef,
		PayURL:       out.PayUrl,
		QRPayload:    out.QrPayload,
		Status:       Status(out.Status),
		Instructions: out.Instructions,
	}, nil
}

func (c *paymentClient) VerifyWebhook(ctx context.Context, r WebhookRequest) (WebhookEvent, error) {
	out, err := c.c.VerifyWebhook(ctx, &banyanv1.WebhookRequest{Context: toContext(r.Context), Headers: r.Headers, Body: r.Body})
	if err != nil {
		return WebhookEvent{}, fromStatus(err)
	}
	d := decoder{wrap: ErrContract}
	ev := WebhookEvent{
		EventID:     out.EventId,
		Type:        EventType(out.Type),
		PaymentID:   out.PaymentId,
		ProviderRef: out.ProviderRef,
		Amount:      d.dec(out.Amount, "amount"),
		Currency:    out.Currency,
		RefundID:    out.RefundId,
		PayoutID:    out.PayoutId,
	}
	return ev, d.err
}

func (c *paymentClient) Refund(ctx context.Context, r RefundRequest) (RefundResult, error) {
	out, err := c.c.Refund(ctx, &banyanv1.RefundRequest{
		Context:     toContext(r.Context),
		PaymentId:   r.PaymentID,
		ProviderRef: r.ProviderRef,
		RefundId:    r.RefundID,
		Amount:      r.Amount.String(),
		Currency:    r.Currency,
		Reason:      r.Reason,
	})
	if err != nil {
		return RefundResult{}, fromStatus(err)
	}
	return RefundResult{Status: Status(out.Status), ProviderRef: out.ProviderRef, Message: out.Message}, nil
}

func (c *paymentClient) Payout(ctx context.Context, r PayoutRequest) (PayoutResult, error) {
	out, err := c.c.Payout(ctx, &banyanv1.PayoutRequest{
		Context:  toContext(r.Context),
		PayoutId: r.PayoutID,
		MemberId: r.MemberID,
		Amount:   r.Amount.String(),
		Currency: r.Currency,
		Account:  &banyanv1.PayoutAccount{Channel: r.Account.Channel, Account: r.Account.Account, Name: r.Account.Name},
	})
	if err != nil {
		return PayoutResult{}, fromStatus(err)
	}
	return PayoutResult{Status: Status(out.Status), ProviderRef: out.ProviderRef, Message: out.Message}, nil
}

func (c *paymentClient) SimulatePayment(ctx context.Context, r SimulateRequest) (SignedWebhook, error) {
	out, err := c.c.SimulatePayment(ctx, &banyanv1.SimulateRequest{
		Context:     toContext(r.Context),
		PaymentId:   r.PaymentID,
		ProviderRef: r.ProviderRef,
		Amount:      r.Amount.String(),
		Currency:    r.Currency,
		Approve:     r.Approve,
	})
	if err != nil {
		return SignedWebhook{}, fromStatus(err)
	}
	return SignedWebhook{Headers: out.Headers, Body: out.Body}, nil
}
