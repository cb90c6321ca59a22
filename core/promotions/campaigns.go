package promotions

import (
	"context"
	"fmt"
	"time"

	"github.com/banyanmall/banyan/core/audit"
	"github.com/banyanmall/banyan/core/db"
	"github.com/banyanmall/banyan/core/errs"
	"github.com/banyanmall/banyan/core/page"
	"github.com/banyanmall/banyan/core/tenancy"
)

// campaignCols reads a campaign. An unlimited campaign keeps no counter on
// its row (every order of the shop would update it): its uses are the sum
// of its 64 shard counters (migration 00082), kept by a trigger on
// promotion_usages.
const campaignCols = `c.id, c.name, c.description, c.plugin, c.config, c.starts_at, c.ends_at, c.priority,
c.stacking_group, c.exclusive, c.usage_limit,
CASE WHEN c.usage_limit > 0 THEN c.used_count
     ELSE (SELECT coalesce(sum(u.n), 0) FROM promotion_use_counts u WHERE u.tenant_id = c.tenant_id AND u.campaign_id = c.id) END AS used_count,
c.status, c.created_at, c.updated_at`

func notFound() error { return errs.E(errs.NotFound, "promotion not found") }

type listCursor struct {
	T  time.Time `json:"t"`
	ID string    `json:"i"`
}

// List returns the shop's campaigns, newest first; status filters when set.
func (s *Service) List(ctx context.Context, status string, p page.Request) ([]Campaign, string, error) {
	if status != "" && status != StatusDraft && status != StatusActive && status != StatusPaused && status != StatusEnded {
		return nil, "", errs.Field("status", "invalid", "draft, active, paused or ended")
	}
	p = p.Normalize()
	var cur listCursor
	if err := page.Decode(p.Cursor, &cur); err != nil {
		return nil, "", err
	}
	var t, id any
	if cur.ID != "" {
		t, id = cur.T, cur.ID
	}
	out := []Campaign{}
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		return tx.SelectContext(ctx, &out, `SELECT `+campaignCols+` FROM promotion_campaigns c
WHERE c.tenant_id = $1 AND ($2 = '' OR c.status = $2) AND ($3::timestamptz IS NULL OR (c.created_at, c.id) < ($3, $4::uuid))
ORDER BY c.created_at DESC, c.id DESC LIMIT $5`, tenancy.ID(ctx), status, t, id, p.Limit+1)
	})
	if err != nil {
		return nil, "", fmt.Errorf("list promotions: %w", err)
	}
	out, next := page.Cut(out, p.Limit, func(last Campaign) any { return listCursor{T: last.CreatedAt, ID: string(last.ID)} })
	return out, next, nil
}

