package distribution

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/finance"
	"github.com/banyanmall/banyan/core/jobs"
	"github.com/banyanmall/banyan/core/tenancy"
	"github.com/banyanmall/banyan/sdk"
)

// CommissionArgs is the job that computes one paid order's commission.
type CommissionArgs struct {
	jobs.Tenant
	OrderID string `json:"order_id"`
}

// Kind names the job.
func (CommissionArgs) Kind() string { return "distribution.commission" }

// SettleArgs is the periodic settlement job (all tenants).
type SettleArgs struct{}

// Kind names the job.
func (SettleArgs) Kind() string { return "distribution.settle" }

// EnqueueCommission is called by orders in the payment transaction: the
// commission job runs once the payment commits, retried until it succeeds,
// and never applied twice; a failing plugin never blocks the payment.
func (s *Service) EnqueueCommission(ctx context.Context, tx *db.Tx, orderID string) error {
	if !tenancy.ValidUUID(orderID) {
		return errs.Field("order_id", "invalid", "an order id")
	}
	_, err := jobs.Enqueue(ctx, tx, CommissionArgs{Tenant: jobs.Tenant{TenantID: tid(ctx)}, OrderID: orderID},
		&river.InsertOpts{MaxAttempts: 25, UniqueOpts: river.UniqueOpts{ByArgs: true}})
	return err
}

type commissionWorker struct {
	river.WorkerDefaults[CommissionArgs]
	s *Service
}

func (w *commissionWorker) Work(ctx context.Context, job *river.Job[CommissionArgs]) error {
	return jobs.InTenant(ctx, w.s.DB, job.Args.TenantID, func(ctx context.Context, tx *db.Tx) error {
		_, err := w.s.ComputeCommission(ctx, tx, job.Args.OrderID)
		return err
	})
}

type settleWorker struct {
	river.WorkerDefaults[SettleArgs]
	s *Service
}

func (w *settleWorker) Work(ctx context.Context, _ *river.Job[SettleArgs]) error {
	_, err := w.s.SettleAll(ctx)
	return err
}

// Register adds the commission and settlement workers and schedules the
// settlement every interval (a minute when zero).
func Register(r *jobs.Runner, s *Service, every time.Duration) {
	if every <= 0 {
		every = time.Minute
	}
	jobs.Register(r, &commissionWorker{s: s})
	jobs.Register(r, &settleWorker{s: s})
	r.Periodic(every, func() (river.JobArgs, *river.InsertOpts) { return SettleArgs{}, nil }, true)
}

// uplineNode is one member above the buyer, with their grade.
type uplineNode struct {
	ID        string  `db:"id"`
	Hop       int     `db:"hop"`
	Status    *string `db:"status"`
	GradeID   *string `db:"grade_id"`
	GradeName *string `db:"grade_name"`
	Rates     *string `db:"rates"`
}

// upline builds the chain of possible beneficiaries, nearest first: the
// buyer (self-purchase on and the buyer an active distributor), then the
// order's referrer (or the buyer's current one) and up the bindings.
// Members on the way who are not active distributors are skipped (they
// earn nothing and take no level); at most depth entries.
func (s *Service) upline(ctx context.Context, tx *db.Tx, st Settings, buyer, referrer string) ([]sdk.Upline, bool, error) {
	var b struct {
		Active   bool   `db:"buyer_active"`
		Referrer string `db:"referrer"`
	}
	if err := tx.GetContext(ctx, &b, `SELECT `+buyerFacts, tid(ctx), buyer); err != nil {
		return nil, false, err
	}
	if referrer == "" {
		referrer = b.Referrer
	}
	up, err := s.chain(ctx, tx, st, buyer, b.Active, referrer)
	return up, b.Active, err
}

// buyerFacts selects, for tenant $1 and buyer $2, the buyer's current
// referrer (empty when none) and whether the buyer is an active distributor.
const buyerFacts = `coalesce((SELECT referrer_id::text FROM distribution_referrers WHERE tenant_id = $1 AND member_id = $2), '') AS referrer,
  EXISTS (SELECT 1 FROM distributors WHERE tenant_id = $1 AND member_id = $2 AND status = 'active') AS buyer_active`

