package orders

import (
	"context"

	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/db"
)

// SetRefundHook makes every refund call to a provider go through h (nil:
// straight to the plugin), so a test can hold a real plugin's call or fail
// it as an unreachable provider would.
func SetRefundHook(s *Service, h RefundCall) {
	if h == nil {
		s.refundHook.Store(nil)
		return
	}
	s.refundHook.Store(&h)
}

// BeginRefundOnly runs phase 1 alone and abandons the refund, as a request
// that died right after committing it: its job, due at once, must finish it.
func BeginRefundOnly(ctx context.Context, s *Service, id OrderID, in RefundInput) (Refund, error) {
	total := decimal.Zero
	for _, l := range in.Lines {
		total = total.Add(l.Amount)
	}
	var r Refund
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		var err error
		r, err = s.beginRefund(ctx, tx, id, in, total, nil, s.now())
		return err
	})
	return r, err
}

// FinishRefund is what the finishing job does for a refund (the request
// path does it too): ask the provider, settle once.
func FinishRefund(ctx context.Context, s *Service, id string) (Refund, error) {
	return s.finishRefund(ctx, id)
}

// LoadOrder reads an order with its lines as the service does, its row
// locked (two statements) or not (one).
func LoadOrder(ctx context.Context, s *Service, id OrderID, lock bool) (Order, error) {
	var o Order
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		var err error
		o, err = s.load(ctx, tx, id, lock)
		return err
	})
	return o, err
}
