package promotions

import (
	"context"
	"fmt"
	"slices"

	"github.com/lib/pq"

	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/identity"
	"github.com/banyanmall/banyan/core/tenancy"
)

// RecordUsage records, in checkout's transaction, that an order used these
// campaigns (Result.CampaignIDs). It is idempotent per order: recording the
// same order again changes nothing. A limited campaign takes one use by a
// single conditional UPDATE, so of concurrent orders racing for its last
// uses exactly usage_limit succeed; the others get quote_changed (the order
// would not get the price it was quoted) and their transaction rolls back.
func (s *Service) RecordUsage(ctx context.Context, tx *db.Tx, member identity.MemberID, orderID string, campaigns []CampaignID) error {
	if !tenancy.ValidUUID(orderID) {
		return errs.Field("order_id", "invalid", "an order id (UUID)")
	}
	if !tenancy.ValidUUID(string(member)) {
		return errs.Field("member_id", "invalid", "a member id (UUID)")
	}
	ids := slices.Clone(campaigns)
	slices.Sort(ids) // one lock order for every caller
	ids = slices.Compact(ids)
	tid := tenancy.ID(ctx)
	for _, id := range ids {
		if !tenancy.ValidUUID(string(id)) {
			return errs.Field("campaign_ids", "invalid", "campaign ids (UUIDs)")
		}
	}
	// The new uses come back with their campaign's limit and name (they were
	// a read per campaign).
	var fresh []struct {
		ID    string `db:"campaign_id"`
		Limit int64  `db:"usage_limit"`
		Name  string `db:"name"`
	}
	err := tx.SelectContext(ctx, &fresh, `
WITH ins AS (
  INSERT INTO promotion_usages (tenant_id, order_id, campaign_id, member_id)
  SELECT $1, $2, c, $3 FROM unnest($4::uuid[]) AS c ORDER BY c
  ON CONFLICT (tenant_id, order_id, campaign_id) DO NOTHING
  RETURNING campaign_id
)
SELECT ins.campaign_id, c.usage_limit, c.name FROM ins JOIN promotion_campaigns c ON c.tenant_id = $1 AND c.id = ins.campaign_id
ORDER BY ins.campaign_id`, tid, orderID, member, pq.StringArray(toStrings(ids)))
	if err != nil {
		if code, _, ok := db.Constraint(err); ok && code == "23503" {
			return errs.Field("campaign_ids", "not_found", "no such promotion")
		}
		return fmt.Errorf("record promotion usage: %w", err)
	}
	for _, c := range fresh {
		if c.Limit == 0 {
			continue // unlimited: no counter to contend on
		}
		res, err := tx.ExecContext(ctx, `
UPDATE promotion_campaigns SET used_count = used_count + 1
WHERE tenant_id = $1 AND id = $2 AND used_count < usage_limit`, tid, c.ID)
		if err != nil {
			return fmt.Errorf("record promotion usage: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.E(errs.QuoteChanged, "the promotion %q has been used up; quote again", c.Name)
		}
	}
	return nil
}

func toStrings(ids []CampaignID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = string(id)
	}
	return out
}