// chain is the upline of buyer through referrer (see upline).
func (s *Service) chain(ctx context.Context, tx *db.Tx, st Settings, buyer string, buyerActive bool, referrer string) ([]sdk.Upline, error) {
	var out []sdk.Upline
	add := func(n uplineNode) error {
		if len(out) >= st.Depth || n.Status == nil || *n.Status != "active" {
			return nil
		}
		u := sdk.Upline{MemberID: n.ID, Level: len(out) + 1}
		if n.GradeID != nil {
			u.GradeID, u.GradeName = *n.GradeID, *n.GradeName
			if n.Rates != nil {
				if err := json.Unmarshal([]byte(*n.Rates), &u.GradeRates); err != nil {
					return err
				}
			}
		}
		out = append(out, u)
		return nil
	}
	const q = `
WITH RECURSIVE up(id, hop) AS (
  SELECT $2::uuid, 0
  UNION ALL
  SELECT r.referrer_id, up.hop + 1 FROM distribution_referrers r JOIN up ON r.member_id = up.id
  WHERE r.tenant_id = $1 AND up.hop < 50
)
SELECT up.id, up.hop, d.status, d.grade_id, g.name AS grade_name, g.rates::text AS rates
FROM up LEFT JOIN distributors d ON d.tenant_id = $1 AND d.member_id = up.id
LEFT JOIN distributor_grades g ON g.tenant_id = $1 AND g.id = d.grade_id
ORDER BY up.hop`
	if st.SelfPurchase && buyerActive {
		var self []uplineNode
		if err := tx.SelectContext(ctx, &self, q+` LIMIT 1`, tid(ctx), buyer); err != nil {
			return nil, err
		}
		for _, n := range self {
			if err := add(n); err != nil {
				return nil, err
			}
		}
	}
	if referrer != "" && referrer != buyer {
		var chain []uplineNode
		if err := tx.SelectContext(ctx, &chain, q, tid(ctx), referrer); err != nil {
			return nil, err
		}
		for _, n := range chain {
			if n.ID == buyer {
				break // never pay the buyer through a chain that leads back to them
			}
			if err := add(n); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

func (s *Service) pluginConfig(ctx context.Context, tx *db.Tx, plugin string) (json.RawMessage, error) {
	if s.PluginConfig != nil {
		c, err := s.PluginConfig(ctx, tx, plugin)
		if err != nil {
			return nil, err
		}
		if len(c) > 0 {
			return c, nil
		}
	}
	return DefaultPluginConfig, nil
}

// request builds the plugin request for o.
func (s *Service) request(ctx context.Context, tx *db.Tx, st Settings, config json.RawMessage, o PaidOrder) (sdk.CommissionRequest, error) {
	up, buyerActive, err := s.upline(ctx, tx, st, o.BuyerID, o.ReferrerID)
	if err != nil {
		return sdk.CommissionRequest{}, err
	}
	return s.requestFor(ctx, st, config, o, up, buyerActive), nil
}

// requestFor is the plugin request for o with its upline.
func (s *Service) requestFor(ctx context.Context, st Settings, config json.RawMessage, o PaidOrder, up []sdk.Upline, buyerActive bool) sdk.CommissionRequest {
	currency := "CNY"
	if t, ok := tenancy.From(ctx); ok && t.Currency != "" {
		currency = t.Currency
	}
	req := sdk.CommissionRequest{
		Context: sdk.PluginContext{TenantID: string(tid(ctx)), ConfigJSON: config, Currency: currency, MinorUnits: 2,
			Now: s.now().Truncate(time.Millisecond), Settings: map[string]string{"commission_base": st.CommissionBase}},
		OrderID: o.OrderID, OrderNo: o.OrderNo, BuyerID: o.BuyerID, BuyerIsDistributor: buyerActive,
		Upline: up, Depth: st.Depth, SelfPurchase: st.SelfPurchase,
	}
	for _, l := range o.Lines {
		mode := sdk.DistributionMode(l.Distribution)
		if mode == "" {
			mode = sdk.DistributeDefault
		}
		req.Lines = append(req.Lines, sdk.CommissionLine{LineID: l.LineID, ProductID: l.ProductID, SKUID: l.SKUID, CategoryID: l.CategoryID,
			Quantity: int64(l.Quantity), UnitPrice: l.UnitPrice, PaidAmount: l.PaidAmount, Distribution: mode, OverrideRates: l.OverrideRates})
	}
	return req
}

// callPlugin runs the commission plugin and checks what it proposes.
func (s *Service) callPlugin(ctx context.Context, plugin string, req sdk.CommissionRequest) (sdk.CommissionResult, error) {
	if s.Plugins == nil {
		return sdk.CommissionResult{}, errs.E(errs.PluginUnavailable, "no plugin host: commission plugin %s unavailable", plugin)
	}
	scheme, err := s.Plugins.Commission(plugin)
	if err != nil {
		return sdk.CommissionResult{}, fmt.Errorf("commission plugin %s: %w", plugin, err)
	}
	res, err := scheme.Compute(ctx, req)
	if err != nil {
		return sdk.CommissionResult{}, fmt.Errorf("commission plugin %s: %w", plugin, err)
	}
	if err := sdk.CheckCommission(req, res); err != nil {
		return sdk.CommissionResult{}, fmt.Errorf("commission plugin %s broke the contract: %w", plugin, err)
	}
	return res, nil
}

// ComputeCommission computes and records one paid order's commission in
// tx: frozen commission rows with the rule set snapshotted and one journal
// entry (Dr commission expense, Cr each beneficiary's frozen payable). It
// runs once per order: a second run changes nothing. It answers how many
// commissions were recorded.
func (s *Service) ComputeCommission(ctx context.Context, tx *db.Tx, orderID string) (int, error) {
	if s.Orders == nil {
		return 0, errors.New("distribution: no order source wired")
	}
	if err := s.lockCommission(ctx, tx, orderID); err != nil {
		return 0, err
	}
	st, err := s.settings(ctx, tx)
	if err != nil {
		return 0, err
	}
	o, err := s.Orders.PaidOrder(ctx, tx, orderID)
	if err != nil {
		return 0, fmt.Errorf("paid order %s: %w", orderID, err)
	}
	// One statement after the lock (a fresh snapshot, see lockCommission):
	// whether the order's commission is recorded, the refunds that came
	// before it, and what the upline needs of the buyer.
	var run struct {
		Done        bool   `db:"done"`
		BuyerActive bool   `db:"buyer_active"`
		Referrer    string `db:"referrer"`
		Pending     []byte `db:"pending"`
	}
	if err := tx.GetContext(ctx, &run, `
SELECT EXISTS (SELECT 1 FROM commission_runs WHERE tenant_id = $1 AND order_id = $3::uuid) AS done,
  coalesce((SELECT json_agg(p ORDER BY p.created_at, p.refund_id) FROM (SELECT line_id, refund_id, refunded, line_paid, created_at
    FROM commission_pending_refunds WHERE tenant_id = $1 AND order_id = $3::uuid) p), '[]') AS pending,
  `+buyerFacts, tid(ctx), o.BuyerID, orderID); err != nil {
		return 0, err
	}
	if run.Done {
		return 0, nil
	}
	var pending []struct {
		LineID   string          `json:"line_id"`
		RefundID string          `json:"refund_id"`
		Refunded decimal.Decimal `json:"refunded"`
		LinePaid decimal.Decimal `json:"line_paid"`
	}
	if err := json.Unmarshal(run.Pending, &pending); err != nil {
		return 0, fmt.Errorf("pending refunds: %w", err)
	}
	referrer := o.ReferrerID
	if referrer == "" {
		referrer = run.Referrer
	}
	up, err := s.chain(ctx, tx, st, o.BuyerID, run.BuyerActive, referrer)
	if err != nil {
		return 0, err
	}
	plugin := st.CommissionPlugin
	var (
		res    sdk.CommissionResult
		config json.RawMessage
	)
	if st.Enabled && len(up) > 0 {
		// The plugin's config is read only when it is called (it is
		// snapshotted on each commission it proposes).
		if config, err = s.pluginConfig(ctx, tx, plugin); err != nil {
			return 0, err
		}
		if res, err = s.callPlugin(ctx, plugin, s.requestFor(ctx, st, config, o, up, run.BuyerActive)); err != nil {
			return 0, err
		}
	}
	version := ""
	if s.Plugins != nil {
		if m, ok := s.Plugins.Manifest(plugin); ok {
			version = m.Version
		}
	}
	ups := map[string]sdk.Upline{}
	for _, u := range up {
		ups[u.MemberID] = u
	}
	lines := map[string]OrderLine{}
	for _, l := range o.Lines {
		lines[l.LineID] = l
	}
	type row struct {
		LineID      string          `json:"line_id"`
		Beneficiary string          `json:"beneficiary_id"`
		Level       int             `json:"level"`
		Base        decimal.Decimal `json:"base"`
		Rate        decimal.Decimal `json:"rate"`
		Amount      decimal.Decimal `json:"amount"`
		LinePaid    decimal.Decimal `json:"line_paid"`
		GradeID     *string         `json:"grade_id"`
		GradeName   string          `json:"grade_name"`
		Note        string          `json:"note"`
	}
	rows := make([]row, 0, len(res.Beneficiaries))
	perParty := map[string]decimal.Decimal{}
	var order []string
	total := decimal.Zero
	for _, b := range res.Beneficiaries {
		u := ups[b.MemberID]
		var grade *string
		if u.GradeID != "" {
			grade = &u.GradeID
		}
		rows = append(rows, row{LineID: b.LineID, Beneficiary: b.MemberID, Level: b.Level, Base: b.Base, Rate: b.Rate, Amount: b.Amount,
			LinePaid: lines[b.LineID].PaidAmount, GradeID: grade, GradeName: u.GradeName, Note: truncate(b.Note, 200)})
		if b.Amount.IsPositive() {
			if _, ok := perParty[b.MemberID]; !ok {
				order = append(order, b.MemberID)
			}
			perParty[b.MemberID] = perParty[b.MemberID].Add(b.Amount)
			total = total.Add(b.Amount)
		}
	}
	// Claim the order and record its commissions in one statement; the
	// commissions are written only with the claim (a run that finds the
	// order claimed writes none).
	rowsJSON, _ := json.Marshal(rows)
	var claimed bool
	if err := tx.GetContext(ctx, &claimed, `
WITH run AS (
  INSERT INTO commission_runs (tenant_id, order_id, plugin, beneficiaries) VALUES ($1, $2, $3, $4)
  ON CONFLICT DO NOTHING RETURNING 1
), c AS (
  INSERT INTO commissions (tenant_id, order_id, order_no, line_id, buyer_id, beneficiary_id, level, base, rate, amount, line_paid, status,
    plugin, plugin_version, config, depth, grade_id, grade_name, note)
  SELECT $1, $2, $5, b.line_id, $6, b.beneficiary_id, b.level, b.base, b.rate, b.amount, b.line_paid, 'frozen',
    $3, $7, $8::jsonb, $9, b.grade_id, b.grade_name, b.note
  FROM jsonb_to_recordset($10::jsonb) AS b(line_id text, beneficiary_id uuid, level int, base numeric, rate numeric, amount numeric,
    line_paid numeric, grade_id uuid, grade_name text, note text)
  WHERE EXISTS (SELECT 1 FROM run)
)
SELECT EXISTS (SELECT 1 FROM run)`, tid(ctx), orderID, plugin, len(rows), o.OrderNo, o.BuyerID, version, configText(config), st.Depth,
		string(rowsJSON)); err != nil {
		return 0, fmt.Errorf("record commission: %w", err)
	}
	if !claimed {
		return 0, nil
	}
	if total.IsPositive() {
		e := finance.Entry{Kind: "commission.freeze", Ref: orderID, OrderID: orderID, Memo: "commission on order " + o.OrderNo,
			Lines: []finance.Line{{Account: finance.CommissionExpense, Debit: total}}}
		for _, p := range order {
			e.Lines = append(e.Lines, finance.Line{Account: finance.FrozenPayable, Party: p, Credit: perParty[p]})
		}
		if _, _, err := s.Finance.Post(ctx, tx, e); err != nil {
			return 0, err
		}
	}
	// Refunds that came before this run.
	for _, p := range pending {
		if err := s.onLineRefunded(ctx, tx, orderID, p.LineID, p.Refunded, p.LinePaid, p.RefundID, true); err != nil {
			return 0, err
		}
	}
	for _, u := range up {
		if u.Level == 1 {
			if _, err := s.EvaluateGrade(ctx, tx, u.MemberID); err != nil {
				return 0, err
			}
		}
	}
	return len(rows), nil
}

// configText is the config snapshotted on commissions: the plugin's,
// or JSON null when the plugin was not called (then there are none).
func configText(c json.RawMessage) string {
	if len(c) == 0 {
		return "null"
	}
	return string(c)
}

// lockCommission takes the order's commission lock (a transaction-level
// advisory lock): the job and refunds of one order serialise on it, so a
// refund either sees the commission or is seen by the job as pending.
// The unique claim in commission_runs alone would not do: a refund that
// checked for the claim while a job's claim was not yet committed would
// hold itself as pending after the job had read the pending refunds, and
// never be applied (TestRefundRacingCommissionJob). What either side reads
// after the lock, it reads in a later statement: a statement sees the
// commits made while it waited for a lock only if it began after the wait.
func (s *Service) lockCommission(ctx context.Context, tx *db.Tx, orderID string) error {
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext('distribution.commission:' || $1))`, orderID)
	return err
}

// computed reports whether the order's commission was recorded, after
// taking the order's commission lock.
func (s *Service) computed(ctx context.Context, tx *db.Tx, orderID string) (bool, error) {
	if err := s.lockCommission(ctx, tx, orderID); err != nil {
		return false, err
	}
	var done bool
	err := tx.GetContext(ctx, &done, `SELECT EXISTS (SELECT 1 FROM commission_runs WHERE tenant_id = $1 AND order_id = $2)`, tid(ctx), orderID)
	return done, err
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// OnLineAfterSalesClosed records that a line's after-sales window closed at
// closedAt (orders calls it when the window of after_sales_days after
// completion ends). The line's frozen commission settles once the shop's
// extra freeze, FreezeDays after closedAt, has passed as well: the
// after-sales window is the one setting that decides when a line can no
// longer be refunded, and FreezeDays only ever adds to it. The first call
// for a line wins; calling again changes nothing.
func (s *Service) OnLineAfterSalesClosed(ctx context.Context, tx *db.Tx, orderID, lineID string, closedAt time.Time) error {
	if !tenancy.ValidUUID(orderID) || lineID == "" {
		return errs.E(errs.Invalid, "an order id and a line id are required")
	}
	st, err := s.settings(ctx, tx)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO commission_line_windows (tenant_id, order_id, line_id, closes_at) VALUES ($1, $2, $3, $4)
ON CONFLICT DO NOTHING`, tid(ctx), orderID, lineID, closedAt.AddDate(0, 0, st.FreezeDays))
	return err
}

type commissionRow struct {
	ID           string          `db:"id"`
	Beneficiary  string          `db:"beneficiary_id"`
	Amount       decimal.Decimal `db:"amount"`
	Refunded     decimal.Decimal `db:"refunded"`
	LinePaid     decimal.Decimal `db:"line_paid"`
	LineRefunded decimal.Decimal `db:"line_refunded"`
	Status       string          `db:"status"`
}

// OnLineRefunded takes back the commission on a line in proportion to a
// refund (DESIGN.md §6): frozen commission is voided (Dr frozen payable,
// Cr commission expense); commission already available is reversed (Dr
// available payable, Cr commission expense), which may take the
// distributor's available balance negative — a receivable netted against
// later commission that blocks withdrawals. Amounts are cumulative per line
// (the line's refunded share of its paid amount, rounded half-even to the
// cent; a line refunded in full takes back everything), so partial refunds
// never drift. Idempotent per refundID.
func (s *Service) OnLineRefunded(ctx context.Context, tx *db.Tx, orderID, lineID string, refundedAmount, linePaidAmount decimal.Decimal, refundID string) error {
	if !tenancy.ValidUUID(orderID) || lineID == "" || refundID == "" {
		return errs.E(errs.Invalid, "an order id, a line id and a refund id are required")
	}
	if !refundedAmount.IsPositive() || !linePaidAmount.IsPositive() {
		return errs.E(errs.Invalid, "refunded and paid amounts must be positive")
	}
	done, err := s.computed(ctx, tx, orderID)
	if err != nil {
		return err
	}
	return s.onLineRefunded(ctx, tx, orderID, lineID, refundedAmount, linePaidAmount, refundID, done)
}

// onLineRefunded is OnLineRefunded under the order's commission lock,
// done saying whether its commission is recorded.
func (s *Service) onLineRefunded(ctx context.Context, tx *db.Tx, orderID, lineID string, refundedAmount, linePaidAmount decimal.Decimal, refundID string, done bool) error {
	if !done {
		// The commission job has not run yet: it applies this refund when it does.
		_, err := tx.ExecContext(ctx, `INSERT INTO commission_pending_refunds (tenant_id, order_id, line_id, refund_id, refunded, line_paid)
VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`, tid(ctx), orderID, lineID, refundID, refundedAmount, linePaidAmount)
		return err
	}
	var rows []commissionRow
	if err := tx.SelectContext(ctx, &rows, `
SELECT id, beneficiary_id, amount, refunded, line_paid, line_refunded, status FROM commissions
WHERE tenant_id = $1 AND order_id = $2 AND line_id = $3 ORDER BY level, beneficiary_id FOR UPDATE`, tid(ctx), orderID, lineID); err != nil {
		return err
	}
	for _, c := range rows {
		var seen bool
		if err := tx.GetContext(ctx, &seen, `SELECT EXISTS (SELECT 1 FROM commission_refunds WHERE tenant_id = $1 AND refund_id = $2 AND commission_id = $3)`,
			tid(ctx), refundID, c.ID); err != nil {
			return err
		}
		if seen || c.Status == "void" {
			continue
		}
		lr := c.LineRefunded.Add(refundedAmount)
		target := c.Amount
		if lr.LessThan(linePaidAmount) {
			target = c.Amount.Mul(lr).Div(linePaidAmount).RoundBank(2)
		} else {
			lr = linePaidAmount
		}
		if target.GreaterThan(c.Amount) {
			target = c.Amount
		}
		delta := target.Sub(c.Refunded)
		if delta.IsNegative() {
			delta = decimal.Zero
		}
		kind, acct := "void", finance.FrozenPayable
		if c.Status == "available" {
			kind, acct = "reverse", finance.AvailablePayable
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO commission_refunds (tenant_id, refund_id, commission_id, amount, kind) VALUES ($1, $2, $3, $4, $5)`,
			tid(ctx), refundID, c.ID, delta, kind); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
UPDATE commissions SET refunded = refunded + $3, line_refunded = $4,
  status = CASE WHEN status = 'frozen' AND refunded + $3 >= amount THEN 'void' ELSE status END
WHERE tenant_id = $1 AND id = $2`, tid(ctx), c.ID, delta, lr); err != nil {
			return err
		}
		if delta.IsPositive() {
			if _, _, err := s.Finance.Post(ctx, tx, finance.Entry{Kind: "commission." + kind, Ref: refundID + ":" + c.ID, OrderID: orderID,
				MemberID: c.Beneficiary, Memo: "refund " + refundID,
				Lines: []finance.Line{{Account: acct, Party: c.Beneficiary, Debit: delta}, {Account: finance.CommissionExpense, Credit: delta}}}); err != nil {
				return err
			}
		}
	}
	return nil
}

// SettleAll settles every tenant's due commission (the periodic job).
func (s *Service) SettleAll(ctx context.Context) (int, error) {
	var tenants []struct {
		ID       tenancy.TenantID `db:"tenant_id"`
		Timezone string           `db:"timezone"`
	}
	if err := s.DB.InPlatform(ctx, func(tx *db.Tx) error {
		return tx.SelectContext(ctx, &tenants, `SELECT tenant_id, timezone FROM distribution_due_tenants($1)`, s.now())
	}); err != nil {
		return 0, fmt.Errorf("settle: %w", err)
	}
	total := 0
	for _, t := range tenants {
		n, err := s.Settle(tenancy.With(ctx, tenancy.Tenant{ID: t.ID, Timezone: t.Timezone}))
		if err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}

// Settle moves the tenant's frozen commission whose line window has closed
// to available (Dr frozen payable, Cr available payable, one entry per
// commission), in batches. A conditional UPDATE claims each row, so several
// replicas may run it at once: each commission settles once.
func (s *Service) Settle(ctx context.Context) (int, error) {
	total := 0
	for {
		n := 0
		err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
			st, err := s.settings(ctx, tx)
			if err != nil {
				return err
			}
			cutoff := s.now()
			if st.SettlementCycle == "weekly" {
				cutoff = weekStart(cutoff, location(ctx))
			}
			var due []commissionRow
			if err := tx.SelectContext(ctx, &due, `
UPDATE commissions c SET status = CASE WHEN c.amount > c.refunded THEN 'available' ELSE 'void' END, settled_at = now()
WHERE c.tenant_id = $1 AND c.status = 'frozen' AND c.id IN (
  SELECT c2.id FROM commissions c2 JOIN commission_line_windows w
    ON w.tenant_id = c2.tenant_id AND w.order_id = c2.order_id AND w.line_id = c2.line_id
  WHERE c2.tenant_id = $1 AND c2.status = 'frozen' AND w.closes_at <= $2
  ORDER BY c2.id LIMIT 500)
RETURNING c.id, c.beneficiary_id, c.amount, c.refunded, c.line_paid, c.line_refunded, c.status`, tid(ctx), cutoff); err != nil {
				return err
			}
			for _, c := range due {
				net := c.Amount.Sub(c.Refunded)
				if !net.IsPositive() {
					continue
				}
				if _, _, err := s.Finance.Post(ctx, tx, finance.Entry{Kind: "commission.settle", Ref: c.ID, MemberID: c.Beneficiary,
					Lines: []finance.Line{{Account: finance.FrozenPayable, Party: c.Beneficiary, Debit: net},
						{Account: finance.AvailablePayable, Party: c.Beneficiary, Credit: net}}}); err != nil {
					return err
				}
			}
			n = len(due)
			return nil
		})
		if err != nil {
			return total, err
		}
		total += n
		if n < 500 {
			return total, nil
		}
	}
}

