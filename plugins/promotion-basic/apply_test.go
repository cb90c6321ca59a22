package main

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/sdk"
	"github.com/banyanmall/banyan/sdk/plugintest"
)

var (
	d   = decimal.RequireFromString
	now = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
)

func lines() []sdk.PromotionLine {
	return []sdk.PromotionLine{
		{LineID: "l1", ProductID: "p1", SKUID: "s1", CategoryID: "shoes", Quantity: 2, UnitPrice: d("60"), Amount: d("120.00")},
		{LineID: "l2", ProductID: "p2", SKUID: "s2", CategoryID: "hats", Quantity: 1, UnitPrice: d("30.01"), Amount: d("30.01")},
	}
}

func campaign(id string, priority int, group string, exclusive bool, config string) sdk.Campaign {
	return sdk.Campaign{CampaignID: id, Name: id, Priority: priority, StackingGroup: group, Exclusive: exclusive, ConfigJSON: json.RawMessage(config)}
}

func request(cs ...sdk.Campaign) sdk.PromotionRequest {
	return sdk.PromotionRequest{
		Context:  sdk.PluginContext{TenantID: "t1", ConfigJSON: json.RawMessage(`{}`), Currency: "CNY", MinorUnits: 2, Now: now},
		MemberID: "m1", MemberLevelID: "vip",
		Lines: lines(), Campaigns: cs,
	}
}

func adj(campaign string, amount, reason, group string, exclusive bool, ids ...string) sdk.Adjustment {
	return sdk.Adjustment{CampaignID: campaign, LineIDs: ids, Amount: d(amount), Reason: reason, StackingGroup: group, Exclusive: exclusive}
}

func windowed(c sdk.Campaign, starts, ends time.Time) sdk.Campaign {
	c.StartsAt, c.EndsAt = starts, ends
	return c
}

func used(c sdk.Campaign, limit, usedCount, memberUsed int64) sdk.Campaign {
	c.UsageLimit, c.UsedCount, c.MemberUsedCount = limit, usedCount, memberUsed
	return c
}

var cases = []plugintest.PromotionCase{
	{
		Name: "percent off rounds half-even per line",
		// 30.01 × 15% = 4.5015 → 4.50
		Request: request(campaign("c1", 0, "", false, `{"type":"percent_off","percent":"15"}`)),
		Want: &sdk.PromotionResult{Adjustments: []sdk.Adjustment{
			adj("c1", "18.00", "c1: 15% off", "", false, "l1"),
			adj("c1", "4.50", "c1: 15% off", "", false, "l2"),
		}},
	},
	{
		Name:    "full reduction picks the best tier, by category",
		Request: request(campaign("c1", 0, "", false, `{"type":"full_reduction","scope":{"type":"categories","ids":["shoes"]},"tiers":[{"spend":"100","save":"10"},{"spend":"200","save":"30"}]}`)),
		Want: &sdk.PromotionResult{Adjustments: []sdk.Adjustment{
			adj("c1", "10", "c1: spend 100.00 save 10.00", "", false, "l1"),
		}},
	},
	{
		Name:    "full reduction repeated: every 50 saves 5",
		Request: request(campaign("c1", 0, "", false, `{"type":"full_reduction","tiers":[{"spend":"50","save":"5"}],"repeat":true}`)),
		Want: &sdk.PromotionResult{Adjustments: []sdk.Adjustment{
			adj("c1", "15", "c1: spend 50.00 save 5.00 (×3)", "", false, "l1", "l2"),
		}},
	},
	{
		Name:    "amount off below min spend gives nothing",
		Request: request(campaign("c1", 0, "", false, `{"type":"amount_off","amount":"20","min_spend":"200"}`)),
		Want:    &sdk.PromotionResult{},
	},
	{
		Name:    "amount off never more than the lines",
		Request: request(campaign("c1", 0, "", false, `{"type":"amount_off","amount":"50","scope":{"type":"products","ids":["p2"]}}`)),
		Want: &sdk.PromotionResult{Adjustments: []sdk.Adjustment{
			adj("c1", "30.01", "c1: 50.00 off", "", false, "l2"),
		}},
	},
	{
		Name:    "buy 2 get 1 gift",
		Request: request(campaign("c1", 0, "", false, `{"type":"buy_x_get_y","scope":{"type":"products","ids":["p1"]},"buy_quantity":2,"gift_sku_id":"sock","gift_quantity":1}`)),
		Want: &sdk.PromotionResult{Gifts: []sdk.GiftLine{
			{CampaignID: "c1", SKUID: "sock", Quantity: 1, Reason: "c1: buy 2 get 1 free"},
		}},
	},
	{
		Name: "outside the window, over the limits, wrong level: nothing",
		Request: request(
			windowed(campaign("early", 0, "", false, `{"type":"amount_off","amount":"1"}`), now.Add(time.Hour), time.Time{}),
			windowed(campaign("ended", 0, "", false, `{"type":"amount_off","amount":"1"}`), time.Time{}, now),
			used(campaign("spent", 0, "", false, `{"type":"amount_off","amount":"1"}`), 10, 10, 0),
			used(campaign("mine", 0, "", false, `{"type":"amount_off","amount":"1","per_member_limit":1}`), 0, 3, 1),
			campaign("gold", 0, "", false, `{"type":"amount_off","amount":"1","member_level_ids":["gold"]}`),
		),
		Want: &sdk.PromotionResult{},
	},
	{
		Name: "one per stacking group by priority; groups stack on what is left",
		Request: request(
			campaign("low", 1, "g1", false, `{"type":"amount_off","amount":"50"}`),
			campaign("high", 9, "g1", false, `{"type":"percent_off","percent":"10"}`),
			campaign("other", 5, "g2", false, `{"type":"amount_off","amount":"5","scope":{"type":"products","ids":["p1"]}}`),
		),
		Want: &sdk.PromotionResult{Adjustments: []sdk.Adjustment{
			adj("high", "12.00", "high: 10% off", "g1", false, "l1"),
			adj("high", "3.00", "high: 10% off", "g1", false, "l2"),
			adj("other", "5", "other: 5.00 off", "g2", false, "l1"),
		}},
	},
	{
		Name: "exclusive applies only to untouched lines and locks them",
		Request: request(
			campaign("first", 9, "", false, `{"type":"amount_off","amount":"1","scope":{"type":"products","ids":["p1"]}}`),
			campaign("excl-all", 8, "", true, `{"type":"amount_off","amount":"10"}`),
			campaign("excl-p2", 7, "", true, `{"type":"amount_off","amount":"2","scope":{"type":"products","ids":["p2"]}}`),
			campaign("after", 1, "", false, `{"type":"percent_off","percent":"50"}`),
		),
		Want: &sdk.PromotionResult{Adjustments: []sdk.Adjustment{
			adj("first", "1", "first: 1.00 off", "", false, "l1"),
			adj("excl-p2", "2", "excl-p2: 2.00 off", "", true, "l2"),
			adj("after", "59.50", "after: 50% off", "", false, "l1"),
		}},
	},
	{
		Name:    "a broken campaign config is an invalid config, not a different price",
		Request: request(campaign("bad", 0, "", false, `{"type":"percent_off","percent":"150"}`)),
		WantErr: sdk.CodeInvalidConfig,
	},
}

