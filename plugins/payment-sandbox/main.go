// Command payment-sandbox is a simulated payment gateway for development and
// tests. It keeps no state: references are derived from the request, and
// webhooks are signed with the tenant's webhook_secret:
//
//	X-Sandbox-Timestamp: <unix seconds>
//	X-Sandbox-Signature: hex(HMAC-SHA256(webhook_secret, timestamp + "." + body))
//
// VerifyWebhook refuses a bad signature (sdk.ErrBadSignature) and a timestamp
// more than five minutes away from the host's clock (sdk.ErrStaleWebhook).
// The pay page lives in the host at {return_url's origin}/sandbox/pay/{ref};
// it calls SimulatePayment and POSTs the signed webhook to notify_url.
// Refunds (full or partial) succeed at once; a payout to an account starting
// with "fail" fails, any other succeeds.
package main

import "github.com/banyanmall/banyan/sdk"

func main() {
	sdk.Serve(sdk.ServeOpts{Payment: sandbox{}})
}
