package main

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/sdk"
	"github.com/banyanmall/banyan/sdk/plugintest"
)

var pc = sdk.PluginContext{
	TenantID:   "t1",
	ConfigJSON: json.RawMessage(`{"methods":["bank_transfer","cash_on_delivery"],"bank":{"bank_name":"ICBC","account_name":"Shop Ltd","account_no":"6222 0000 1111"}}`),
	Currency:   "CNY", MinorUnits: 2, Now: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC),
}

var pay = sdk.PaymentRequest{Context: pc, PaymentID: "pay-1", OrderNo: "N0001", Amount: decimal.RequireFromString("120.5"), Currency: "CNY"}

func TestOffline(t *testing.T) {
	ctx := context.Background()
	o := offline{}
	in, err := o.CreatePayment(ctx, pay)
	if err != nil {
		t.Fatal(err)
	}
	if in.Status != sdk.StatusPending || !strings.Contains(in.Instructions, "Transfer 120.50 CNY to Shop Ltd") || !strings.Contains(in.Instructions, "cash on delivery") {
		t.Errorf("intent %+v", in)
	}
	if _, err := o.VerifyWebhook(ctx, sdk.WebhookRequest{Context: pc}); !errors.Is(err, sdk.ErrUnsupported) {
		t.Errorf("VerifyWebhook: %v", err)
	}
	if r, _ := o.Refund(ctx, sdk.RefundRequest{Context: pc, RefundID: "r1", Amount: decimal.NewFromInt(1)}); r.Status != sdk.StatusPending {
		t.Errorf("refund %+v", r)
	}
	if r, _ := o.Payout(ctx, sdk.PayoutRequest{Context: pc, PayoutID: "p1", Amount: decimal.NewFromInt(1)}); r.Status != sdk.StatusPending {
		t.Errorf("payout %+v", r)
	}
}

func TestConformance(t *testing.T) {
	bin := plugintest.Build(t, ".")
	plugintest.RunPayment(t, bin, plugintest.PaymentCase{
		Name:    "bank transfer",
		Payment: pay,
		Refund:  &sdk.RefundRequest{Context: pc, PaymentID: "pay-1", RefundID: "r1", Amount: decimal.NewFromInt(20), Currency: "CNY"},
		Payout:  &sdk.PayoutRequest{Context: pc, PayoutID: "po1", Amount: decimal.NewFromInt(20), Currency: "CNY", Account: sdk.PayoutAccount{Channel: "bank", Account: "6222"}},
	})
	plugintest.RunConfig(t, bin, sdk.KindPayment,
		plugintest.ConfigCase{Name: "cod only", Config: `{"methods":["cash_on_delivery"]}`},
		plugintest.ConfigCase{Name: "bank without account", Config: `{"methods":["bank_transfer"],"bank":{"bank_name":"x","account_name":"y"}}`, WantField: "/bank/account_no"},
		plugintest.ConfigCase{Name: "no method", Config: `{"methods":[]}`, WantField: "/methods"},
	)
}
