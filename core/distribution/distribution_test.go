package distribution_test

import (
	"bytes"
	"errors"
	"image"
	"image/png"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/distribution"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/finance"
	"github.com/banyanmall/banyan/core/identity"
	"github.com/banyanmall/banyan/core/page"
)

func fieldCode(err error, field string) string {
	var e *errs.Error
	if errors.As(err, &e) {
		for _, f := range e.Fields {
			if f.Field == field {
				return f.Code
			}
		}
	}
	return ""
}

func TestSettingsRefuseDepthBeyondLegalLimit(t *testing.T) {
	t.Parallel()
	e := setup(t)
	for _, depth := range []int{4, 5, 10} {
		st := distribution.DefaultSettings
		st.Depth = depth
		_, err := e.s.UpdateSettings(e.ctx, st)
		if got := fieldCode(err, "depth"); got != "depth_exceeds_legal_limit" {
			t.Fatalf("depth %d: code %q (%v)", depth, got, err)
		}
	}
	st := distribution.DefaultSettings
	st.Depth = 3
	if _, err := e.s.UpdateSettings(e.ctx, st); err != nil {
		t.Fatal(err)
	}
	got, _ := e.s.Settings(e.ctx)
	if got.Depth != 3 {
		t.Fatalf("depth %d", got.Depth)
	}
}

func TestApplicationReview(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.settings(func(s *distribution.Settings) { s.Eligibility = "application" })
	m := e.member()
	admin := staffCtx(e.ctx, uuid.NewString())
	d, err := e.s.Apply(e.ctx, identity.MemberID(m), distribution.ApplyInput{RealName: "张三", Phone: "13800000000", Reason: "I share a lot"})
	if err != nil || d.Status != "pending" {
		t.Fatalf("apply: %+v %v", d, err)
	}
	if _, err := e.s.Apply(e.ctx, identity.MemberID(m), distribution.ApplyInput{RealName: "张三", Phone: "13800000000"}); !errs.Is(err, errs.Conflict) {
		t.Fatalf("second application: %v", err)
	}
	if _, err := e.s.Reject(admin, m, ""); !errs.Is(err, errs.Invalid) {
		t.Fatalf("reject without reason: %v", err)
	}
	if d, err = e.s.Reject(admin, m, "incomplete profile"); err != nil || d.Status != "rejected" {
		t.Fatalf("reject: %+v %v", d, err)
	}
	if _, err := e.s.Approve(admin, m); !errs.Is(err, errs.InvalidState) {
		t.Fatalf("approving a rejected application: want invalid_state, got %v", err)
	}
	if d, err = e.s.Apply(e.ctx, identity.MemberID(m), distribution.ApplyInput{RealName: "张三", Phone: "13800000000"}); err != nil || d.Status != "pending" {
		t.Fatalf("apply again: %+v %v", d, err)
	}
	if d, err = e.s.Approve(admin, m); err != nil || d.Status != "active" || d.Link != "/r/"+d.Code {
		t.Fatalf("approve: %+v %v", d, err)
	}
	if d, err = e.s.SetEnabled(admin, m, false); err != nil || d.Status != "disabled" {
		t.Fatalf("disable: %+v %v", d, err)
	}
	if d, err = e.s.SetEnabled(admin, m, true); err != nil || d.Status != "active" {
		t.Fatalf("enable: %+v %v", d, err)
	}
	e.settings(func(s *distribution.Settings) { s.Eligibility = "anyone" })
	d, err = e.s.Apply(e.ctx, identity.MemberID(e.member()), distribution.ApplyInput{RealName: "李四", Phone: "13900000000"})
	if err != nil || d.Status != "active" {
		t.Fatalf("automatic approval: %+v %v", d, err)
	}
}

