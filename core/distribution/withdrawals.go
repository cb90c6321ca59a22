package distribution

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/finance"
	"github.com/banyanmall/banyan/core/identity"
	"github.com/banyanmall/banyan/core/page"
	"github.com/banyanmall/banyan/core/tenancy"
	"github.com/banyanmall/banyan/sdk"
)

// Withdrawal is a distributor's request to be paid their available commission.
type Withdrawal struct {
	ID             string          `db:"id" json:"id"`
	MemberID       string          `db:"member_id" json:"member_id"`
	Amount         decimal.Decimal `db:"amount" json:"amount"`
	Fee            decimal.Decimal `db:"fee" json:"fee"`
	Net            decimal.Decimal `db:"-" json:"net"` // amount − fee: what is paid out
	Channel        string          `db:"channel" json:"channel"`
	AccountName    string          `db:"account_name" json:"account_name"`
	AccountNo      string          `db:"account_no" json:"account_no"`
	Status         string          `db:"status" json:"status"` // requested, approved, paid, rejected, failed
	NeedsSecond    bool            `db:"needs_second" json:"needs_second_approval"`
	FirstApprover  *string         `db:"first_approver" json:"first_approver"`
	SecondApprover *string         `db:"second_approver" json:"second_approver"`
	RejectReason   string          `db:"reject_reason" json:"reject_reason"`
	PayoutRef      string          `db:"payout_ref" json:"payout_ref"`
	Failure        string          `db:"failure" json:"failure"`
	CreatedAt      time.Time       `db:"created_at" json:"created_at"`
	UpdatedAt      time.Time       `db:"updated_at" json:"updated_at"`
}

const withdrawalCols = `id, member_id, amount, fee, channel, account->>'name' AS account_name, account->>'account' AS account_no, status, needs_second,
first_approver, second_approver, reject_reason, payout_ref, failure, created_at, updated_at`

// WithdrawalInput is a distributor's request.
type WithdrawalInput struct {
	Amount  decimal.Decimal `json:"amount"`
	Channel string          `json:"channel"`
	// Account is the payee's account at the channel (card number, Alipay
	// account, WeChat openid), Name the account holder's name.
	Account string `json:"account"`
	Name    string `json:"name"`
}

// Fee is the withdrawal fee on amount under st: fixed + percent, rounded
// half-even to the cent.
func Fee(st Settings, amount decimal.Decimal) decimal.Decimal {
	return st.WithdrawalFeeFixed.Add(amount.Mul(st.WithdrawalFeePercent).Div(decimal.NewFromInt(100))).RoundBank(2)
}

// Balances are a distributor's money, from the ledger.
type Balances struct {
	Frozen    decimal.Decimal `json:"frozen"`
	Available decimal.Decimal `json:"available"` // negative: owed to the shop, blocks withdrawals
	InTransit decimal.Decimal `json:"in_transit"`
	Withdrawn decimal.Decimal `json:"withdrawn"`
}

func (s *Service) balances(ctx context.Context, tx *db.Tx, member string) (Balances, error) {
	var b Balances
	var err error
	if b.Frozen, err = s.Finance.Balance(ctx, tx, finance.FrozenPayable, member); err != nil {
		return b, err
	}
	if b.Available, err = s.Finance.Balance(ctx, tx, finance.AvailablePayable, member); err != nil {
		return b, err
	}
	err = tx.GetContext(ctx, &b.InTransit, `SELECT coalesce(sum(amount), 0) FROM withdrawals WHERE tenant_id = $1 AND member_id = $2 AND status IN ('requested', 'approved')`,
		tid(ctx), member)
	if err != nil {
		return b, err
	}
	err = tx.GetContext(ctx, &b.Withdrawn, `SELECT coalesce(sum(amount), 0) FROM withdrawals WHERE tenant_id = $1 AND member_id = $2 AND status = 'paid'`,
		tid(ctx), member)
	return b, err
}

