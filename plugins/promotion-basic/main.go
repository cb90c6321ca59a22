// Command promotion-basic is the built-in promotion rule. Each campaign that
// uses it has a config (manifest.json's campaign_schema) of one type:
//
//   - percent_off: a percentage off each eligible line;
//   - amount_off: a fixed amount off the eligible lines together;
//   - full_reduction (满减): spend at least X, save Y, by tiers, optionally
//     repeated (every X saves Y);
//   - buy_x_get_y: buy N eligible items, get a gift SKU (optionally per N).
//
// Scope is all lines, some category ids or some product ids. A campaign
// applies only inside its time window (against the host's clock), under its
// usage limits and for the member levels it names.
//
// Stacking, deterministic: campaigns go by priority (higher first), then by
// campaign id. Of one stacking group only the first campaign that gives
// something applies; different groups stack, each working on what the
// earlier ones left of a line. An exclusive campaign applies only to lines
// nothing has touched yet, and then no later campaign touches them.
package main

import "github.com/banyanmall/banyan/sdk"

func main() {
	sdk.Serve(sdk.ServeOpts{Promotion: basic{}})
}