func TestBindingRules(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.settings(func(s *distribution.Settings) { s.LockDays = 10; s.RebindPolicy = "permanent" })
	a, codeA := e.distributor()
	b, codeB := e.distributor()
	c, codeC := e.distributor()

	if _, err := e.bind(a, codeA); fieldCode(err, "code") != "self_binding" {
		t.Fatalf("self binding: %v", err)
	}
	e.mustBind(b, codeA) // b → a
	e.mustBind(c, codeB) // c → b → a
	if _, err := e.bind(a, codeC); fieldCode(err, "code") != "binding_loop" {
		t.Fatalf("loop a → c: %v", err)
	}
	if _, err := e.bind(a, codeB); fieldCode(err, "code") != "binding_loop" {
		t.Fatalf("loop a → b: %v", err)
	}
	// Lock period, then permanent.
	x := e.member()
	e.mustBind(x, codeA)
	if _, err := e.bind(x, codeB); !errs.Is(err, errs.Conflict) {
		t.Fatalf("rebind within lock: %v", err)
	}
	e.clock.add(11 * 24 * time.Hour)
	if _, err := e.bind(x, codeB); !errs.Is(err, errs.Conflict) {
		t.Fatalf("rebind permanent: %v", err)
	}
	// for_days: after N days (and the lock) another link may rebind.
	e.settings(func(s *distribution.Settings) { s.LockDays = 0; s.RebindPolicy = "for_days"; s.RebindDays = 30 })
	y := e.member()
	e.mustBind(y, codeA)
	e.clock.add(29 * 24 * time.Hour)
	if _, err := e.bind(y, codeB); !errs.Is(err, errs.Conflict) {
		t.Fatalf("rebind before N days: %v", err)
	}
	e.clock.add(2 * 24 * time.Hour)
	if got, err := e.bind(y, codeB); err != nil || got.ReferrerID != b {
		t.Fatalf("rebind after N days: %+v %v", got, err)
	}
	// latest_link_wins, but never within the lock period.
	e.settings(func(s *distribution.Settings) { s.LockDays = 1; s.RebindPolicy = "latest_link_wins" })
	z := e.member()
	e.mustBind(z, codeA)
	if _, err := e.bind(z, codeB); !errs.Is(err, errs.Conflict) {
		t.Fatalf("latest link within lock: %v", err)
	}
	e.clock.add(25 * time.Hour)
	if got, err := e.bind(z, codeC); err != nil || got.ReferrerID != c {
		t.Fatalf("latest link wins: %+v %v", got, err)
	}
	var history int
	if err := e.d.Owner.Get(&history, `SELECT count(*) FROM distribution_bindings WHERE member_id = $1`, z); err != nil || history != 2 {
		t.Fatalf("history rows %d %v", history, err)
	}
	err := e.tx(func(tx *db.Tx) error { _, err := tx.Exec(`DELETE FROM distribution_bindings`); return err })
	if err == nil {
		t.Fatal("binding history deletable by the app")
	}
	team, err := e.s.Team(e.ctx, a)
	if err != nil || team.Levels[0].Count != 2 || team.Levels[1].Count != 2 {
		t.Fatalf("team of a: %+v %v", team, err)
	}
}

