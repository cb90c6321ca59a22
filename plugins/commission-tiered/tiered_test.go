package main

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/sdk"
	"github.com/banyanmall/banyan/sdk/plugintest"
)

var d = decimal.RequireFromString

func request(config string, depth int, selfPurchase bool, lines []sdk.CommissionLine, upline ...sdk.Upline) sdk.CommissionRequest {
	return sdk.CommissionRequest{
		Context: sdk.PluginContext{
			TenantID: "t1", ConfigJSON: json.RawMessage(config), Currency: "CNY", MinorUnits: 2,
			Now: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC),
		},
		OrderID: "o1", OrderNo: "N0001", BuyerID: "buyer", BuyerIsDistributor: true,
		Lines: lines, Upline: upline, Depth: depth, SelfPurchase: selfPurchase,
	}
}

func line(id, paid string, mode sdk.DistributionMode, overrides ...string) sdk.CommissionLine {
	l := sdk.CommissionLine{LineID: id, ProductID: "p-" + id, SKUID: "s-" + id, Quantity: 1, UnitPrice: d(paid), PaidAmount: d(paid), Distribution: mode}
	for _, o := range overrides {
		l.OverrideRates = append(l.OverrideRates, d(o))
	}
	return l
}

func ben(lineID, member string, level int, base, rate, amount, note string) sdk.Beneficiary {
	return sdk.Beneficiary{LineID: lineID, MemberID: member, Level: level, Base: d(base), Rate: d(rate), Amount: d(amount), Note: note}
}

const cfg = `{"rates":["0.10","0.05","0.02"],"grades":{"gold":["0.20","0.08"]}}`

var chain = []sdk.Upline{
	{MemberID: "a", Level: 1, GradeID: "basic"},
	{MemberID: "b", Level: 2, GradeID: "gold", GradeName: "Gold"},
	{MemberID: "c", Level: 3},
}

var cases = []plugintest.CommissionCase{
	{
		Name:    "default and config grade rates, depth 2 stops at level 2",
		Request: request(cfg, 2, false, []sdk.CommissionLine{line("l1", "100.00", sdk.DistributeDefault)}, chain...),
		Want: &sdk.CommissionResult{Beneficiaries: []sdk.Beneficiary{
			ben("l1", "a", 1, "100", "0.10", "10.00", "level 1, default rate"),
			ben("l1", "b", 2, "100", "0.08", "8.00", "level 2, grade Gold rate"),
		}},
	},
	{
		Name: "grade rates from the request win over the config",
		Request: request(cfg, 3, false, []sdk.CommissionLine{line("l1", "50.00", sdk.DistributeDefault)},
			sdk.Upline{MemberID: "a", Level: 1, GradeID: "gold", GradeName: "Gold", GradeRates: []decimal.Decimal{d("0.3")}}),
		Want: &sdk.CommissionResult{Beneficiaries: []sdk.Beneficiary{
			ben("l1", "a", 1, "50", "0.3", "15.00", "level 1, grade Gold rate"),
		}},
	},
	{
		Name: "override and none per product",
		Request: request(cfg, 2, false, []sdk.CommissionLine{
			line("l1", "80.00", sdk.DistributeOverride, "0.25"),
			line("l2", "80.00", sdk.DistributeNone),
		}, chain...),
		Want: &sdk.CommissionResult{Beneficiaries: []sdk.Beneficiary{
			ben("l1", "a", 1, "80", "0.25", "20.00", "level 1, product override rate"),
		}},
	},
	{
		Name: "half-even rounding per beneficiary",
		// 33.33 × 0.05 = 1.6665 → 1.67; the ties 0.035 and 0.025 go to the even cent.
		Request: request(`{"rates":["0.05"]}`, 1, false, []sdk.CommissionLine{
			line("l1", "33.33", sdk.DistributeDefault),
			line("l2", "0.70", sdk.DistributeDefault),
			line("l3", "0.50", sdk.DistributeDefault),
		}, chain[0]),
		Want: &sdk.CommissionResult{Beneficiaries: []sdk.Beneficiary{
			ben("l1", "a", 1, "33.33", "0.05", "1.67", "level 1, default rate"),
			ben("l2", "a", 1, "0.7", "0.05", "0.04", "level 1, default rate"),
			ben("l3", "a", 1, "0.5", "0.05", "0.02", "level 1, default rate"),
		}},
	},
	{
		Name: "self-purchase pays the buyer at level 1",
		Request: request(cfg, 2, true, []sdk.CommissionLine{line("l1", "10.00", sdk.DistributeDefault)},
			sdk.Upline{MemberID: "buyer", Level: 1}, sdk.Upline{MemberID: "a", Level: 2}),
		Want: &sdk.CommissionResult{Beneficiaries: []sdk.Beneficiary{
			ben("l1", "buyer", 1, "10", "0.10", "1.00", "level 1, default rate"),
			ben("l1", "a", 2, "10", "0.05", "0.50", "level 2, default rate"),
		}},
	},
	{
		Name: "without self-purchase the buyer is never paid",
		Request: request(cfg, 2, false, []sdk.CommissionLine{line("l1", "10.00", sdk.DistributeDefault)},
			sdk.Upline{MemberID: "buyer", Level: 1}, sdk.Upline{MemberID: "a", Level: 2}),
		Want: &sdk.CommissionResult{Beneficiaries: []sdk.Beneficiary{
			ben("l1", "a", 2, "10", "0.05", "0.50", "level 2, default rate"),
		}},
	},
	{
		Name:    "no upline, no commission",
		Request: request(cfg, 2, false, []sdk.CommissionLine{line("l1", "10.00", sdk.DistributeDefault)}),
		Want:    &sdk.CommissionResult{},
	},
	{
		Name:    "depth 4 is refused",
		Request: request(cfg, 4, false, []sdk.CommissionLine{line("l1", "10.00", sdk.DistributeDefault)}, chain...),
		WantErr: sdk.CodeInvalidRequest,
	},
}