// DerivedTotals are each distributor's balances from distribution's own
// records (commissions and withdrawals), for finance's reconciliation.
func (s *Service) DerivedTotals(ctx context.Context, tx *db.Tx) (map[string]finance.PartyTotals, error) {
	var rows []struct {
		Member    string          `db:"member_id"`
		Frozen    decimal.Decimal `db:"frozen"`
		Available decimal.Decimal `db:"available"`
	}
	if err := tx.SelectContext(ctx, &rows, `
SELECT member_id::text AS member_id, sum(frozen) AS frozen, sum(available) AS available FROM (
  SELECT beneficiary_id AS member_id,
         coalesce(sum(amount - refunded) FILTER (WHERE status = 'frozen'), 0) AS frozen,
         coalesce(sum(amount - refunded) FILTER (WHERE status = 'available'), 0) AS available
  FROM commissions WHERE tenant_id = $1 GROUP BY beneficiary_id
  UNION ALL
  SELECT member_id, 0, -sum(amount) FROM withdrawals WHERE tenant_id = $1 AND status IN ('requested', 'approved', 'paid') GROUP BY member_id
) x GROUP BY member_id`, tid(ctx)); err != nil {
		return nil, err
	}
	out := map[string]finance.PartyTotals{}
	for _, r := range rows {
		if r.Frozen.IsZero() && r.Available.IsZero() {
			continue
		}
		out[r.Member] = finance.PartyTotals{Frozen: r.Frozen, Available: r.Available}
	}
	return out, nil
}

// weekStart is Monday 00:00 of t's week in loc: weekly settlement settles
// the windows that closed before the shop's week began.
func weekStart(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	wd := (int(t.Weekday()) + 6) % 7 // days since Monday
	y, m, d := t.AddDate(0, 0, -wd).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// location is the shop's time zone (UTC when unknown).
func location(ctx context.Context) *time.Location {
	if t, ok := tenancy.From(ctx); ok && t.Timezone != "" {
		if l, err := time.LoadLocation(t.Timezone); err == nil {
			return l
		}
	}
	return time.UTC
}