func TestCommissionLifecycle(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.settings(func(s *distribution.Settings) { s.Depth = 2 })
	top, codeTop := e.distributor()
	a, codeA := e.distributor()
	e.mustBind(a, codeTop)
	buyer := e.member()
	e.mustBind(buyer, codeA)

	o := e.pay(buyer, "100.00", "50.00")
	// Default config: 10% level 1, 5% level 2, per line.
	if got := e.balance(finance.FrozenPayable, a); !got.Equal(dec("15")) {
		t.Fatalf("a frozen %s, want 15", got)
	}
	if got := e.balance(finance.FrozenPayable, top); !got.Equal(dec("7.5")) {
		t.Fatalf("top frozen %s, want 7.50", got)
	}
	// The job runs again: nothing changes.
	if err := e.compute(o.OrderID); err != nil {
		t.Fatal(err)
	}
	if got := e.balance(finance.CommissionExpense, ""); !got.Equal(dec("22.5")) {
		t.Fatalf("expense after replay %s", got)
	}
	e.check()

	// Refund 40 of line 1 before settlement: 40% of its commission is voided.
	e.refund(o, 0, "40.00", "r1")
	e.refund(o, 0, "40.00", "r1") // replay
	if got := e.balance(finance.FrozenPayable, a); !got.Equal(dec("11")) {
		t.Fatalf("a frozen after refund %s, want 11", got)
	}
	e.check()

	// The window closes; settlement makes it available.
	e.close(o, e.clock.now().Add(7*24*time.Hour))
	if n, _ := e.s.Settle(e.ctx); n != 0 {
		t.Fatalf("settled %d before the window closed", n)
	}
	e.clock.add(8 * 24 * time.Hour)
	if n, err := e.s.Settle(e.ctx); err != nil || n != 4 {
		t.Fatalf("settle: %d %v", n, err)
	}
	if got := e.balance(finance.AvailablePayable, a); !got.Equal(dec("11")) {
		t.Fatalf("a available %s", got)
	}
	e.check()

	// a withdraws 10; then line 2 is refunded in full after settlement:
	// reversal of 5 takes a's available to 1 − 5 = −4: withdrawals blocked.
	w, err := e.s.RequestWithdrawal(e.ctx, identity.MemberID(a), distribution.WithdrawalInput{Amount: dec("10"), Channel: "alipay", Account: "a@example.com", Name: "A"})
	if err != nil {
		t.Fatal(err)
	}
	e.refund(o, 1, "50.00", "r2")
	if got := e.balance(finance.AvailablePayable, a); !got.Equal(dec("-4")) {
		t.Fatalf("a available after reversal %s, want -4", got)
	}
	e.check()
	if _, err := e.s.RequestWithdrawal(e.ctx, identity.MemberID(a), distribution.WithdrawalInput{Amount: dec("1"), Channel: "alipay", Account: "x", Name: "A"}); !errs.Is(err, errs.InvalidState) {
		t.Fatalf("withdrawal with a negative balance: %v", err)
	}
	// The pending withdrawal is rejected: its 10 return, balance 6.
	if _, err := e.s.RejectWithdrawal(staffCtx(e.ctx, uuid.NewString()), w.ID, "wrong account"); err != nil {
		t.Fatal(err)
	}
	if got := e.balance(finance.AvailablePayable, a); !got.Equal(dec("6")) {
		t.Fatalf("a available after rejection %s, want 6", got)
	}
	e.check()
}

func TestSettlementConcurrentRuns(t *testing.T) {
	t.Parallel()
	e := setup(t)
	a, codeA := e.distributor()
	var orders []distribution.PaidOrder
	for range 20 {
		b := e.member()
		e.mustBind(b, codeA)
		orders = append(orders, e.pay(b, "10.00", "20.00"))
	}
	for _, o := range orders {
		e.close(o, e.clock.now())
	}
	var wg sync.WaitGroup
	counts := make([]int, 4)
	for i := range counts {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			n, err := e.s.Settle(e.ctx)
			if err != nil {
				t.Error(err)
			}
			counts[i] = n
		}(i)
	}
	wg.Wait()
	if sum := counts[0] + counts[1] + counts[2] + counts[3]; sum != 40 {
		t.Fatalf("settled %v (sum %d), want 40 once", counts, sum)
	}
	if got := e.balance(finance.AvailablePayable, a); !got.Equal(dec("60")) {
		t.Fatalf("available %s, want 60", got)
	}
	e.check()
}

func TestConcurrentWithdrawalsNeverOverdraw(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.settings(func(s *distribution.Settings) { s.WithdrawalDailyLimit = decimal.Zero })
	a, codeA := e.distributor()
	b := e.member()
	e.mustBind(b, codeA)
	o := e.pay(b, "1000.00") // 100 commission
	e.close(o, e.clock.now())
	if _, err := e.s.Settle(e.ctx); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.s.RequestWithdrawal(e.ctx, identity.MemberID(a), distribution.WithdrawalInput{Amount: dec("30"), Channel: "bank", Account: "6222", Name: "A"})
			if err == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			} else if fieldCode(err, "amount") != "exceeds_available" {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if ok != 3 {
		t.Fatalf("%d withdrawals of 30 out of 100 succeeded", ok)
	}
	if got := e.balance(finance.AvailablePayable, a); !got.Equal(dec("10")) {
		t.Fatalf("available %s", got)
	}
	e.check()
}

