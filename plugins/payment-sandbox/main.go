// Command payment-sandbox is a simulated payment gateway for development and
// tests. References are derived from the request, and webhooks are signed
// with the tenant's webhook_secret:
//
//	X-Sandbox-Timestamp: <unix seconds>
//	X-Sandbox-Signature: hex(HMAC-SHA256(webhook_secret, timestamp + "." + body))
//
// VerifyWebhook refuses a bad signature (sdk.ErrBadSignature) and a timestamp
// more than five minutes away from the host's clock (sdk.ErrStaleWebhook).
// The pay page lives in the host at {return_url's origin}/sandbox/pay/{ref};
// it calls SimulatePayment and POSTs the signed webhook to notify_url.
// Refunds (full or partial) succeed at once, except that a reason
// containing "sandbox-fail" is refused (StatusFailed). The refund id is the idempotency
// key: the process remembers each refund, so the same id twice refunds once
// and answers the same provider reference, and the same id with another
// payment, amount or currency is refused (invalid_request). A payout to an
// account starting with "fail" fails, any other succeeds.
package main

import "github.com/banyanmall/banyan/sdk"

func main() {
	sdk.Serve(sdk.ServeOpts{Payment: sandbox{}})
}
