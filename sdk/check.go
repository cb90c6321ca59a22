package sdk

import (
	"errors"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
)

// ErrContract is wrapped by every error of the Check functions: the plugin
// answered something the protocol does not allow.
var ErrContract = errors.New("plugin broke the protocol")

// problems collects contract violations into one error.
type problems []string

func (p *problems) addf(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrContract, strings.Join(p, "; "))
}

// IsMoney reports whether d has no more than minorUnits decimal places.
func IsMoney(d decimal.Decimal, minorUnits int32) bool {
	return d.Equal(d.Truncate(minorUnits))
}

// checkMoney adds a problem unless d is well-formed money, and non-negative when asked.
func (p *problems) checkMoney(what string, d decimal.Decimal, minorUnits int32, nonNegative bool) {
	if !IsMoney(d, minorUnits) {
		p.addf("%s %s has more than %d decimal places", what, d, minorUnits)
	}
	if nonNegative && d.IsNegative() {
		p.addf("%s %s is negative", what, d)
	}
}

// CheckCommission reports how res breaks the contract for req, or nil: every
// beneficiary names a line that is distributable and a member of the upline at
// their level within the depth, each (line, member, level) once, amounts are
// non-negative money, and a line's commission never exceeds what was paid for
// it. The host runs it on every answer. Since protocol 1.
func CheckCommission(req CommissionRequest, res CommissionResult) error {
	var p problems
	minor := req.Context.MinorUnits
	lines := make(map[string]CommissionLine, len(req.Lines))
	for _, l := range req.Lines {
		lines[l.LineID] = l
	}
	upline := make(map[int]string, len(req.Upline))
	for _, u := range req.Upline {
		upline[u.Level] = u.MemberID
	}
	type key struct {
		line, member string
		level        int
	}
	seen := map[key]bool{}
	paid := map[string]decimal.Decimal{}
	for i, b := range res.Beneficiaries {
		what := fmt.Sprintf("beneficiary %d", i)
		l, ok := lines[b.LineID]
		switch {
		case !ok:
			p.addf("%s: unknown line %q", what, b.LineID)
		case l.Distribution == DistributeNone:
			p.addf("%s: line %q is not distributable", what, b.LineID)
		}
		if b.Level < 1 || b.Level > req.Depth || b.Level > 3 {
			p.addf("%s: level %d outside 1..%d", what, b.Level, req.Depth)
		} else if upline[b.Level] != b.MemberID {
			p.addf("%s: member %q is not the upline at level %d", what, b.MemberID, b.Level)
		}
		if b.MemberID == req.BuyerID && !(req.SelfPurchase && req.BuyerIsDistributor) {
			p.addf("%s: pays the buyer without self-purchase", what)
		}
		k := key{b.LineID, b.MemberID, b.Level}
		if seen[k] {
			p.addf("%s: line %q, member %q, level %d paid twice", what, b.LineID, b.MemberID, b.Level)
		}
		seen[k] = true
		p.checkMoney(what+" amount", b.Amount, minor, true)
		if b.Base.IsNegative() || b.Rate.IsNegative() {
			p.addf("%s: negative base or rate", what)
		}
		paid[b.LineID] = paid[b.LineID].Add(b.Amount)
	}
	for id, sum := range paid {
		if l, ok := lines[id]; ok && sum.GreaterThan(l.PaidAmount) {
			p.addf("line %q: commission %s exceeds paid amount %s", id, sum, l.PaidAmount)
		}
	}
	return p.err()
}

// CheckPromotion reports how res breaks the contract for req, or nil: every
// adjustment and gift names a campaign of the request, adjustments name known
// lines (each once), are positive money and never more than the lines they
// name, and all of them together never more than the cart. Since protocol 1.
func CheckPromotion(req PromotionRequest, res PromotionResult) error {
	var p problems
	minor := req.Context.MinorUnits
	lines := make(map[string]decimal.Decimal, len(req.Lines))
	cart := decimal.Zero
	for _, l := range req.Lines {
		lines[l.LineID] = l.Amount
		cart = cart.Add(l.Amount)
	}
	campaigns := make(map[string]bool, len(req.Campaigns))
	for _, c := range req.Campaigns {
		campaigns[c.CampaignID] = true
	}
	total := decimal.Zero
	for i, a := range res.Adjustments {
		what := fmt.Sprintf("adjustment %d", i)
		if !campaigns[a.CampaignID] {
			p.addf("%s: unknown campaign %q", what, a.CampaignID)
		}
		if len(a.LineIDs) == 0 {
			p.addf("%s: names no line", what)
		}
		covered := decimal.Zero
		seen := map[string]bool{}
		for _, id := range a.LineIDs {
			amount, ok := lines[id]
			switch {
			case !ok:
				p.addf("%s: unknown line %q", what, id)
			case seen[id]:
				p.addf("%s: line %q named twice", what, id)
			default:
				covered = covered.Add(amount)
			}
			seen[id] = true
		}
		p.checkMoney(what+" amount", a.Amount, minor, false)
		if !a.Amount.IsPositive() {
			p.addf("%s: amount %s is not a positive discount", what, a.Amount)
		}
		if a.Amount.GreaterThan(covered) {
			p.addf("%s: amount %s exceeds its lines' %s", what, a.Amount, covered)
		}
		total = total.Add(a.Amount)
	}
	if total.GreaterThan(cart) {
		p.addf("adjustments total %s exceeds the cart's %s", total, cart)
	}
	for i, g := range res.Gifts {
		if !campaigns[g.CampaignID] {
			p.addf("gift %d: unknown campaign %q", i, g.CampaignID)
		}
		if g.SKUID == "" || g.Quantity <= 0 {
			p.addf("gift %d: needs a sku and a positive quantity", i)
		}
	}
	return p.err()
}

func validStatus(s Status) bool {
	return s == StatusPending || s == StatusSucceeded || s == StatusFailed
}

// CheckPaymentIntent reports how an intent breaks the contract. Since protocol 1.
func CheckPaymentIntent(in PaymentIntent) error {
	var p problems
	if in.ProviderRef == "" {
		p.addf("intent has no provider_ref")
	}
	if !validStatus(in.Status) {
		p.addf("intent status %q unknown", in.Status)
	}
	return p.err()
}

// CheckWebhookEvent reports how a verified event breaks the contract. Since protocol 1.
func CheckWebhookEvent(ev WebhookEvent, minorUnits int32) error {
	var p problems
	if ev.EventID == "" {
		p.addf("event has no event_id")
	}
	switch ev.Type {
	case EventPaymentSucceeded, EventPaymentFailed:
		if ev.PaymentID == "" {
			p.addf("payment event has no payment_id")
		}
	case EventRefundSucceeded, EventRefundFailed:
		if ev.RefundID == "" {
			p.addf("refund event has no refund_id")
		}
	case EventPayoutSucceeded, EventPayoutFailed:
		if ev.PayoutID == "" {
			p.addf("payout event has no payout_id")
		}
	default:
		p.addf("event type %q unknown", ev.Type)
	}
	p.checkMoney("event amount", ev.Amount, minorUnits, true)
	return p.err()
}

// CheckOutcome reports how a refund's or payout's status breaks the contract. Since protocol 1.
func CheckOutcome(status Status) error {
	if !validStatus(status) {
		return fmt.Errorf("%w: status %q unknown", ErrContract, status)
	}
	return nil
}
