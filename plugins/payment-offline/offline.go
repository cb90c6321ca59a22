package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/banyanmall/banyan/sdk"
)

const (
	bankTransfer   = "bank_transfer"
	cashOnDelivery = "cash_on_delivery"
)

type config struct {
	Methods []string `json:"methods"`
	Bank    struct {
		BankName    string `json:"bank_name"`
		AccountName string `json:"account_name"`
		AccountNo   string `json:"account_no"`
	} `json:"bank"`
	Note string `json:"note"`
}

func parseConfig(raw json.RawMessage) (config, error) {
	var c config
	if err := json.Unmarshal(raw, &c); err != nil {
		return c, sdk.InvalidConfig(sdk.FieldError{Path: "", Message: "must be an object with methods"})
	}
	var fields []sdk.FieldError
	if len(c.Methods) == 0 {
		fields = append(fields, sdk.FieldError{Path: "/methods", Message: "name at least one of bank_transfer, cash_on_delivery"})
	}
	for i, m := range c.Methods {
		if m != bankTransfer && m != cashOnDelivery {
			fields = append(fields, sdk.FieldError{Path: fmt.Sprintf("/methods/%d", i), Message: "must be bank_transfer or cash_on_delivery"})
		}
		if m == bankTransfer {
			for path, v := range map[string]string{"/bank/bank_name": c.Bank.BankName, "/bank/account_name": c.Bank.AccountName, "/bank/account_no": c.Bank.AccountNo} {
				if strings.TrimSpace(v) == "" {
					fields = append(fields, sdk.FieldError{Path: path, Message: "required for bank transfer"})
				}
			}
		}
	}
	if len(fields) > 0 {
		sort.Slice(fields, func(i, j int) bool { return fields[i].Path < fields[j].Path })
		return c, sdk.InvalidConfig(fields...)
	}
	return c, nil
}

// configs holds the tenant configs CreatePayment has parsed, by their bytes
// (see sdk.ConfigCache for why that is safe across tenants).
var configs = sdk.NewConfigCache(0, parseConfig)

type offline struct{}

var _ sdk.PaymentProvider = offline{}

func (offline) ValidateConfig(_ context.Context, raw json.RawMessage) error {
	_, err := parseConfig(raw)
	return err
}

func (offline) CreatePayment(_ context.Context, req sdk.PaymentRequest) (sdk.PaymentIntent, error) {
	c, err := configs.Get(req.Context.ConfigJSON)
	if err != nil {
		return sdk.PaymentIntent{}, err
	}
	if req.PaymentID == "" || !req.Amount.IsPositive() {
		return sdk.PaymentIntent{}, sdk.Errorf(sdk.CodeInvalidRequest, "payment_id and a positive amount are required")
	}
	amount := req.Amount.StringFixed(req.Context.MinorUnits) + " " + req.Currency
	var steps []string
	for _, m := range c.Methods {
		switch m {
		case bankTransfer:
			steps = append(steps, fmt.Sprintf("Transfer %s to %s, account %s (%s), quoting order %s.",
				amount, c.Bank.AccountName, c.Bank.AccountNo, c.Bank.BankName, req.OrderNo))
		case cashOnDelivery:
			steps = append(steps, fmt.Sprintf("Pay %s in cash on delivery of order %s.", amount, req.OrderNo))
		}
	}
	if c.Note != "" {
		steps = append(steps, c.Note)
	}
	return sdk.PaymentIntent{
		ProviderRef:  "offline-" + req.PaymentID,
		Status:       sdk.StatusPending,
		Instructions: strings.Join(steps, "\n"),
	}, nil
}

func (offline) VerifyWebhook(context.Context, sdk.WebhookRequest) (sdk.WebhookEvent, error) {
	return sdk.WebhookEvent{}, sdk.Errorf(sdk.CodeUnsupported, "offline payments have no webhooks: staff mark them paid")
}

func (offline) Refund(_ context.Context, req sdk.RefundRequest) (sdk.RefundResult, error) {
	return sdk.RefundResult{
		Status:      sdk.StatusPending,
		ProviderRef: "offline-refund-" + req.RefundID,
		Message:     fmt.Sprintf("refund %s %s by hand, then mark it done", req.Amount.StringFixed(req.Context.MinorUnits), req.Currency),
	}, nil
}

func (offline) Payout(_ context.Context, req sdk.PayoutRequest) (sdk.PayoutResult, error) {
	return sdk.PayoutResult{
		Status:      sdk.StatusPending,
		ProviderRef: "offline-payout-" + req.PayoutID,
		Message: fmt.Sprintf("pay %s %s by hand to %s account %s, then mark it done",
			req.Amount.StringFixed(req.Context.MinorUnits), req.Currency, req.Account.Channel, req.Account.Account),
	}, nil
}