func TestApply(t *testing.T) {
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			res, err := basic{}.Apply(context.Background(), c.Request)
			if c.WantErr != "" {
				if !errors.Is(err, &sdk.Error{Code: c.WantErr}) {
					t.Fatalf("err = %v, want %s", err, c.WantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := sdk.CheckPromotion(c.Request, res); err != nil {
				t.Fatal(err)
			}
			got, _ := json.Marshal(res)
			want, _ := json.Marshal(c.Want)
			if string(got) != string(want) {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
}

func TestParseCampaign(t *testing.T) {
	for config, field := range map[string]string{
		`{"type":"nope"}`: "/type",
		`{"type":"full_reduction","tiers":[{"spend":"10","save":"20"}]}`:   "/tiers/0",
		`{"type":"buy_x_get_y","buy_quantity":2,"gift_quantity":1}`:        "/gift_sku_id",
		`{"type":"amount_off","amount":"1","scope":{"type":"categories"}}`: "/scope/ids",
	} {
		_, fields := parseCampaign(json.RawMessage(config))
		if len(fields) == 0 || fields[0].Path != field {
			t.Errorf("%s: fields %v, want %s", config, fields, field)
		}
	}
}

func TestConformance(t *testing.T) {
	bin := plugintest.Build(t, ".")
	plugintest.RunPromotion(t, bin, cases...)
	plugintest.RunConfig(t, bin, sdk.KindPromotion,
		plugintest.ConfigCase{Name: "empty", Config: `{}`},
		plugintest.ConfigCase{Name: "unknown setting", Config: `{"x":1}`, WantField: "/x"},
	)
	t.Run("campaign configs through the process", func(t *testing.T) {
		checkCampaignConfigs(t, plugintest.Promotion(t, bin))
	})
}

// Apply keeps parsed campaign configs (campaignConfigs); under -race here,
// and through the real process in TestConformance.
func TestCampaignConfigs(t *testing.T) { checkCampaignConfigs(t, basic{}) }

// checkCampaignConfigs: a campaign whose config changes gives the new
// discount on the very next call, and two tenants whose campaigns share an
// id but not a config, quoting at once, each get their own.
func checkCampaignConfigs(t *testing.T, p sdk.PromotionRule) {
	ctx := context.Background()
	discount := func(tenant, config string) (decimal.Decimal, error) {
		req := request(campaign("c1", 0, "", false, config))
		req.Context.TenantID = tenant
		res, err := p.Apply(ctx, req)
		if err != nil {
			return decimal.Zero, err
		}
		total := decimal.Zero
		for _, a := range res.Adjustments {
			total = total.Add(a.Amount)
		}
		return total, nil
	}
	for i, c := range []struct{ config, want string }{
		{`{"type":"amount_off","amount":"10"}`, "10"},
		{`{"type":"amount_off","amount":"20"}`, "20"},
		{`{"type":"amount_off","amount":"10"}`, "10"},
		{`{"type":"percent_off","percent":"10"}`, "15.00"}, // 12.00 + 3.00
	} {
		got, err := discount("t1", c.config)
		if err != nil || !got.Equal(d(c.want)) {
			t.Fatalf("call %d with %s: %s, %v; want %s", i, c.config, got, err, c.want)
		}
	}
	if _, err := discount("t1", `{"type":"percent_off","percent":"150"}`); !errors.Is(err, sdk.ErrInvalidConfig) {
		t.Fatalf("a broken config after good ones: %v, want invalid config", err)
	}
	tenants := map[string]struct{ config, want string }{
		"t1": {`{"type":"amount_off","amount":"10"}`, "10"},
		"t2": {`{"type":"percent_off","percent":"50"}`, "75.00"}, // 60.00 + 15.00 (30.005 → 15.00, half-even)
	}
	var wg sync.WaitGroup
	for tenant, c := range tenants {
		wg.Go(func() {
			for range 25 {
				if got, err := discount(tenant, c.config); err != nil || !got.Equal(d(c.want)) {
					t.Errorf("%s: %s, %v; want %s", tenant, got, err, c.want)
					return
				}
			}
		})
	}
	wg.Wait()
}
