// Command commission-tiered is the built-in commission scheme: rates per
// level (1 to the tenant's depth, at most 3), by distributor grade, with
// per-product overrides and products that earn nothing.
//
// Which rate pays a line at a level, first that applies:
//
//  1. the product's distribution mode "none": no commission;
//  2. mode "override": the line's override rate for the level (none: 0);
//  3. the beneficiary's grade rates sent by the host (the merchant's grade settings);
//  4. the config's rates for the grade id ("grades");
//  5. the config's default rates ("rates").
//
// The base is the line's paid amount (after every discount, without
// shipping). Each amount is base × rate rounded half-even to the currency's
// minor unit, on its own: the sub-unit remainders are paid to nobody and stay
// with the merchant, and since only rounded amounts are ever recorded the
// books need no remainder account. If rounding ever made a line's commissions
// exceed its base, the last one is cut to fit.
package main

import (
	"github.com/banyanmall/banyan/sdk"
)

func main() {
	sdk.Serve(sdk.ServeOpts{Commission: tiered{}})
}
