package sdk

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

var d = decimal.RequireFromString

func TestErrorsCrossTheWire(t *testing.T) {
	for _, e := range []error{
		InvalidConfig(FieldError{Path: "/rates/0", Message: "too high"}),
		Errorf(CodeBadSignature, "nope"),
		Errorf(CodeStaleWebhook, "old"),
		Errorf(CodeUnsupported, "offline"),
	} {
		back := fromStatus(toStatus(e))
		got, ok := AsError(back)
		if !ok || !errors.Is(back, e) || got.Error() != e.Error() {
			t.Errorf("%v came back as %v", e, back)
		}
	}
	if got := fromStatus(status.Error(codes.Unimplemented, "x")); !errors.Is(got, ErrUnimplemented) {
		t.Errorf("Unimplemented came back as %v", got)
	}
	plain := toStatus(errors.New("boom"))
	if _, ok := AsError(fromStatus(plain)); ok || status.Code(plain) != codes.Unknown {
		t.Errorf("an untyped error must stay a plugin failure: %v", plain)
	}
}

func TestCommissionRoundTrip(t *testing.T) {
	req := CommissionRequest{
		Context: PluginContext{TenantID: "t", ConfigJSON: json.RawMessage(`{"a":1}`), Currency: "CNY", MinorUnits: 2,
			Now: time.UnixMilli(1_767_000_000_123).UTC(), Settings: map[string]string{"k": "v"}},
		OrderID: "o", OrderNo: "N", BuyerID: "b", BuyerIsDistributor: true, Depth: 2, SelfPurchase: true,
		Lines:  []CommissionLine{{LineID: "l", Quantity: 2, UnitPrice: d("1.5"), PaidAmount: d("3.00"), Distribution: DistributeOverride, OverrideRates: []decimal.Decimal{d("0.1")}}},
		Upline: []Upline{{MemberID: "a", Level: 1, GradeID: "g", GradeName: "Gold", GradeRates: []decimal.Decimal{d("0.2")}}},
	}
	dec := decoder{wrap: ErrInvalidRequest}
	back := decodeCommissionRequest(&dec, encodeCommissionRequest(req))
	if dec.err != nil {
		t.Fatal(dec.err)
	}
	a, _ := json.Marshal(req)
	b, _ := json.Marshal(back)
	if string(a) != string(b) {
		t.Errorf("request changed on the wire:\n%s\n%s", a, b)
	}
	bad := encodeCommissionRequest(req)
	bad.Lines[0].PaidAmount = "1e"
	decodeCommissionRequest(&dec, bad)
	if !errors.Is(dec.err, ErrInvalidRequest) {
		t.Errorf("a malformed amount: %v", dec.err)
	}
}

func TestCheckCommission(t *testing.T) {
	req := CommissionRequest{
		Context: PluginContext{MinorUnits: 2}, BuyerID: "buyer", Depth: 2,
		Lines:  []CommissionLine{{LineID: "l1", PaidAmount: d("10")}, {LineID: "l2", PaidAmount: d("10"), Distribution: DistributeNone}},
		Upline: []Upline{{MemberID: "a", Level: 1}, {MemberID: "b", Level: 2}},
	}
	ok := Beneficiary{LineID: "l1", MemberID: "a", Level: 1, Base: d("10"), Rate: d("0.1"), Amount: d("1.00")}
	for name, c := range map[string]struct {
		b    []Beneficiary
		want string
	}{
		"valid":             {[]Beneficiary{ok}, ""},
		"unknown line":      {[]Beneficiary{{LineID: "x", MemberID: "a", Level: 1}}, "unknown line"},
		"not distributable": {[]Beneficiary{{LineID: "l2", MemberID: "a", Level: 1}}, "not distributable"},
		"beyond depth":      {[]Beneficiary{{LineID: "l1", MemberID: "c", Level: 3}}, "outside"},
		"wrong member":      {[]Beneficiary{{LineID: "l1", MemberID: "b", Level: 1}}, "not the upline"},
		"sub-cent":          {[]Beneficiary{{LineID: "l1", MemberID: "a", Level: 1, Amount: d("0.001")}}, "decimal places"},
		"negative":          {[]Beneficiary{{LineID: "l1", MemberID: "a", Level: 1, Amount: d("-1")}}, "negative"},
		"twice":             {[]Beneficiary{ok, ok}, "paid twice"},
		"more than paid":    {[]Beneficiary{{LineID: "l1", MemberID: "a", Level: 1, Amount: d("6")}, {LineID: "l1", MemberID: "b", Level: 2, Amount: d("5")}}, "exceeds"},
	} {
		err := CheckCommission(req, CommissionResult{Beneficiaries: c.b})
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, ErrContract)) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
}

func TestCheckPromotion(t *testing.T) {
	req := PromotionRequest{
		Context:   PluginContext{MinorUnits: 2},
		Lines:     []PromotionLine{{LineID: "l1", Amount: d("10")}, {LineID: "l2", Amount: d("5")}},
		Campaigns: []Campaign{{CampaignID: "c"}},
	}
	for name, c := range map[string]struct {
		a    Adjustment
		want string
	}{
		"valid":         {Adjustment{CampaignID: "c", LineIDs: []string{"l1", "l2"}, Amount: d("15")}, ""},
		"over the line": {Adjustment{CampaignID: "c", LineIDs: []string{"l2"}, Amount: d("5.01")}, "exceeds"},
		"unknown line":  {Adjustment{CampaignID: "c", LineIDs: []string{"l9"}, Amount: d("1")}, "unknown line"},
		"unknown camp":  {Adjustment{CampaignID: "x", LineIDs: []string{"l1"}, Amount: d("1")}, "unknown campaign"},
		"surcharge":     {Adjustment{CampaignID: "c", LineIDs: []string{"l1"}, Amount: d("-1")}, "positive"},
	} {
		err := CheckPromotion(req, PromotionResult{Adjustments: []Adjustment{c.a}})
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
}

func TestServeOptsNeedsExactlyOne(t *testing.T) {
	if _, _, err := (ServeOpts{}).kind(); err == nil {
		t.Error("no implementation accepted")
	}
}
