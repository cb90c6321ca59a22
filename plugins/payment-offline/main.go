// Command payment-offline takes payment outside any gateway: bank transfer
// and cash on delivery. CreatePayment answers instructions for the buyer and
// a pending status; staff mark the payment paid in the admin. There are no
// webhooks (VerifyWebhook answers sdk.ErrUnsupported), and refunds and
// payouts are done by hand: they answer pending with what to do.
package main

import "github.com/banyanmall/banyan/sdk"

func main() {
	sdk.Serve(sdk.ServeOpts{Payment: offline{}})
}
