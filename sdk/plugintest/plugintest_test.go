package plugintest_test

import (
	"encoding/json"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/sdk"
	"github.com/banyanmall/banyan/sdk/plugintest"
)

// TestExamplePlugin runs the harness on the SDK's example plugin, built in
// its own module as a third party would.
func TestExamplePlugin(t *testing.T) {
	bin := plugintest.Build(t, "../examples/commission-flat")
	plugintest.RunCommission(t, bin, plugintest.CommissionCase{
		Name: "one line",
		Request: sdk.CommissionRequest{
			Context: sdk.PluginContext{TenantID: "t", ConfigJSON: json.RawMessage(`{"rate":"0.1"}`), Currency: "CNY", MinorUnits: 2},
			BuyerID: "b", Depth: 1,
			Lines:  []sdk.CommissionLine{{LineID: "l", Quantity: 1, UnitPrice: decimal.NewFromInt(3), PaidAmount: decimal.NewFromInt(3), Distribution: sdk.DistributeDefault}},
			Upline: []sdk.Upline{{MemberID: "a", Level: 1}},
		},
	})
}