func TestCompute(t *testing.T) {
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			res, err := tiered{}.Compute(context.Background(), c.Request)
			if c.WantErr != "" {
				if !errors.Is(err, &sdk.Error{Code: c.WantErr}) {
					t.Fatalf("err = %v, want %s", err, c.WantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := sdk.CheckCommission(c.Request, res); err != nil {
				t.Fatal(err)
			}
			got, _ := json.Marshal(res.Beneficiaries)
			want, _ := json.Marshal(c.Want.Beneficiaries)
			if string(got) != string(want) {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
}

func TestValidateConfig(t *testing.T) {
	for _, c := range []struct {
		config, field string
	}{
		{cfg, ""},
		{`{"rates":["0.1","0.2","0.3","0.1"]}`, "/rates"},
		{`{"rates":["0.6","0.6"]}`, "/rates"},
		{`{"rates":["0.1"],"grades":{"gold":["-0.1"]}}`, "/grades/gold/0"},
		{`"rates"`, ""},
	} {
		err := tiered{}.ValidateConfig(context.Background(), json.RawMessage(c.config))
		e, _ := sdk.AsError(err)
		switch {
		case c.field == "" && c.config == cfg:
			if err != nil {
				t.Errorf("%s: %v", c.config, err)
			}
		case e == nil || e.Code != sdk.CodeInvalidConfig:
			t.Errorf("%s: err = %v, want invalid config", c.config, err)
		case c.field != "" && e.Fields[0].Path != c.field:
			t.Errorf("%s: field %q, want %q", c.config, e.Fields[0].Path, c.field)
		}
	}
}

// TestConformance runs the same cases through the real plugin process.
func TestConformance(t *testing.T) {
	bin := plugintest.Build(t, ".")
	plugintest.RunCommission(t, bin, cases...)
	plugintest.RunConfig(t, bin, sdk.KindCommission,
		plugintest.ConfigCase{Name: "ok", Config: cfg},
		plugintest.ConfigCase{Name: "rates over 1", Config: `{"rates":["0.6","0.6"]}`, WantField: "/rates"},
	)
}
