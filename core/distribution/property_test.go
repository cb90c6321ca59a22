package distribution_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/distribution"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/finance"
	"github.com/banyanmall/banyan/core/identity"
)

// TestPropertyRandomSequences runs random sequences of commission,
// partial refunds, settlements, withdrawals and replays, and checks after
// every step that every entry balances, the trial balance is zero, each
// distributor's ledger balances equal distribution's own records, and no
// commission is counted twice.
func TestPropertyRandomSequences(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.settings(func(s *distribution.Settings) {
		s.Depth = 3
		s.SelfPurchase = true
		s.WithdrawalDailyLimit = decimal.Zero
		s.WithdrawalFeeFixed = dec("0.5")
		s.WithdrawalFeePercent = dec("1")
	})
	r := rand.New(rand.NewPCG(7, 11))
	// A chain d0 ← d1 ← d2 ← d3 and buyers bound to random distributors.
	var ds, codes []string
	for i := range 4 {
		id, code := e.distributor()
		if i > 0 {
			e.mustBind(id, codes[i-1])
		}
		ds, codes = append(ds, id), append(codes, code)
	}
	var buyers []string
	for range 6 {
		b := e.member()
		e.mustBind(b, codes[r.IntN(len(codes))])
		buyers = append(buyers, b)
	}
	buyers = append(buyers, ds[3]) // a distributor buying for themself
	type lineState struct {
		order    distribution.PaidOrder
		idx      int
		refunded decimal.Decimal
	}
	var lines []*lineState
	var orders []distribution.PaidOrder
	var refunds []struct {
		l      *lineState
		amount string
		id     string
	}
	var withdrawals []string
	admin := staffCtx(e.ctx, uuid.NewString())
	for step := range 120 {
		switch op := r.IntN(10); {
		case op < 3: // pay
			var amounts []string
			for range 1 + r.IntN(3) {
				amounts = append(amounts, decimal.New(int64(100+r.IntN(100000)), -2).StringFixed(2))
			}
			o := e.pay(buyers[r.IntN(len(buyers))], amounts...)
			orders = append(orders, o)
			for i := range o.Lines {
				lines = append(lines, &lineState{order: o, idx: i})
			}
		case op == 3 && len(orders) > 0: // replay the commission job
			if err := e.compute(orders[r.IntN(len(orders))].OrderID); err != nil {
				t.Fatal(err)
			}
		case op == 4 && len(lines) > 0: // partial refund
			l := lines[r.IntN(len(lines))]
			paid := l.order.Lines[l.idx].PaidAmount
			left := paid.Sub(l.refunded)
			if !left.IsPositive() {
				continue
			}
			amt := left
			if r.IntN(3) > 0 {
				amt = left.Mul(decimal.NewFromFloat32(r.Float32())).Round(2)
				if !amt.IsPositive() {
					amt = decimal.New(1, -2)
				}
			}
			id := fmt.Sprintf("rf%d", step)
			e.refund(l.order, l.idx, amt.String(), id)
			l.refunded = l.refunded.Add(amt)
			refunds = append(refunds, struct {
				l      *lineState
				amount string
				id     string
			}{l, amt.String(), id})
		case op == 5 && len(refunds) > 0: // replay a refund
			rf := refunds[r.IntN(len(refunds))]
			e.refund(rf.l.order, rf.l.idx, rf.amount, rf.id)
		case op == 6 && len(orders) > 0: // windows close, settlement runs
			o := orders[r.IntN(len(orders))]
			e.close(o, e.clock.now())
			e.clock.add(time.Minute)
			if _, err := e.s.Settle(e.ctx); err != nil {
				t.Fatal(err)
			}
		case op == 7: // withdraw
			d := ds[r.IntN(len(ds))]
			w, err := e.s.RequestWithdrawal(e.ctx, identity.MemberID(d), distribution.WithdrawalInput{
				Amount: decimal.New(int64(100+r.IntN(20000)), -2), Channel: "bank", Account: "6222", Name: "D"})
			switch {
			case err == nil:
				withdrawals = append(withdrawals, w.ID)
			case errs.Is(err, errs.Invalid), errs.Is(err, errs.InvalidState):
			default:
				t.Fatal(err)
			}
		case op == 8 && len(withdrawals) > 0: // review
			id := withdrawals[r.IntN(len(withdrawals))]
			var err error
			switch r.IntN(3) {
			case 0:
				_, err = e.s.ApproveWithdrawal(admin, id)
			case 1:
				_, err = e.s.RejectWithdrawal(admin, id, "no")
			default:
				_, err = e.s.MarkPaid(admin, id, distribution.MarkPaidInput{Reference: "ref"})
			}
			if err != nil && !errs.Is(err, errs.InvalidState) {
				t.Fatal(err)
			}
		case op == 9 && len(withdrawals) > 0: // payout result, possibly replayed
			if _, err := e.s.OnPayoutResult(e.ctx, withdrawals[r.IntN(len(withdrawals))], r.IntN(2) == 0, "p", "bank said no"); err != nil && !errs.Is(err, errs.InvalidState) {
				t.Fatal(err)
			}
		}
		e.check()
	}
	// Commission expense equals the net of the commission records.
	var net decimal.Decimal
	if err := e.d.Owner.Get(&net, `SELECT coalesce(sum(amount - refunded), 0) FROM commissions`); err != nil {
		t.Fatal(err)
	}
	if got := e.balance(finance.CommissionExpense, ""); !got.Equal(net) {
		t.Fatalf("commission expense %s, records %s", got, net)
	}
	if len(orders) == 0 || len(withdrawals) == 0 {
		t.Fatalf("sequence too thin: %d orders, %d withdrawals", len(orders), len(withdrawals))
	}
}
