package main

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/sdk"
	"github.com/banyanmall/banyan/sdk/plugintest"
)

func TestConformance(t *testing.T) {
	bin := plugintest.Build(t, ".")
	d := decimal.RequireFromString
	req := sdk.CommissionRequest{
		Context: sdk.PluginContext{
			TenantID:   "t1",
			ConfigJSON: json.RawMessage(`{"rate":"0.05"}`),
			Currency:   "CNY",
			MinorUnits: 2,
			Now:        time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		},
		OrderID: "o1",
		BuyerID: "m-buyer",
		Lines: []sdk.CommissionLine{
			{LineID: "l1", Quantity: 1, UnitPrice: d("99.90"), PaidAmount: d("99.90"), Distribution: sdk.DistributeDefault},
			{LineID: "l2", Quantity: 1, UnitPrice: d("10"), PaidAmount: d("10"), Distribution: sdk.DistributeNone},
		},
		Upline: []sdk.Upline{{MemberID: "m-ref", Level: 1}},
		Depth:  2,
	}
	plugintest.RunCommission(t, bin, plugintest.CommissionCase{
		Name:    "direct referrer earns 5%",
		Request: req,
		Want: &sdk.CommissionResult{Beneficiaries: []sdk.Beneficiary{
			// 99.90 × 0.05 = 4.995 → 5.00 half-even (4.995 is exactly halfway, 9 is odd).
			{LineID: "l1", MemberID: "m-ref", Level: 1, Base: d("99.90"), Rate: d("0.05"), Amount: d("5.00"), Note: "flat 5%"},
		}},
	})
	plugintest.RunConfig(t, bin, sdk.KindCommission,
		plugintest.ConfigCase{Name: "ok", Config: `{"rate":"0.1"}`},
		plugintest.ConfigCase{Name: "too high", Config: `{"rate":"0.9"}`, WantField: "/rate"},
	)
}