func TestWithdrawalReviewAndPayout(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.settings(func(s *distribution.Settings) {
		s.SecondApproverAbove = dec("50")
		s.WithdrawalMin = dec("5")
		s.WithdrawalFeeFixed = dec("1")
		s.WithdrawalFeePercent = dec("0.6")
	})
	a, codeA := e.distributor()
	b := e.member()
	e.mustBind(b, codeA)
	o := e.pay(b, "1000.00")
	e.close(o, e.clock.now())
	if _, err := e.s.Settle(e.ctx); err != nil {
		t.Fatal(err)
	}
	w, err := e.s.RequestWithdrawal(e.ctx, identity.MemberID(a), distribution.WithdrawalInput{Amount: dec("80"), Channel: "bank", Account: "6222", Name: "A"})
	if err != nil || !w.Fee.Equal(dec("1.48")) || !w.NeedsSecond {
		t.Fatalf("request: %+v %v", w, err)
	}
	s1, s2 := staffCtx(e.ctx, uuid.NewString()), staffCtx(e.ctx, uuid.NewString())
	if w, err = e.s.ApproveWithdrawal(s1, w.ID); err != nil || w.Status != "requested" {
		t.Fatalf("first approval: %+v %v", w, err)
	}
	if _, err = e.s.ApproveWithdrawal(s1, w.ID); !errs.Is(err, errs.InvalidState) {
		t.Fatalf("same approver twice: %v", err)
	}
	if w, err = e.s.ApproveWithdrawal(s2, w.ID); err != nil || w.Status != "approved" {
		t.Fatalf("second approval: %+v %v", w, err)
	}
	if w, err = e.s.MarkPaid(s2, w.ID, distribution.MarkPaidInput{Reference: "BANK-123"}); err != nil || w.Status != "paid" {
		t.Fatalf("mark paid: %+v %v", w, err)
	}
	if got := e.balance(finance.FeeIncome, ""); !got.Equal(dec("1.48")) {
		t.Fatalf("fee income %s", got)
	}
	// A failed payout returns the money.
	w2, err := e.s.RequestWithdrawal(e.ctx, identity.MemberID(a), distribution.WithdrawalInput{Amount: dec("10"), Channel: "bank", Account: "6222", Name: "A"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.ApproveWithdrawal(s1, w2.ID); err != nil {
		t.Fatal(err)
	}
	if w2, err = e.s.OnPayoutResult(e.ctx, w2.ID, false, "", "account closed"); err != nil || w2.Status != "failed" {
		t.Fatalf("failed payout: %+v %v", w2, err)
	}
	if got := e.balance(finance.AvailablePayable, a); !got.Equal(dec("20")) {
		t.Fatalf("available %s, want 100 − 80 = 20", got)
	}
	e.check()
}

func TestGradesUpgradeAutomatically(t *testing.T) {
	t.Parallel()
	e := setup(t)
	g0, err := e.s.SaveGrade(e.ctx, "", distribution.GradeInput{Name: "初级", Rank: 0, Rates: []decimal.Decimal{dec("0.1")}})
	if err != nil {
		t.Fatal(err)
	}
	g1, err := e.s.SaveGrade(e.ctx, "", distribution.GradeInput{Name: "中级", Rank: 1, Rates: []decimal.Decimal{dec("0.2"), dec("0.05")}, MinTeamSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.SaveGrade(e.ctx, "", distribution.GradeInput{Name: "高级", Rank: 2, Rates: []decimal.Decimal{dec("0.3"), dec("0.3"), dec("0.3"), dec("0.1")}}); fieldCode(err, "rates") != "depth_exceeds_legal_limit" {
		t.Fatalf("four levels of rates: %v", err)
	}
	a, code := e.distributor()
	d, _ := e.s.Distributor(e.ctx, a)
	if d.GradeID == nil || *d.GradeID != g0.ID {
		t.Fatalf("entry grade: %+v", d.GradeID)
	}
	b := e.member()
	e.mustBind(b, code)
	o := e.pay(b, "100.00") // 初级: 10%
	if got := e.balance(finance.FrozenPayable, a); !got.Equal(dec("10")) {
		t.Fatalf("frozen %s", got)
	}
	e.mustBind(e.member(), code) // team of 2: 中级
	d, _ = e.s.Distributor(e.ctx, a)
	if d.GradeID == nil || *d.GradeID != g1.ID {
		t.Fatalf("after team of 2: %+v", d.GradeID)
	}
	e.pay(b, "100.00") // 中级: 20%
	if got := e.balance(finance.FrozenPayable, a); !got.Equal(dec("30")) {
		t.Fatalf("frozen %s, want 10 + 20", got)
	}
	var snap string
	if err := e.d.Owner.Get(&snap, `SELECT grade_name || ' ' || rate::text FROM commissions WHERE order_id = $1`, o.OrderID); err != nil || snap != "初级 0.100000" {
		t.Fatalf("snapshot %q %v", snap, err)
	}
	// Everything else the commission snapshots, column by column.
	var c struct {
		OrderNo, LineID, Buyer, Beneficiary, Status, Plugin, Version, Config, GradeID, GradeName, Note string
		Level, Depth                                                                                   int
		Base, Rate, Amount, LinePaid                                                                   decimal.Decimal
	}
	if err := e.d.Owner.QueryRow(`SELECT order_no, line_id, buyer_id, beneficiary_id, status, plugin, plugin_version, config::text, grade_id, grade_name, note,
  level, depth, base, rate, amount, line_paid FROM commissions WHERE order_id = $1`, o.OrderID).Scan(&c.OrderNo, &c.LineID, &c.Buyer, &c.Beneficiary,
		&c.Status, &c.Plugin, &c.Version, &c.Config, &c.GradeID, &c.GradeName, &c.Note, &c.Level, &c.Depth, &c.Base, &c.Rate, &c.Amount, &c.LinePaid); err != nil {
		t.Fatal(err)
	}
	m, _ := pluginHost(t).Manifest("commission-tiered")
	want := c
	want.OrderNo, want.LineID, want.Buyer, want.Beneficiary, want.Status = o.OrderNo, "L1", b, a, "frozen"
	want.Plugin, want.Version, want.Config, want.GradeID, want.GradeName = "commission-tiered", m.Version, `{"rates": ["0.10", "0.05"]}`, g0.ID, "初级"
	want.Note, want.Level, want.Depth = "level 1, grade 初级 rate", 1, distribution.DefaultSettings.Depth
	if c != want || m.Version == "" || !c.Base.Equal(dec("100")) || !c.Rate.Equal(dec("0.1")) || !c.Amount.Equal(dec("10")) || !c.LinePaid.Equal(dec("100")) {
		t.Fatalf("commission snapshot %+v", c)
	}
	e.check()
}

func TestSimulationWritesNothing(t *testing.T) {
	t.Parallel()
	e := setup(t)
	a, code := e.distributor()
	b := e.member()
	e.mustBind(b, code)
	from := e.clock.now()
	e.pay(b, "100.00", "200.00") // default 10%: 30
	var before int
	_ = e.d.Owner.Get(&before, `SELECT count(*) FROM journal_entries`)
	sim, err := e.s.Simulate(e.ctx, distribution.SimulationInput{Plugin: "commission-tiered", Config: []byte(`{"rates":["0.2"]}`),
		From: from.Add(-time.Hour), To: from.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if sim.Orders != 1 || len(sim.Distributors) != 1 || sim.Distributors[0].MemberID != a ||
		!sim.Distributors[0].WouldEarn.Equal(dec("60")) || !sim.Distributors[0].Paid.Equal(dec("30")) || !sim.Difference.Equal(dec("30")) {
		t.Fatalf("simulation %+v", sim)
	}
	var after int
	_ = e.d.Owner.Get(&after, `SELECT count(*) FROM journal_entries`)
	if after != before {
		t.Fatalf("simulation wrote %d entries", after-before)
	}
	if _, err := e.s.Simulate(e.ctx, distribution.SimulationInput{Plugin: "commission-tiered", Config: []byte(`{"rates":["2"]}`),
		From: from.Add(-time.Hour), To: from.Add(time.Hour)}); !errs.Is(err, errs.Invalid) {
		t.Fatalf("bad config: %v", err)
	}
}

func TestShareImages(t *testing.T) {
	t.Parallel()
	e := setup(t)
	a, _ := e.distributor()
	b, err := e.s.QRCode(e.ctx, identity.MemberID(a), "https://shop.example", 256)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil || img.Bounds().Dx() != 256 {
		t.Fatalf("qr png: %v %v", img.Bounds(), err)
	}
	b, err = e.s.Poster(e.ctx, identity.MemberID(a), "https://shop.example", distribution.PosterProduct{Title: "Tea 龙井", Price: "CNY 88.00"}, "#aa3300")
	if err != nil {
		t.Fatal(err)
	}
	if img, err = png.Decode(bytes.NewReader(b)); err != nil || img.Bounds().Dx() != 600 || img.Bounds().Dy() != 900 {
		t.Fatalf("poster png: %v %v", img.Bounds(), err)
	}
	if _, err := e.s.QRCode(e.ctx, identity.MemberID(e.member()), "https://shop.example", 256); !errs.Is(err, errs.NotFound) {
		t.Fatalf("qr for a non-distributor: %v", err)
	}

	// Chinese titles render as CJK glyphs, not as the bitmap face's '?'.
	if distribution.PosterFontFile() == "" {
		t.Fatalf("no CJK font for share posters: install the Debian package %s (apt-get install -y %[1]s; make test does it when root) or set BANYAN_FONT_FILE", distribution.FontPackage)
	}
	titleBand := image.Rect(20, 580, 580, 606)
	poster := func(title string) image.Image {
		t.Helper()
		b, err := e.s.Poster(e.ctx, identity.MemberID(a), "https://shop.example", distribution.PosterProduct{Title: title, Price: "CNY 88.00"}, "#aa3300")
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		return img
	}
	// ink is the bounding box of the non-white pixels of the title band.
	ink := func(img image.Image) image.Rectangle {
		var box image.Rectangle
		for y := titleBand.Min.Y; y < titleBand.Max.Y; y++ {
			for x := titleBand.Min.X; x < titleBand.Max.X; x++ {
				if r, g, b, _ := img.At(x, y).RGBA(); r != 0xffff || g != 0xffff || b != 0xffff {
					box = box.Union(image.Rect(x, y, x+1, y+1))
				}
			}
		}
		return box
	}
	cjk, marks := poster("龙井绿茶"), poster("????")
	if ink(cjk).Empty() {
		t.Fatal("Chinese title drew nothing")
	}
	same := true
	for y := titleBand.Min.Y; y < titleBand.Max.Y && same; y++ {
		for x := titleBand.Min.X; x < titleBand.Max.X; x++ {
			if cjk.At(x, y) != marks.At(x, y) {
				same = false
				break
			}
		}
	}
	if same {
		t.Fatalf("Chinese title rendered exactly like \"????\" (font %s)", distribution.PosterFontFile())
	}
	if c, q := ink(cjk), ink(marks); c.Dx() <= q.Dx() {
		t.Fatalf("Chinese title ink %v is no wider than \"????\" ink %v: CJK glyphs are full-width", c, q)
	}
	// A long Chinese title is cut on a rune boundary to fit the poster.
	long := poster(strings.Repeat("龙井", 40))
	if box := ink(long); box.Max.X > 580 || box.Dx() < 400 {
		t.Fatalf("long Chinese title ink %v: want it to fill, not overflow, the 560-pixel band", box)
	}
}

func TestListsPageByCursor(t *testing.T) {
	t.Parallel()
	e := setup(t)
	seen := map[string]bool{}
	for range 3 {
		e.distributor()
		e.clock.add(time.Second)
	}
	cursor := ""
	for i := 0; ; i++ {
		items, next, err := e.s.List(e.ctx, "active", page.Request{Cursor: cursor, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range items {
			if seen[d.MemberID] {
				t.Fatalf("%s listed twice", d.MemberID)
			}
			seen[d.MemberID] = true
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if len(seen) != 3 {
		t.Fatalf("listed %d of 3", len(seen))
	}
}

func TestRefundBeforeCommissionJob(t *testing.T) {
	t.Parallel()
	e := setup(t)
	a, code := e.distributor()
	b := e.member()
	e.mustBind(b, code)
	o := distribution.PaidOrder{OrderID: uuid.NewString(), OrderNo: "EARLY", BuyerID: b, PaidAt: e.clock.now(),
		Lines: []distribution.OrderLine{{LineID: "L1", Quantity: 1, UnitPrice: dec("100"), PaidAmount: dec("100"), Distribution: "default"}}}
	e.orders.mu.Lock()
	e.orders.m[o.OrderID] = o
	e.orders.mu.Unlock()
	e.refund(o, 0, "30.00", "early-r1") // before the job: held as pending
	e.refund(o, 0, "30.00", "early-r1") // replay
	if err := e.compute(o.OrderID); err != nil {
		t.Fatal(err)
	}
	if got := e.balance(finance.FrozenPayable, a); !got.Equal(dec("7")) {
		t.Fatalf("frozen %s, want 10 − 3", got)
	}
	if err := e.compute(o.OrderID); err != nil {
		t.Fatal(err)
	}
	if got := e.balance(finance.FrozenPayable, a); !got.Equal(dec("7")) {
		t.Fatalf("frozen after replay %s", got)
	}
	e.check()
}

// The after-sales window decides when a line can no longer be refunded;
// freeze_days only adds to it, counted from the window's close.
func TestFreezeDaysCountFromTheAfterSalesClose(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.settings(func(s *distribution.Settings) { s.FreezeDays = 3 })
	a, codeA := e.distributor()
	b := e.member()
	e.mustBind(b, codeA)
	o := e.pay(b, "100.00")
	e.close(o, e.clock.now())
	for _, step := range []struct {
		advance time.Duration
		settled int
	}{{0, 0}, {71 * time.Hour, 0}, {2 * time.Hour, 1}} {
		e.clock.add(step.advance)
		n, err := e.s.Settle(e.ctx)
		if err != nil || n != step.settled {
			t.Fatalf("after +%s: settled %d (%v), want %d", step.advance, n, err, step.settled)
		}
	}
	if got := e.balance(finance.AvailablePayable, a); !got.Equal(dec("10")) {
		t.Fatalf("available %s, want 10 (10%% of 100)", got)
	}
	e.check()
}

// Weekly settlement cuts at Monday 00:00 in the shop's time zone
// (Asia/Shanghai, the default), not in UTC: a window that closed on Sunday
// at 23:00 in Shanghai settles once Monday begins there, while in UTC it
// is still Sunday.
func TestWeeklySettlementUsesTheShopsWeek(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.settings(func(s *distribution.Settings) { s.SettlementCycle = "weekly" })
	a, codeA := e.distributor()
	b := e.member()
	e.mustBind(b, codeA)
	o := e.pay(b, "100.00")
	e.close(o, time.Date(2026, 11, 29, 15, 0, 0, 0, time.UTC))   // Sun 23:00 in Shanghai
	e.clock.set(time.Date(2026, 11, 29, 15, 30, 0, 0, time.UTC)) // Sun 23:30 in Shanghai
	if n, err := e.s.SettleAll(e.ctx); err != nil || n != 0 {
		t.Fatalf("before Monday in Shanghai: settled %d (%v)", n, err)
	}
	e.clock.set(time.Date(2026, 11, 29, 17, 0, 0, 0, time.UTC)) // Mon 01:00 in Shanghai, Sun in UTC
	if n, err := e.s.SettleAll(e.ctx); err != nil || n != 1 {
		t.Fatalf("on Monday in Shanghai: settled %d (%v), want 1", n, err)
	}
	if got := e.balance(finance.AvailablePayable, a); !got.Equal(dec("10")) {
		t.Fatalf("available %s, want 10", got)
	}
	e.check()
}

// TestRefundRacingCommissionJob: a refund and the commission job of one
// order, each held open at the worst moment, still end with the refund
// applied exactly once. The order's commission lock is what makes it so:
// without it, a refund that checks for the commission while the job's
// claim is uncommitted is held as pending after the job has read the
// pending refunds (or the job misses a pending refund not yet committed),
// and the commission is never reduced.
func TestRefundRacingCommissionJob(t *testing.T) {
	t.Parallel()
	e := setup(t)
	a, code := e.distributor()
	b := e.member()
	e.mustBind(b, code)
	order := func(no string) distribution.PaidOrder {
		o := distribution.PaidOrder{OrderID: uuid.NewString(), OrderNo: no, BuyerID: b, PaidAt: e.clock.now(),
			Lines: []distribution.OrderLine{{LineID: "L1", Quantity: 1, UnitPrice: dec("100"), PaidAmount: dec("100"), Distribution: "default"}}}
		e.orders.mu.Lock()
		e.orders.m[o.OrderID] = o
		e.orders.mu.Unlock()
		return o
	}
	refund := func(tx *db.Tx, o distribution.PaidOrder) error {
		return e.s.OnLineRefunded(e.ctx, tx, o.OrderID, "L1", dec("30"), dec("100"), "r-"+o.OrderNo)
	}
	compute := func(tx *db.Tx, o distribution.PaidOrder) error {
		_, err := e.s.ComputeCommission(e.ctx, tx, o.OrderID)
		return err
	}
	// first runs in a transaction held open until second has either
	// finished or is waiting for a lock; then first commits.
	race := func(o distribution.PaidOrder, first, second func(*db.Tx, distribution.PaidOrder) error) {
		t.Helper()
		ran, release, firstDone, secondDone := make(chan struct{}), make(chan struct{}), make(chan error, 1), make(chan error, 1)
		go func() {
			firstDone <- e.tx(func(tx *db.Tx) error {
				err := first(tx, o)
				close(ran)
				<-release
				return err
			})
		}()
		<-ran
		go func() { secondDone <- e.tx(func(tx *db.Tx) error { return second(tx, o) }) }()
		var secondErr error
		finished := false
	wait:
		for deadline := time.Now().Add(time.Minute); ; time.Sleep(5 * time.Millisecond) {
			select {
			case secondErr = <-secondDone:
				finished = true
				break wait
			default:
			}
			var waiting int
			if err := e.d.Owner.Get(&waiting, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`); err != nil {
				t.Fatal(err)
			}
			if waiting > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the second transaction neither finished nor waited")
			}
		}
		close(release)
		if err := <-firstDone; err != nil {
			t.Fatal(err)
		}
		if !finished {
			secondErr = <-secondDone
		}
		if secondErr != nil {
			t.Fatal(secondErr)
		}
	}

	// The refund is recorded (not yet committed) before the job runs.
	race(order("RACE-1"), refund, compute)
	if got := e.balance(finance.FrozenPayable, a); !got.Equal(dec("7")) {
		t.Fatalf("refund first: frozen %s, want 10 − 3", got)
	}
	// The job has recorded the commission (not yet committed) when the refund comes.
	race(order("RACE-2"), compute, refund)
	if got := e.balance(finance.FrozenPayable, a); !got.Equal(dec("14")) {
		t.Fatalf("job first: frozen %s, want 7 + 10 − 3", got)
	}
	e.check()
}