// Create adds a campaign.
func (s *Service) Create(ctx context.Context, in CampaignInput) (Campaign, error) {
	if in.Status == "" {
		in.Status = StatusDraft
	}
	if in.Status != StatusDraft && in.Status != StatusActive {
		return Campaign{}, errs.Field("status", "invalid", "a new promotion is draft or active")
	}
	c := Campaign{Name: in.Name, Description: in.Description, Plugin: in.Plugin, Config: in.Config, StartsAt: in.StartsAt,
		EndsAt: in.EndsAt, Priority: in.Priority, StackingGroup: in.StackingGroup, Exclusive: in.Exclusive,
		UsageLimit: in.UsageLimit, Status: in.Status}
	var out Campaign
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		if err := s.validate(ctx, tx, &c, time.Now(), true); err != nil {
			return err
		}
		tid := tenancy.ID(ctx)
		var id CampaignID
		err := tx.GetContext(ctx, &id, `
INSERT INTO promotion_campaigns (tenant_id, name, description, plugin, config, starts_at, ends_at, priority, stacking_group, exclusive, usage_limit, status)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
			tid, c.Name, c.Description, c.Plugin, string(c.Config), c.StartsAt, c.EndsAt, c.Priority, c.StackingGroup, c.Exclusive, c.UsageLimit, c.Status)
		if err != nil {
			return fmt.Errorf("create promotion: %w", err)
		}
		if out, err = get(ctx, tx, id, false); err != nil {
			return err
		}
		return audit.Record(ctx, tx, tid, "promotion.create", "promotion", string(id), out)
	})
	return out, err
}

func get(ctx context.Context, tx *db.Tx, id CampaignID, lock bool) (Campaign, error) {
	q := `SELECT ` + campaignCols + ` FROM promotion_campaigns c WHERE c.tenant_id = $1 AND c.id = $2`
	if lock {
		q += ` FOR UPDATE`
	}
	var c Campaign
	err := tx.GetContext(ctx, &c, q, tenancy.ID(ctx), id)
	return c, db.NotFound(err, "promotion")
}

// Get returns a campaign.
func (s *Service) Get(ctx context.Context, id CampaignID) (Campaign, error) {
	if !tenancy.ValidUUID(string(id)) {
		return Campaign{}, notFound()
	}
	var c Campaign
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		var err error
		c, err = get(ctx, tx, id, false)
		return err
	})
	return c, err
}

// Update changes a campaign. An ended campaign is final.
func (s *Service) Update(ctx context.Context, id CampaignID, p CampaignPatch) (Campaign, error) {
	if !tenancy.ValidUUID(string(id)) {
		return Campaign{}, notFound()
	}
	var out Campaign
	err := s.DB.InTenant(ctx, func(tx *db.Tx) error {
		c, err := get(ctx, tx, id, true)
		if err != nil {
			return err
		}
		if c.Status == StatusEnded {
			return errs.E(errs.InvalidState, "this promotion has ended; create a new one")
		}
		set := func(dst *string, v *string) {
			if v != nil {
				*dst = *v
			}
		}
		set(&c.Name, p.Name)
		set(&c.Description, p.Description)
		set(&c.StackingGroup, p.StackingGroup)
		set(&c.Status, p.Status)
		if len(p.Config) > 0 && string(p.Config) != "null" {
			c.Config = p.Config
		}
		windowChanged := p.StartsAt != nil || p.EndsAt != nil
		if p.StartsAt != nil {
			c.StartsAt = p.StartsAt
		}
		if p.EndsAt != nil {
			c.EndsAt = p.EndsAt
		}
		if p.Priority != nil {
			c.Priority = *p.Priority
		}
		if p.Exclusive != nil {
			c.Exclusive = *p.Exclusive
		}
		if p.UsageLimit != nil {
			c.UsageLimit = *p.UsageLimit
		}
		if err := s.validate(ctx, tx, &c, time.Now(), windowChanged); err != nil {
			return err
		}
		tid := tenancy.ID(ctx)
		// A limit set on a campaign that had none starts from its uses so far.
		_, err = tx.ExecContext(ctx, `
UPDATE promotion_campaigns SET name = $3, description = $4, config = $5, starts_at = $6, ends_at = $7, priority = $8,
  stacking_group = $9, exclusive = $10, usage_limit = $11, used_count = $12, status = $13, updated_at = now()
WHERE tenant_id = $1 AND id = $2`, tid, id, c.Name, c.Description, string(c.Config), c.StartsAt, c.EndsAt, c.Priority,
			c.StackingGroup, c.Exclusive, c.UsageLimit, c.UsedCount, c.Status)
		if err != nil {
			return fmt.Errorf("update promotion: %w", err)
		}
		if out, err = get(ctx, tx, id, false); err != nil {
			return err
		}
		return audit.Record(ctx, tx, tid, "promotion.update", "promotion", string(id), p)
	})
	return out, err
}

// Delete removes a campaign no order has used; one that orders used is
// ended instead, so their records keep naming it.
func (s *Service) Delete(ctx context.Context, id CampaignID) error {
	if !tenancy.ValidUUID(string(id)) {
		return notFound()
	}
	return s.DB.InTenant(ctx, func(tx *db.Tx) error {
		c, err := get(ctx, tx, id, true)
		if err != nil {
			return err
		}
		tid := tenancy.ID(ctx)
		var used bool
		if err := tx.GetContext(ctx, &used, `SELECT EXISTS (SELECT 1 FROM promotion_usages WHERE tenant_id = $1 AND campaign_id = $2)`, tid, id); err != nil {
			return err
		}
		action := "promotion.delete"
		if used {
			action = "promotion.end"
			_, err = tx.ExecContext(ctx, `UPDATE promotion_campaigns SET status = 'ended', updated_at = now() WHERE tenant_id = $1 AND id = $2`, tid, id)
		} else {
			_, err = tx.ExecContext(ctx, `DELETE FROM promotion_campaigns WHERE tenant_id = $1 AND id = $2`, tid, id)
		}
		if err != nil {
			return fmt.Errorf("delete promotion: %w", err)
		}
		return audit.Record(ctx, tx, tid, action, "promotion", string(id), map[string]string{"name": c.Name})
	})
}
