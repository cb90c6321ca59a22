package plugintest

import (
	"context"
	"testing"

	"github.com/banyanmall/banyan/sdk"
)

// PromotionCase is one cart to quote.
type PromotionCase struct {
	Name    string
	Request sdk.PromotionRequest
	// Want, when set, is the exact answer expected.
	Want *sdk.PromotionResult
	// WantErr, when set, is the error code the plugin must answer instead.
	WantErr sdk.Code
}

// RunPromotion launches the promotion plugin at binary and checks the
// contract on each case: config refusal, validity, deadline, determinism.
func RunPromotion(t *testing.T, binary string, cases ...PromotionCase) {
	t.Helper()
	p := Promotion(t, binary)
	checkRejectsBadConfig(t, p)
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			res, err := twice(t, "Apply", func(ctx context.Context) (sdk.PromotionResult, error) {
				return p.Apply(ctx, c.Request)
			})
			if wantCode(t, err, c.WantErr) {
				return
			}
			if err := sdk.CheckPromotion(c.Request, res); err != nil {
				t.Error(err)
			}
			if c.Want != nil {
				checkWant(t, res, *c.Want)
			}
		})
	}
}