// RequestWithdrawal asks for amount of the available balance: at least the
// minimum, at most the available balance (never while it is negative),
// within the daily limit. The amount moves from available to in transit at
// once (Dr available payable, Cr withdrawals in transit); the fee is taken
// when it is paid. The distributor's account row is locked, so concurrent
// requests can never overdraw.
func (s *Service) RequestWithdrawal(ctx context.Context, member identity.MemberID, in WithdrawalInput) (Withdrawal, error) {
	var out Withdrawal
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		st, err := s.settings(ctx, tx)
		if err != nil {
			return err
		}
		v := errs.Validator{}
		v.Check(in.Amount.IsPositive() && in.Amount.Equal(in.Amount.Round(2)), "amount", "invalid", "a positive amount with at most 2 decimal places")
		v.Check(in.Amount.GreaterThanOrEqual(st.WithdrawalMin), "amount", "below_minimum", "the minimum withdrawal is "+st.WithdrawalMin.StringFixed(2))
		v.Check(oneOf(in.Channel, st.Channels...), "channel", "invalid", "one of "+strings.Join(st.Channels, ", "))
		v.Check(len(in.Account) >= 1 && len(in.Account) <= 64, "account", "required", "the account to pay (1–64 characters)")
		n := utf8.RuneCountInString(in.Name)
		v.Check(n >= 1 && n <= 32, "name", "required", "the account holder's name")
		fee := Fee(st, in.Amount)
		v.Check(fee.LessThan(in.Amount), "amount", "below_fee", "the amount must exceed the fee "+fee.StringFixed(2))
		if err := v.Err(); err != nil {
			return err
		}
		var ok bool
		if err := tx.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM distributor_accounts a JOIN distributors d ON d.tenant_id = a.tenant_id AND d.member_id = a.member_id
WHERE a.tenant_id = $1 AND a.member_id = $2 AND d.status = 'active')`, tid(ctx), member); err != nil {
			return err
		}
		if !ok {
			return errs.E(errs.Forbidden, "only active distributors may withdraw")
		}
		if _, err := tx.ExecContext(ctx, `SELECT 1 FROM distributor_accounts WHERE tenant_id = $1 AND member_id = $2 FOR UPDATE`, tid(ctx), member); err != nil {
			return err
		}
		avail, err := s.Finance.Balance(ctx, tx, finance.AvailablePayable, string(member))
		if err != nil {
			return err
		}
		if avail.IsNegative() {
			return errs.E(errs.InvalidState, "your available balance is %s (refunds took back commission already settled): withdrawals resume once later commission covers it", avail.StringFixed(2))
		}
		if in.Amount.GreaterThan(avail) {
			return errs.Field("amount", "exceeds_available", "at most your available balance "+avail.StringFixed(2))
		}
		if st.WithdrawalDailyLimit.IsPositive() {
			loc := location(ctx)
			now := s.now().In(loc)
			day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
			var today decimal.Decimal
			if err := tx.GetContext(ctx, &today, `SELECT coalesce(sum(amount), 0) FROM withdrawals WHERE tenant_id = $1 AND member_id = $2
AND status IN ('requested', 'approved', 'paid') AND created_at >= $3`, tid(ctx), member, day); err != nil {
				return err
			}
			if today.Add(in.Amount).GreaterThan(st.WithdrawalDailyLimit) {
				return errs.Field("amount", "daily_limit", fmt.Sprintf("the daily limit is %s; %s already requested today", st.WithdrawalDailyLimit.StringFixed(2), today.StringFixed(2)))
			}
		}
		status := "requested"
		if st.AutoApproveBelow.IsPositive() && in.Amount.LessThanOrEqual(st.AutoApproveBelow) {
			status = "approved"
		}
		second := st.SecondApproverAbove.IsPositive() && in.Amount.GreaterThan(st.SecondApproverAbove)
		if second {
			status = "requested"
		}
		acct := fmt.Sprintf(`{"account": %q, "name": %q}`, in.Account, in.Name)
		if err := tx.GetContext(ctx, &out, `INSERT INTO withdrawals (tenant_id, member_id, amount, fee, channel, account, status, needs_second, created_at)
VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9) RETURNING `+withdrawalCols, tid(ctx), member, in.Amount, fee, in.Channel, acct, status, second, s.now()); err != nil {
			return err
		}
		if _, _, err := s.Finance.Post(ctx, tx, finance.Entry{Kind: "withdrawal.request", Ref: out.ID, MemberID: string(member),
			Lines: []finance.Line{{Account: finance.AvailablePayable, Party: string(member), Debit: in.Amount},
				{Account: finance.WithdrawalsInTransit, Credit: in.Amount}}}); err != nil {
			return err
		}
		out.Net = out.Amount.Sub(out.Fee)
		return auditRecord(ctx, tx, "distribution.withdrawal.request", "withdrawal", out.ID, map[string]any{"amount": in.Amount, "fee": fee, "status": status})
	})
	if err != nil {
		return out, err
	}
	if out.Status == "approved" {
		return s.payout(ctx, out.ID)
	}
	return out, nil
}

func (s *Service) withdrawal(ctx context.Context, tx *db.Tx, id string, lock bool) (Withdrawal, error) {
	if err := mustUUID("withdrawal", id); err != nil {
		return Withdrawal{}, err
	}
	q := `SELECT ` + withdrawalCols + ` FROM withdrawals WHERE tenant_id = $1 AND id = $2`
	if lock {
		q += ` FOR UPDATE`
	}
	var w Withdrawal
	if err := tx.GetContext(ctx, &w, q, tid(ctx), id); err != nil {
		return w, db.NotFound(err, "withdrawal")
	}
	w.Net = w.Amount.Sub(w.Fee)
	return w, nil
}

// Withdrawal returns one withdrawal; member non-empty restricts it to theirs.
func (s *Service) Withdrawal(ctx context.Context, id string) (Withdrawal, error) {
	var w Withdrawal
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		var err error
		w, err = s.withdrawal(ctx, tx, id, false)
		return err
	})
	return w, err
}

// Withdrawals lists withdrawals newest first, by status and member.
func (s *Service) Withdrawals(ctx context.Context, member, status string, p page.Request) ([]Withdrawal, string, error) {
	if status != "" && !oneOf(status, "requested", "approved", "paid", "rejected", "failed") {
		return nil, "", errs.Field("status", "invalid", "requested, approved, paid, rejected or failed")
	}
	if member != "" && !tenancy.ValidUUID(member) {
		return nil, "", errs.Field("member_id", "invalid", "a member id")
	}
	p = p.Normalize()
	cur, at, err := decodeCursor(p)
	if err != nil {
		return nil, "", err
	}
	var out []Withdrawal
	err = s.DB.InTenant(ctx, func(tx *db.Tx) error {
		return tx.SelectContext(ctx, &out, `SELECT `+withdrawalCols+` FROM withdrawals
WHERE tenant_id = $1 AND ($2 = '' OR member_id = NULLIF($2, '')::uuid) AND ($3 = '' OR status = $3)
  AND ($4::timestamptz IS NULL OR (created_at, id) < ($4, $5::uuid))
