package distribution

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/errs"
)

// SimulationInput replays past paid orders through a commission plugin.
type SimulationInput struct {
	Plugin string          `json:"plugin"`
	Config json.RawMessage `json:"config"`
	From   time.Time       `json:"from"`
	To     time.Time       `json:"to"`
}

// SimulatedDistributor compares what a distributor would have earned with
// what was recorded (net of refunds) for the same orders.
type SimulatedDistributor struct {
	MemberID    string          `json:"member_id"`
	WouldEarn   decimal.Decimal `json:"would_earn"`
	Paid        decimal.Decimal `json:"paid"`
	Difference  decimal.Decimal `json:"difference"`
	Commissions int             `json:"commissions"`
}

// Simulation is the simulator's answer; nothing is written.
type Simulation struct {
	Plugin       string                 `json:"plugin"`
	Orders       int                    `json:"orders"`
	Distributors []SimulatedDistributor `json:"distributors"`
	WouldEarn    decimal.Decimal        `json:"would_earn"`
	Paid         decimal.Decimal        `json:"paid"`
	Difference   decimal.Decimal        `json:"difference"`
	// Note states what the replay assumes.
	Note string `json:"note"`
}

func (s *Simulation) total() {
	for _, d := range s.Distributors {
		s.WouldEarn, s.Paid = s.WouldEarn.Add(d.WouldEarn), s.Paid.Add(d.Paid)
	}
	s.Difference = s.WouldEarn.Sub(s.Paid)
}

// Simulate runs a commission plugin with a config (the shop's own when
// none is sent) over the orders paid in [From, To) and reports, per
// distributor, what they would have earned against what was recorded. It
// writes nothing. The upline is today's binding chain and grades, and
// amounts are computed on the paid amounts as orders report them.
func (s *Service) Simulate(ctx context.Context, in SimulationInput) (Simulation, error) {
	v := errs.Validator{}
	v.Check(in.Plugin != "" && len(in.Plugin) <= 64, "plugin", "required", "a commission plugin's name")
	v.Check(!in.From.IsZero() && !in.To.IsZero() && in.From.Before(in.To), "to", "invalid", "from and to are required, from before to")
	v.Check(in.To.Sub(in.From) <= 366*24*time.Hour, "to", "too_long", "at most a year at a time")
	if err := v.Err(); err != nil {
		return Simulation{}, err
	}
	if s.Orders == nil {
		return Simulation{}, errs.E(errs.InvalidState, "orders are not available to replay")
	}
	config := in.Config
	if len(config) == 0 || string(config) == "null" {
		config = nil
	}
	if s.Plugins != nil && config != nil {
		fields, err := s.Plugins.ValidateConfig(ctx, in.Plugin, config)
		if err != nil {
			return Simulation{}, err
		}
		if len(fields) > 0 {
			ev := errs.Validator{}
			for _, f := range fields {
				ev.Add("config"+f.Path, "invalid", f.Message)
			}
			return Simulation{}, ev.Err()
		}
	}
	sim := Simulation{Plugin: in.Plugin, Distributors: []SimulatedDistributor{},
		Note: "replayed with today's bindings and grades on the orders' paid amounts; paid = recorded commission net of refunds"}
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		st, err := s.settings(ctx, tx)
		if err != nil {
			return err
		}
		if config == nil {
			if config, err = s.pluginConfig(ctx, tx, in.Plugin); err != nil {
				return err
			}
		}
		orders, err := s.Orders.PaidOrdersBetween(ctx, tx, in.From, in.To)
		if err != nil {
			return err
		}
		sim.Orders = len(orders)
		by := map[string]*SimulatedDistributor{}
		get := func(id string) *SimulatedDistributor {
			if by[id] == nil {
				by[id] = &SimulatedDistributor{MemberID: id}
			}
			return by[id]
		}
		ids := make([]string, 0, len(orders))
		for _, o := range orders {
			ids = append(ids, o.OrderID)
			req, err := s.request(ctx, tx, st, config, o)
			if err != nil {
				return err
			}
			if len(req.Upline) == 0 {
				continue
			}
			res, err := s.callPlugin(ctx, in.Plugin, req)
			if err != nil {
				return errs.E(errs.PluginUnavailable, "%v", err)
			}
			for _, b := range res.Beneficiaries {
				d := get(b.MemberID)
				d.WouldEarn = d.WouldEarn.Add(b.Amount)
				d.Commissions++
			}
		}
		var paid []struct {
			ID  string          `db:"beneficiary_id"`
			Net decimal.Decimal `db:"net"`
		}
		if len(ids) > 0 {
			if err := tx.SelectContext(ctx, &paid, `SELECT beneficiary_id::text AS beneficiary_id, sum(amount - refunded) AS net FROM commissions
WHERE tenant_id = $1 AND order_id::text = ANY(string_to_array($2, ',')) GROUP BY beneficiary_id`, tid(ctx), strings.Join(ids, ",")); err != nil {
				return err
			}
		}
		for _, p := range paid {
			get(p.ID).Paid = p.Net
		}
		for _, d := range by {
			d.Difference = d.WouldEarn.Sub(d.Paid)
			sim.Distributors = append(sim.Distributors, *d)
		}
		sort.Slice(sim.Distributors, func(i, j int) bool { return sim.Distributors[i].MemberID < sim.Distributors[j].MemberID })
		return nil
	})
	sim.total()
	return sim, err
}
