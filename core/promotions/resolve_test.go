package promotions

import (
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func offerOf(id string, order int, excl bool, group string, amount string, lines ...string) offer {
	o := offer{campaign: Campaign{ID: CampaignID(id), Exclusive: excl, StackingGroup: group}, order: order,
		amount: d(amount), lines: map[string]bool{}}
	o.adjs = []Adjustment{{CampaignID: CampaignID(id), LineIDs: lines, Amount: d(amount), Exclusive: excl, StackingGroup: group}}
	for _, l := range lines {
		o.lines[l] = true
	}
	return o
}

func TestResolve(t *testing.T) {
	cart := []Line{{LineID: "a", Amount: d("10.00")}, {LineID: "b", Amount: d("10.00")}, {LineID: "c", Amount: d("10.00")}}
	cases := []struct {
		name   string
		offers []offer
		want   string // applied campaigns, then per-line discounts
	}{
		{"thirds: remainder to the last line", []offer{offerOf("x", 0, false, "", "10.00", "a", "b", "c")},
			"x | a=3.33 b=3.33 c=3.34"},
		{"exclusive on other lines combines", []offer{offerOf("s", 0, false, "", "2", "a"), offerOf("e", 1, true, "", "5", "b")},
			"s e | a=2 b=5"},
		{"exclusive worth less than what it displaces", []offer{offerOf("s1", 0, false, "", "4", "a", "b"), offerOf("s2", 0, false, "", "3", "b"),
			offerOf("e", 1, true, "", "6", "b")}, "s1 s2 | a=2 b=5"},
		{"best of two exclusives on the same line", []offer{offerOf("e1", 0, true, "", "4", "a"), offerOf("e2", 1, true, "", "6", "a")},
			"e2 | a=6"},
		{"one per stacking group", []offer{offerOf("g1", 0, false, "g", "3", "a"), offerOf("g2", 1, false, "g", "5", "a"), offerOf("n", 1, false, "", "1", "a")},
			"g2 n | a=6"},
		{"never below zero", []offer{offerOf("p", 0, false, "", "9", "a"), offerOf("q", 1, false, "", "9", "a", "b")},
			"p q | a=9.82 b=8.18"}, // q spreads over what p left: 1 of a, 10 of b
		{"capped by what is left", []offer{offerOf("p", 0, false, "", "10", "a"), offerOf("q", 1, false, "", "5", "a")},
			"p | a=10"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := Result{PerLine: map[string]decimal.Decimal{}, Total: decimal.Zero}
			resolve(c.offers, cart, 2, &res)
			var ids []string
			for _, a := range res.Adjustments {
				ids = append(ids, string(a.CampaignID))
			}
			var per []string
			for _, l := range []string{"a", "b", "c"} {
				if v, ok := res.PerLine[l]; ok {
					per = append(per, l+"="+v.String())
				}
			}
			got := strings.Join(ids, " ") + " | " + strings.Join(per, " ")
			if got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
			sum := decimal.Zero
			for _, v := range res.PerLine {
				sum = sum.Add(v)
			}
			if !sum.Equal(res.Total) {
				t.Errorf("per-line sum %s != total %s", sum, res.Total)
			}
		})
	}
}