ORDER BY created_at DESC, id DESC LIMIT $6`, tid(ctx), member, status, at, nullIfEmpty(cur.ID), p.Limit+1)
	})
	if err != nil {
		return nil, "", err
	}
	out, next := cut(out, p.Limit, func(l Withdrawal) timeCursor { return timeCursor{l.CreatedAt, l.ID} })
	for i := range out {
		out[i].Net = out[i].Amount.Sub(out[i].Fee)
	}
	return out, next, nil
}

func staffID(ctx context.Context) string {
	if a, ok := identity.ActorFrom(ctx); ok {
		return string(a.UserID)
	}
	return ""
}

// ApproveWithdrawal approves a requested withdrawal. Above the second
// approver threshold the first approval is recorded and a different staff
// user must approve again. Once approved, the payment plugin (if the shop
// set one) pays it out; otherwise staff mark it paid.
func (s *Service) ApproveWithdrawal(ctx context.Context, id string) (Withdrawal, error) {
	by := staffID(ctx)
	var out Withdrawal
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		w, err := s.withdrawal(ctx, tx, id, true)
		if err != nil {
			return err
		}
		if w.Status != "requested" {
			return errs.E(errs.InvalidState, "this withdrawal is %s, not requested", w.Status)
		}
		switch {
		case w.NeedsSecond && w.FirstApprover == nil:
			_, err = tx.ExecContext(ctx, `UPDATE withdrawals SET first_approver = $3, updated_at = now() WHERE tenant_id = $1 AND id = $2`, tid(ctx), id, by)
		case w.NeedsSecond && *w.FirstApprover == by:
			return errs.E(errs.InvalidState, "a second, different staff member must approve this withdrawal")
		case w.NeedsSecond:
			_, err = tx.ExecContext(ctx, `UPDATE withdrawals SET second_approver = $3, status = 'approved', updated_at = now() WHERE tenant_id = $1 AND id = $2`, tid(ctx), id, by)
		default:
			_, err = tx.ExecContext(ctx, `UPDATE withdrawals SET first_approver = $3, status = 'approved', updated_at = now() WHERE tenant_id = $1 AND id = $2`, tid(ctx), id, by)
		}
		if err != nil {
			return err
		}
		if err := auditRecord(ctx, tx, "distribution.withdrawal.approve", "withdrawal", id, nil); err != nil {
			return err
		}
		out, err = s.withdrawal(ctx, tx, id, false)
		return err
	})
	if err != nil || out.Status != "approved" {
		return out, err
	}
	return s.payout(ctx, id)
}

// payout sends an approved withdrawal through the shop's payment plugin.
// With no plugin set it stays approved for staff to pay and mark paid.
func (s *Service) payout(ctx context.Context, id string) (Withdrawal, error) {
	var w Withdrawal
	var st Settings
	config := json.RawMessage(`{}`)
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		var err error
		if st, err = s.settings(ctx, tx); err != nil {
			return err
		}
		// The payment plugin needs the shop's own config (its enablement).
		if st.PaymentPlugin != "" && s.PluginConfig != nil {
			c, err := s.PluginConfig(ctx, tx, st.PaymentPlugin)
			if err != nil {
				return err
			}
			if len(c) > 0 {
				config = c
			}
		}
		w, err = s.withdrawal(ctx, tx, id, false)
		return err
	})
	if err != nil || st.PaymentPlugin == "" || s.Plugins == nil || w.Status != "approved" {
		return w, err
	}
	p, err := s.Plugins.Payment(st.PaymentPlugin)
	if err != nil {
		return w, nil // stays approved: paid by hand or retried
	}
	res, err := p.Payout(ctx, sdk.PayoutRequest{
		Context:  sdk.PluginContext{TenantID: string(tid(ctx)), ConfigJSON: config, Currency: "CNY", MinorUnits: 2, Now: s.now().Truncate(time.Millisecond)},
		PayoutID: w.ID, MemberID: w.MemberID, Amount: w.Net, Currency: "CNY",
		Account: sdk.PayoutAccount{Channel: w.Channel, Account: w.AccountNo, Name: w.AccountName},
	})
	if err != nil {
		if s.Log != nil {
			s.Log.WarnContext(ctx, "payout failed to run", "withdrawal", id, "err", err)
		}
		return w, nil
	}
	switch res.Status {
	case sdk.StatusSucceeded:
		return s.OnPayoutResult(ctx, id, true, res.ProviderRef, "")
	case sdk.StatusFailed:
		return s.OnPayoutResult(ctx, id, false, res.ProviderRef, res.Message)
	}
	return w, nil
}

// MarkPaidInput records a payout made outside Banyan.
type MarkPaidInput struct {
	Reference string `json:"reference"`
}

// MarkPaid records that staff paid an approved withdrawal by hand.
func (s *Service) MarkPaid(ctx context.Context, id string, in MarkPaidInput) (Withdrawal, error) {
	if l := len(strings.TrimSpace(in.Reference)); l < 1 || l > 128 {
		return Withdrawal{}, errs.Field("reference", "required", "the payment's reference (1–128 characters)")
	}
	return s.OnPayoutResult(ctx, id, true, strings.TrimSpace(in.Reference), "")
}

// OnPayoutResult records a payout's outcome (from the payment plugin's
// answer or webhook, or staff): paid (Dr in transit; Cr customer payments
// clearing for the net, Cr fee income for the fee) or failed (the money
// returns: Dr in transit, Cr available payable). Idempotent: a withdrawal
// already paid or failed is returned unchanged.
func (s *Service) OnPayoutResult(ctx context.Context, id string, ok bool, ref, reason string) (Withdrawal, error) {
	var out Withdrawal
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		w, err := s.withdrawal(ctx, tx, id, true)
		if err != nil {
			return err
		}
		if w.Status == "paid" || w.Status == "failed" {
			out = w
			return nil
		}
		if w.Status != "approved" {
			return errs.E(errs.InvalidState, "this withdrawal is %s: only an approved withdrawal is paid", w.Status)
		}
		status := "paid"
		e := finance.Entry{Kind: "withdrawal.paid", Ref: id, MemberID: w.MemberID, Memo: ref,
			Lines: []finance.Line{{Account: finance.WithdrawalsInTransit, Debit: w.Amount}, {Account: finance.CustomerClearing, Credit: w.Net}}}
		if w.Fee.IsPositive() {
			e.Lines = append(e.Lines, finance.Line{Account: finance.FeeIncome, Credit: w.Fee})
		}
		if !ok {
			status = "failed"
			e = finance.Entry{Kind: "withdrawal.failed", Ref: id, MemberID: w.MemberID, Memo: truncate(reason, 500),
				Lines: []finance.Line{{Account: finance.WithdrawalsInTransit, Debit: w.Amount}, {Account: finance.AvailablePayable, Party: w.MemberID, Credit: w.Amount}}}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE withdrawals SET status = $3, payout_ref = $4, failure = $5, updated_at = now() WHERE tenant_id = $1 AND id = $2`,
			tid(ctx), id, status, truncate(ref, 128), truncate(reason, 500)); err != nil {
			return err
		}
		if _, _, err := s.Finance.Post(ctx, tx, e); err != nil {
			return err
		}
		if err := auditRecord(ctx, tx, "distribution.withdrawal."+status, "withdrawal", id, map[string]string{"ref": ref, "reason": reason}); err != nil {
			return err
		}
		out, err = s.withdrawal(ctx, tx, id, false)
		return err
	})
	return out, err
}

