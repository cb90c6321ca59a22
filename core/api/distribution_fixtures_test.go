package api_test

import (
	"fmt"
	"sync/atomic"

	"github.com/shopspring/decimal"

	"github.com/banyanmall/banyan/core/apptest"
	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/distribution"
	"github.com/banyanmall/banyan/core/finance"
	"github.com/banyanmall/banyan/core/identity"
	"github.com/banyanmall/banyan/core/members/memberstest"
)

// Cross-tenant fixtures of the distribution capability.
func init() {
	var n atomic.Int64
	distributor := func(e *apptest.Env, shop apptest.Shop) string {
		e.T.Helper()
		m := memberstest.Fast(e.T, e, shop, 1)[0]
		if _, err := e.App.Distribution.Designate(memberstest.Ctx(shop), m.ID); err != nil {
			e.T.Fatal(err)
		}
		return string(m.ID)
	}
	crossTenantFixtures["distributor"] = distributor
	crossTenantFixtures["distributor_application"] = func(e *apptest.Env, shop apptest.Shop) string {
		e.T.Helper()
		m := memberstest.Fast(e.T, e, shop, 1)[0]
		e.Must(201, apptest.Req{Method: "POST", Path: "/api/v1/shop/distributor", Token: m.Token, Tenant: shop.Slug,
			Body: map[string]any{"real_name": "王五", "phone": "13700000000", "reason": "fixture"}})
		return string(m.ID)
	}
	crossTenantFixtures["distributor_grade"] = func(e *apptest.Env, shop apptest.Shop) string {
		e.T.Helper()
		res := e.Must(201, apptest.Req{Method: "POST", Path: "/api/v1/admin/distributor-grades", Token: shop.OwnerToken, Tenant: shop.Slug,
			Body: map[string]any{"name": fmt.Sprintf("G%d", n.Add(1)), "rank": n.Load() % 90, "rates": []string{"0.1", "0.05"}}})
		var out struct{ ID string }
		res.Decode(e.T, &out)
		return out.ID
	}
	crossTenantFixtures["withdrawal"] = func(e *apptest.Env, shop apptest.Shop) string {
		e.T.Helper()
		ctx := memberstest.Ctx(shop)
		id := distributor(e, shop)
		// Available commission to withdraw, straight in the ledger.
		if err := e.App.DB.InTenant(ctx, func(tx *db.Tx) error {
			_, _, err := e.App.Finance.Post(ctx, tx, finance.Entry{Kind: "test.fixture", Ref: fmt.Sprintf("fx%d-%s", n.Add(1), id),
				Lines: []finance.Line{{Account: finance.CommissionExpense, Debit: decimal.NewFromInt(100)},
					{Account: finance.AvailablePayable, Party: id, Credit: decimal.NewFromInt(100)}}})
			return err
		}); err != nil {
			e.T.Fatal(err)
		}
		w, err := e.App.Distribution.RequestWithdrawal(ctx, identity.MemberID(id), distribution.WithdrawalInput{
			Amount: decimal.NewFromInt(50), Channel: "bank", Account: "6222000011112222", Name: "王五"})
		if err != nil {
			e.T.Fatal(err)
		}
		return w.ID
	}
}