// RejectWithdrawal rejects a requested withdrawal with a reason; the
// amount returns to the available balance.
func (s *Service) RejectWithdrawal(ctx context.Context, id, reason string) (Withdrawal, error) {
	reason = strings.TrimSpace(reason)
	if n := utf8.RuneCountInString(reason); n < 1 || n > 500 {
		return Withdrawal{}, errs.Field("reason", "required", "say why (1–500 characters): the distributor sees it")
	}
	var out Withdrawal
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		w, err := s.withdrawal(ctx, tx, id, true)
		if err != nil {
			return err
		}
		if w.Status != "requested" {
			return errs.E(errs.InvalidState, "this withdrawal is %s, not requested", w.Status)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE withdrawals SET status = 'rejected', reject_reason = $3, updated_at = now() WHERE tenant_id = $1 AND id = $2`,
			tid(ctx), id, reason); err != nil {
			return err
		}
		if _, _, err := s.Finance.Post(ctx, tx, finance.Entry{Kind: "withdrawal.rejected", Ref: id, MemberID: w.MemberID, Memo: truncate(reason, 500),
			Lines: []finance.Line{{Account: finance.WithdrawalsInTransit, Debit: w.Amount}, {Account: finance.AvailablePayable, Party: w.MemberID, Credit: w.Amount}}}); err != nil {
			return err
		}
		if err := auditRecord(ctx, tx, "distribution.withdrawal.reject", "withdrawal", id, map[string]string{"reason": reason}); err != nil {
			return err
		}
		out, err = s.withdrawal(ctx, tx, id, false)
		return err
	})
	return out, err
}
